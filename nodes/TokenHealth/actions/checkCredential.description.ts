/**
 * Check Credential's parameters and credential slots: what the editor shows for this operation.
 */
import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { ownCredentialChoice } from '../../shared/credentialCatalog';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../shared/oauth/expiry';

const showFor = { show: { operation: ['checkCredential'] } };

export const DEFAULT_MARGIN_MINUTES = DEFAULT_EXPIRY_MARGIN_SECONDS / 60;

export const description: INodeProperties[] = [
	...ownCredentialChoice.properties.map((field) => ({
		...field,
		displayOptions: { show: { ...field.displayOptions?.show, ...showFor.show } },
	})),
	{
		displayName: 'Expiry Margin (Minutes)',
		name: 'expiryMarginMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULT_MARGIN_MINUTES,
		description:
			'An access token expiring within this many minutes is reported as expiring (and a token.expiring event is emitted). It is a warning only when nothing can renew the token.',
		displayOptions: showFor,
	},
	{
		displayName: 'Required Scopes',
		name: 'requiredScopes',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://www.googleapis.com/auth/gmail.readonly',
		description: 'Scopes the token must have, separated by spaces or commas. Missing ones are critical.',
		displayOptions: showFor,
	},
	{
		displayName: 'Refresh the Token Too',
		name: 'refreshNow',
		type: 'boolean',
		default: false,
		description:
			'Whether to refresh the token now through n8n (the new token is saved). Proves the refresh token still works and keeps tokens that expire when unused (Microsoft, Xero, Box, Atlassian, QuickBooks) alive.',
		displayOptions: showFor,
	},
	{
		displayName: 'Probe URL',
		name: 'probeUrl',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://openidconnect.googleapis.com/v1/userinfo',
		description:
			"Optional. A URL to GET with the stored access token (for example the provider's userinfo endpoint). It never triggers a refresh; 401/403 answers are diagnosed and its Date header measures clock drift.",
		displayOptions: showFor,
	},
	{
		displayName: 'Introspect Token',
		name: 'introspect',
		type: 'boolean',
		default: false,
		description:
			"Whether to ask the credential's authorization server (RFC 7662) if the refresh token is still active, which shows a revoked grant without using it up. The endpoint comes from the credential: its Introspection URL, or the one its authorization server publishes on the token URL's origin. The client secret is never sent anywhere else.",
		displayOptions: showFor,
	},
];

/**
 * One slot per accepted credential type, shown only for Check Credential and the chosen type. `hide`, not `show`,
 * keeps Operation in the panel (see credentialChoice).
 */
export const credentials: INodeCredentialDescription[] = ownCredentialChoice.slots.map((slot) => ({
	...slot,
	displayOptions: { hide: { ...slot.displayOptions?.hide, operation: ['diagnoseError', 'auditCredentials'] } },
}));
