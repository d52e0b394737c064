/**
 * Minimal stand-ins for n8n-nodes-base's OAuth2 credential types (that package is not installed).
 * Names and `extends` chains match n8n-nodes-base, so n8n-core routes them to its OAuth2 path
 * exactly as in a real instance. The base `oAuth2Api` mirrors the real field list that matters
 * for requests (including `doNotInherit` on ignoreSSLIssues / tokenExpiredStatusCode); child
 * defaults are representative, and expression defaults (e.g. Gmail's scope) are plain strings.
 */
import type { ICredentialType, INodeProperties } from 'n8n-workflow';

const showWithoutDcr = { show: { useDynamicClientRegistration: [false] } };
const showForCodeFlows = { show: { grantType: ['authorizationCode', 'pkce'], useDynamicClientRegistration: [false] } };

const OAUTH2_API: ICredentialType = {
	name: 'oAuth2Api',
	displayName: 'OAuth2 API',
	genericAuth: true,
	properties: [
		{
			displayName: 'Use Dynamic Client Registration',
			name: 'useDynamicClientRegistration',
			type: 'hidden',
			default: false,
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			displayOptions: showWithoutDcr,
			options: [
				{ name: 'Authorization Code', value: 'authorizationCode' },
				{ name: 'Client Credentials', value: 'clientCredentials' },
				{ name: 'PKCE', value: 'pkce' },
			],
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'string',
			displayOptions: showForCodeFlows,
			default: '',
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			displayOptions: showWithoutDcr,
			default: '',
		},
		{ displayName: 'Client ID', name: 'clientId', type: 'string', displayOptions: showWithoutDcr, default: '' },
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			displayOptions: showWithoutDcr,
			default: '',
		},
		{ displayName: 'Scope', name: 'scope', type: 'string', displayOptions: showWithoutDcr, default: '' },
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'string',
			displayOptions: showForCodeFlows,
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			displayOptions: showWithoutDcr,
			options: [
				{ name: 'Body', value: 'body' },
				{ name: 'Header', value: 'header' },
			],
			default: 'header',
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSSLIssues',
			type: 'boolean',
			default: false,
			doNotInherit: true,
		},
		{
			displayName: 'Token Expired Status Code',
			name: 'tokenExpiredStatusCode',
			type: 'number',
			default: 401,
			doNotInherit: true,
		},
	],
};

/** A child type pinning values with hidden fields, the way n8n-nodes-base presets do. */
function oAuth2Child(
	name: string,
	displayName: string,
	parent: string,
	pinned: Record<string, string>,
): ICredentialType {
	const properties: INodeProperties[] = Object.entries(pinned).map(([field, value]) => ({
		displayName: field,
		name: field,
		type: 'hidden',
		default: value,
	}));
	return { name, displayName, extends: [parent], properties };
}

export const BUILT_IN_CREDENTIAL_TYPES: ICredentialType[] = [
	OAUTH2_API,
	oAuth2Child('googleOAuth2Api', 'Google OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
		accessTokenUrl: 'https://oauth2.googleapis.com/token',
		authQueryParameters: 'access_type=offline&prompt=consent',
		authentication: 'body',
	}),
	oAuth2Child('gmailOAuth2', 'Gmail OAuth2 API', 'googleOAuth2Api', { scope: 'https://mail.google.com/' }),
	oAuth2Child('googleSheetsOAuth2Api', 'Google Sheets OAuth2 API', 'googleOAuth2Api', {
		scope: 'https://www.googleapis.com/auth/spreadsheets https://www.googleapis.com/auth/drive.file',
	}),
	oAuth2Child('googleDriveOAuth2Api', 'Google Drive OAuth2 API', 'googleOAuth2Api', {
		scope: 'https://www.googleapis.com/auth/drive',
	}),
	oAuth2Child('googleCalendarOAuth2Api', 'Google Calendar OAuth2 API', 'googleOAuth2Api', {
		scope: 'https://www.googleapis.com/auth/calendar',
	}),
	oAuth2Child('microsoftOAuth2Api', 'Microsoft OAuth2 API', 'oAuth2Api', {
		grantType: 'authorizationCode',
		authQueryParameters: 'response_mode=query',
		authentication: 'body',
	}),
	oAuth2Child('microsoftOutlookOAuth2Api', 'Microsoft Outlook OAuth2 API', 'microsoftOAuth2Api', {
		scope: 'openid offline_access Mail.ReadWrite Mail.Send',
	}),
	oAuth2Child('microsoftOneDriveOAuth2Api', 'Microsoft Drive OAuth2 API', 'microsoftOAuth2Api', {
		scope: 'openid offline_access Files.ReadWrite.All',
	}),
	oAuth2Child('salesforceOAuth2Api', 'Salesforce OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://login.salesforce.com/services/oauth2/authorize',
		accessTokenUrl: 'https://login.salesforce.com/services/oauth2/token',
		scope: 'full refresh_token',
		authentication: 'header',
	}),
	oAuth2Child('hubspotOAuth2Api', 'HubSpot OAuth2 API', 'oAuth2Api', {
		grantType: 'authorizationCode',
		authUrl: 'https://app.hubspot.com/oauth/authorize',
		accessTokenUrl: 'https://api.hubapi.com/oauth/v1/token',
		authentication: 'body',
	}),
	oAuth2Child('xeroOAuth2Api', 'Xero OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://login.xero.com/identity/connect/authorize',
		accessTokenUrl: 'https://identity.xero.com/connect/token',
		scope: 'offline_access accounting.transactions',
		authentication: 'header',
	}),
	oAuth2Child('quickBooksOAuth2Api', 'QuickBooks Online OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://appcenter.intuit.com/connect/oauth2',
		accessTokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
		scope: 'com.intuit.quickbooks.accounting',
		authentication: 'header',
	}),
	oAuth2Child('boxOAuth2Api', 'Box OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://account.box.com/api/oauth2/authorize',
		accessTokenUrl: 'https://api.box.com/oauth2/token',
		authentication: 'body',
	}),
	oAuth2Child('dropboxOAuth2Api', 'Dropbox OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://www.dropbox.com/oauth2/authorize',
		accessTokenUrl: 'https://api.dropboxapi.com/oauth2/token',
		authQueryParameters: 'token_access_type=offline&force_reapprove=true',
		authentication: 'header',
	}),
	oAuth2Child('zoomOAuth2Api', 'Zoom OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://zoom.us/oauth/authorize',
		accessTokenUrl: 'https://zoom.us/oauth/token',
		authentication: 'header',
	}),
	oAuth2Child('slackOAuth2Api', 'Slack OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://slack.com/oauth/v2/authorize',
		accessTokenUrl: 'https://slack.com/api/oauth.v2.access',
		authentication: 'body',
	}),
	oAuth2Child('zohoOAuth2Api', 'Zoho OAuth2 API', 'oAuth2Api', {
		authUrl: 'https://accounts.zoho.com/oauth/v2/auth',
		accessTokenUrl: 'https://accounts.zoho.com/oauth/v2/token',
		authQueryParameters: 'access_type=offline&prompt=consent',
		authentication: 'body',
	}),
	// The MCP Client's credential pins nothing: its endpoints come from the MCP server's discovery.
	oAuth2Child('mcpOAuth2Api', 'MCP OAuth2 API', 'oAuth2Api', {}),
];
