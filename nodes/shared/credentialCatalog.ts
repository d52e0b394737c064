/**
 * Every credential type the nodes accept, with the family that decides how it is refreshed
 * (docs/ARCHITECTURE.md#credential-families): `connect` types extend n8n's oAuth2Api and refresh through n8n's own
 * refreshOAuth2Token (persisted, locked); the `manual` type refreshes through its preAuthentication
 * hook. Built-in types are the curated F4 list: the user's existing n8n credentials.
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
export const WEBHOOK_CREDENTIAL_TYPE = 'tokenGuardWebhookApi';

export const CREDENTIAL_TYPES: readonly CredentialTypeInfo[] = [
	ours('tokenGuardOAuth2Api', 'Token Guard OAuth2 API', 'unknown'),
	ours('tokenGuardGoogleOAuth2Api', 'Token Guard Google OAuth2 API', 'google'),
	ours('tokenGuardMicrosoftOAuth2Api', 'Token Guard Microsoft OAuth2 API', 'microsoft'),
	ours('tokenGuardDropboxOAuth2Api', 'Token Guard Dropbox OAuth2 API', 'dropbox'),
	ours('tokenGuardAtlassianOAuth2Api', 'Token Guard Atlassian OAuth2 API', 'atlassian'),
	ours('tokenGuardXeroOAuth2Api', 'Token Guard Xero OAuth2 API', 'xero'),
	ours('tokenGuardZohoOAuth2Api', 'Token Guard Zoho OAuth2 API', 'zoho'),
	ours(MANUAL_CREDENTIAL_TYPE, 'Token Guard Refresh Token (Manual) API', 'unknown', 'manual'),
	builtIn('oAuth2Api', 'n8n: Generic OAuth2 API', 'unknown'),
	builtIn('googleOAuth2Api', 'n8n: Google OAuth2 API', 'google'),
	builtIn('gmailOAuth2', 'n8n: Gmail OAuth2 API', 'google'),
	builtIn('googleSheetsOAuth2Api', 'n8n: Google Sheets OAuth2 API', 'google'),
	builtIn('googleDriveOAuth2Api', 'n8n: Google Drive OAuth2 API', 'google'),
	builtIn('googleCalendarOAuth2Api', 'n8n: Google Calendar OAuth2 API', 'google'),
	builtIn('googleDocsOAuth2Api', 'n8n: Google Docs OAuth2 API', 'google'),
	builtIn('microsoftOAuth2Api', 'n8n: Microsoft OAuth2 API', 'microsoft'),
	builtIn('microsoftOutlookOAuth2Api', 'n8n: Microsoft Outlook OAuth2 API', 'microsoft'),
	builtIn('microsoftOneDriveOAuth2Api', 'n8n: Microsoft Drive OAuth2 API', 'microsoft'),
	builtIn('microsoftExcelOAuth2Api', 'n8n: Microsoft Excel OAuth2 API', 'microsoft'),
	builtIn('microsoftTeamsOAuth2Api', 'n8n: Microsoft Teams OAuth2 API', 'microsoft'),
	builtIn('salesforceOAuth2Api', 'n8n: Salesforce OAuth2 API', 'salesforce'),
	builtIn('hubspotOAuth2Api', 'n8n: HubSpot OAuth2 API', 'hubspot'),
	builtIn('xeroOAuth2Api', 'n8n: Xero OAuth2 API', 'xero'),
	builtIn('quickBooksOAuth2Api', 'n8n: QuickBooks Online OAuth2 API', 'quickbooks'),
	builtIn('boxOAuth2Api', 'n8n: Box OAuth2 API', 'box'),
	builtIn('dropboxOAuth2Api', 'n8n: Dropbox OAuth2 API', 'dropbox'),
	builtIn('zoomOAuth2Api', 'n8n: Zoom OAuth2 API', 'zoom'),
	builtIn('slackOAuth2Api', 'n8n: Slack OAuth2 API', 'slack'),
	builtIn('zohoOAuth2Api', 'n8n: Zoho OAuth2 API', 'zoho'),
];

const BY_NAME = new Map(CREDENTIAL_TYPES.map((info) => [info.name, info]));

export function credentialTypeInfo(name: string): CredentialTypeInfo | undefined {
	return BY_NAME.get(name);
}

/** The node parameter that picks the credential type; the `credentials` list below keys off it. */
export const CREDENTIAL_TYPE_PARAMETER = 'credentialType';

export const credentialTypeProperty: INodeProperties = {
	displayName: 'Credential Type',
	name: CREDENTIAL_TYPE_PARAMETER,
	type: 'options',
	noDataExpression: true,
	options: CREDENTIAL_TYPES.map((info): INodePropertyOptions => ({ name: info.displayName, value: info.name })),
	default: 'tokenGuardOAuth2Api',
	description:
		'Which kind of credential to use. "n8n:" entries are your existing built-in n8n OAuth2 credentials; the others are this package\'s own types.',
};

/**
 * One credential slot per accepted type, shown only for the selected type. Listing n8n's built-in
 * types here is what lets users keep their existing credentials (docs/ARCHITECTURE.md#credential-families, F4); it is also why
 * eslint.config.mjs turns off the community lint rule `no-credential-reuse` for the nodes.
 */
export const credentialSlots: INodeCredentialDescription[] = CREDENTIAL_TYPES.map((info) => ({
	name: info.name,
	required: true,
	displayOptions: { show: { [CREDENTIAL_TYPE_PARAMETER]: [info.name] } },
}));
