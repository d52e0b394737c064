/**
 * Every credential type Token Guard knows, with the family that decides how it is refreshed
 * (docs/ARCHITECTURE.md#credential-families): `connect` types extend n8n's oAuth2Api and refresh through n8n's own
 * refreshOAuth2Token (persisted, locked); the `manual` type refreshes through its preAuthentication
 * hook. Built-in types are the curated F4 list of n8n's own credentials: Diagnose Error names their provider
 * in any package, but only the companion package's nodes take them as credentials
 * (docs/ARCHITECTURE.md#packages): the core package's nodes list only the core's own types.
 */
import type { INodeProperties, INodePropertyOptions, INodeCredentialDescription } from 'n8n-workflow';

import type { Provider } from './types';

export type CredentialFamily = 'connect' | 'manual';

export interface CredentialTypeInfo {
	name: string;
	displayName: string;
	family: CredentialFamily;
	provider: Provider;
	builtIn: boolean;
}

const ours = (
	name: string,
	displayName: string,
	provider: Provider,
	family: CredentialFamily = 'connect',
): CredentialTypeInfo => ({
	name,
	displayName,
	family,
	provider,
	builtIn: false,
});

const builtIn = (name: string, displayName: string, provider: Provider): CredentialTypeInfo => ({
	name,
	displayName,
	family: 'connect',
	provider,
	builtIn: true,
});

export const MANUAL_CREDENTIAL_TYPE = 'tokenGuardRefreshTokenApi';
/** The event sink of the core package, and its twin-by-inheritance in the companion (distinct type names). */
export const WEBHOOK_CREDENTIAL_TYPE = 'tokenGuardWebhookApi';
export const BUILT_IN_WEBHOOK_CREDENTIAL_TYPE = 'tokenGuardBuiltInWebhookApi';
/** The instance's own public API (Audit Credentials, Diagnose Error's affected workflows): core package only. */
export const N8N_API_CREDENTIAL_TYPE = 'tokenGuardN8nApi';

export const CREDENTIAL_TYPES: readonly CredentialTypeInfo[] = [
	ours('tokenGuardOAuth2Api', 'Token Guard OAuth2 API', 'unknown'),
	ours('tokenGuardGoogleOAuth2Api', 'Google (Token Guard) OAuth2 API', 'google'),
	ours('tokenGuardMicrosoftOAuth2Api', 'Microsoft (Token Guard) OAuth2 API', 'microsoft'),
	ours('tokenGuardDropboxOAuth2Api', 'Dropbox (Token Guard) OAuth2 API', 'dropbox'),
	ours('tokenGuardAtlassianOAuth2Api', 'Atlassian (Token Guard) OAuth2 API', 'atlassian'),
	ours('tokenGuardXeroOAuth2Api', 'Xero (Token Guard) OAuth2 API', 'xero'),
	ours('tokenGuardZohoOAuth2Api', 'Zoho (Token Guard) OAuth2 API', 'zoho'),
	ours(MANUAL_CREDENTIAL_TYPE, 'Token Guard Refresh Token (Manual) API', 'unknown', 'manual'),
	builtIn('oAuth2Api', 'Generic OAuth2 API', 'unknown'),
	builtIn('googleOAuth2Api', 'Google OAuth2 API', 'google'),
	builtIn('gmailOAuth2', 'Gmail OAuth2 API', 'google'),
	builtIn('googleSheetsOAuth2Api', 'Google Sheets OAuth2 API', 'google'),
	builtIn('googleDriveOAuth2Api', 'Google Drive OAuth2 API', 'google'),
	builtIn('googleCalendarOAuth2Api', 'Google Calendar OAuth2 API', 'google'),
	builtIn('googleDocsOAuth2Api', 'Google Docs OAuth2 API', 'google'),
	builtIn('microsoftOAuth2Api', 'Microsoft OAuth2 API', 'microsoft'),
	builtIn('microsoftOutlookOAuth2Api', 'Microsoft Outlook OAuth2 API', 'microsoft'),
	builtIn('microsoftOneDriveOAuth2Api', 'Microsoft Drive OAuth2 API', 'microsoft'),
	builtIn('microsoftExcelOAuth2Api', 'Microsoft Excel OAuth2 API', 'microsoft'),
	builtIn('microsoftTeamsOAuth2Api', 'Microsoft Teams OAuth2 API', 'microsoft'),
	builtIn('salesforceOAuth2Api', 'Salesforce OAuth2 API', 'salesforce'),
	builtIn('hubspotOAuth2Api', 'HubSpot OAuth2 API', 'hubspot'),
	builtIn('xeroOAuth2Api', 'Xero OAuth2 API', 'xero'),
	builtIn('quickBooksOAuth2Api', 'QuickBooks Online OAuth2 API', 'quickbooks'),
	builtIn('boxOAuth2Api', 'Box OAuth2 API', 'box'),
	builtIn('dropboxOAuth2Api', 'Dropbox OAuth2 API', 'dropbox'),
	builtIn('zoomOAuth2Api', 'Zoom OAuth2 API', 'zoom'),
	builtIn('slackOAuth2Api', 'Slack OAuth2 API', 'slack'),
	builtIn('zohoOAuth2Api', 'Zoho OAuth2 API', 'zoho'),
	// The MCP Client tool's credential (agents), in n8n since 1.10x: both n8n lines the e2e matrix runs have it.
	builtIn('mcpOAuth2Api', 'MCP OAuth2 API', 'unknown'),
];

export const OWN_CREDENTIAL_TYPES: readonly CredentialTypeInfo[] = CREDENTIAL_TYPES.filter((info) => !info.builtIn);
export const BUILT_IN_CREDENTIAL_TYPES: readonly CredentialTypeInfo[] = CREDENTIAL_TYPES.filter((info) => info.builtIn);

const BY_NAME = new Map(CREDENTIAL_TYPES.map((info) => [info.name, info]));

export function credentialTypeInfo(name: string): CredentialTypeInfo | undefined {
	return BY_NAME.get(name);
}

/** The node parameter that picks the credential type; the `credentials` list below keys off it. */
export const CREDENTIAL_TYPE_PARAMETER = 'credentialType';

/** Node versions: 1 as first shipped; 2 shows the credential type as a field and starts with none chosen. */
export const FIRST_VERSION = 1;
export const CURRENT_VERSION = 2;

export interface CredentialChoice {
	/** The Credential Type field: one per node version (its default is what differs). */
	properties: INodeProperties[];
	/** One credential slot per type, shown only when that type is the chosen one. */
	slots: INodeCredentialDescription[];
}

/**
 * The credential picker of a node that accepts `types`. The core package passes OWN_CREDENTIAL_TYPES
 * (n8n's community rule no-credential-reuse, verified by scripts/verify-package.js because the rule cannot
 * read a computed list); the companion passes BUILT_IN_CREDENTIAL_TYPES.
 *
 * The slots use `hide`, never `show`: n8n's editor treats every field a credential's `show` names as an
 * authentication field and takes it out of the panel (Token Health's Operation disappeared that way), merges
 * the slots into one dropdown that pre-selects the newest credential of any listed type, and opens a 29-entry
 * type menu to create one. With `hide`, Credential Type is an ordinary field; from version 2 it starts empty,
 * so a new node shows no credential until the user picks the type, and then exactly that type's credentials.
 */
export function credentialChoice(types: readonly CredentialTypeInfo[], description: string): CredentialChoice {
	const names = types.map((info) => info.name);
	const firstType = names[0];
	const field = {
		displayName: 'Credential Type',
		name: CREDENTIAL_TYPE_PARAMETER,
		type: 'options' as const,
		noDataExpression: true,
		options: types.map((info): INodePropertyOptions => ({ name: info.displayName, value: info.name })),
		description,
	};
	return {
		properties: [
			// Version 1 workflows saved without the field (it was the default) keep their credential type.
			{ ...field, default: firstType, displayOptions: { show: { '@version': [FIRST_VERSION] } } },
			{
				...field,
				default: '',
				required: true,
				displayOptions: { show: { '@version': [{ _cnd: { gte: CURRENT_VERSION } }] } },
			},
		],
		slots: types.map((info) => ({
			name: info.name,
			required: true,
			displayOptions: { hide: { [CREDENTIAL_TYPE_PARAMETER]: ['', ...names.filter((name) => name !== info.name)] } },
		})),
	};
}

/** The credentials the core package's nodes take: this package's own types only. */
export const ownCredentialChoice = credentialChoice(
	OWN_CREDENTIAL_TYPES,
	"Which Token Guard credential to use. For n8n's built-in credentials (Gmail, Google Sheets, Outlook…) install the companion package n8n-nodes-token-guard-builtin.",
);
