import {
	detectProvider,
	PROVIDER_LABELS,
	urlLikeWords,
	type ProviderHints,
} from '../../nodes/shared/classify/providers';
import type { Provider } from '../../nodes/shared/types';

describe('detectProvider', () => {
	it.each<[ProviderHints, Provider]>([
		// Hosts
		[{ url: 'https://oauth2.googleapis.com/token' }, 'google'],
		[{ url: 'https://accounts.google.com/o/oauth2/token' }, 'google'],
		[{ url: 'https://gmail.googleapis.com/gmail/v1/users/me/messages' }, 'google'],
		[{ url: 'https://www.googleapis.com/drive/v3/files' }, 'google'],
		[{ url: 'https://generativelanguage.googleapis.com/v1beta/models' }, 'google'],
		[{ url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' }, 'microsoft'],
		[{ url: 'https://graph.microsoft.com/v1.0/me' }, 'microsoft'],
		[{ url: 'https://api.box.com/oauth2/token' }, 'box'],
		[{ url: 'https://identity.xero.com/connect/token' }, 'xero'],
		[{ url: 'https://auth.atlassian.com/oauth/token' }, 'atlassian'],
		[{ url: 'https://api.atlassian.com/ex/jira/abc/rest/api/3/issue' }, 'atlassian'],
		[{ url: 'https://login.salesforce.com/services/oauth2/token' }, 'salesforce'],
		[{ url: 'https://acme.my.salesforce.com/services/data/v60.0' }, 'salesforce'],
		[{ url: 'https://acme--sandbox.sandbox.my.site.force.com/x' }, 'salesforce'],
		[{ url: 'https://api.hubapi.com/oauth/v1/token' }, 'hubspot'],
		[{ url: 'https://accounts.zoho.com/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zoho.eu/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zoho.in/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zoho.com.au/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zoho.jp/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zoho.com.cn/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://accounts.zohocloud.ca/oauth/v2/token' }, 'zoho'],
		[{ url: 'https://www.zohoapis.eu/crm/v3/Leads' }, 'zoho'],
		[{ url: 'https://github.com/login/oauth/access_token' }, 'github'],
		[{ url: 'https://slack.com/api/oauth.v2.access' }, 'slack'],
		[{ url: 'https://api.dropboxapi.com/oauth2/token' }, 'dropbox'],
		[{ url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer' }, 'quickbooks'],
		[{ url: 'https://zoom.us/oauth/token' }, 'zoom'],
		[{ url: 'https://api.openai.com/v1/chat/completions' }, 'openai'],
		[{ url: 'https://api.anthropic.com/v1/messages' }, 'anthropic'],
		[{ url: 'oauth2.googleapis.com/token' }, 'google'],
		[{ url: 'https://notgoogleapis.com/token' }, 'unknown'],
		[{ url: 'https://auth.example.com/oauth/token' }, 'unknown'],
		[{ url: 'not a url' }, 'unknown'],
		// Credential types
		[{ credentialType: 'gmailOAuth2' }, 'google'],
		[{ credentialType: 'googleSheetsOAuth2Api' }, 'google'],
		[{ credentialType: 'googlePalmApi' }, 'google'],
		[{ credentialType: 'youTubeOAuth2Api' }, 'google'],
		[{ credentialType: 'microsoftOutlookOAuth2Api' }, 'microsoft'],
		[{ credentialType: 'tokenGuardGoogleOAuth2Api' }, 'google'],
		[{ credentialType: 'tokenGuardBoxOAuth2Api' }, 'box'],
		[{ credentialType: 'boxOAuth2Api' }, 'box'],
		[{ credentialType: 'dropboxOAuth2Api' }, 'dropbox'],
		[{ credentialType: 'hubspotOAuth2Api' }, 'hubspot'],
		[{ credentialType: 'quickBooksOAuth2Api' }, 'quickbooks'],
		[{ credentialType: 'jiraSoftwareCloudApi' }, 'atlassian'],
		[{ credentialType: 'azureOpenAiApi' }, 'openai'],
		[{ credentialType: 'openAiApi' }, 'openai'],
		[{ credentialType: 'anthropicApi' }, 'anthropic'],
		[{ credentialType: 'oAuth2Api' }, 'unknown'],
		[{ credentialType: 'imap' }, 'unknown'],
		// Node types
		[{ nodeType: 'n8n-nodes-base.gmail' }, 'google'],
		[{ nodeType: 'n8n-nodes-base.microsoftOutlook' }, 'microsoft'],
		[{ nodeType: 'n8n-nodes-base.box' }, 'box'],
		[{ nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi' }, 'openai'],
		[{ nodeType: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini' }, 'google'],
		[{ nodeType: '@n8n/n8n-nodes-langchain.lmChatAnthropic' }, 'anthropic'],
		[{ nodeType: 'n8n-nodes-base.emailReadImap' }, 'unknown'],
		[{ nodeType: 'n8n-nodes-base.httpRequest' }, 'unknown'],
		// Text
		[{ text: '400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token' }, 'google'],
		[{ text: 'see https://n8n.example.com/x then url=https://api.box.com/2.0/files' }, 'box'],
		[{ text: 'AADSTS700082: The refresh token has expired due to inactivity.' }, 'microsoft'],
		[{ text: 'getaddrinfo EAI_AGAIN accounts.zoho.eu' }, 'zoho'],
		[{ text: '{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}' }, 'hubspot'],
		[{ text: '[{"errorCode":"INVALID_SESSION_ID"}]' }, 'salesforce'],
		// Codes count only in the provider's own spelling: GitHub and generic servers say bad_refresh_token.
		[
			{ text: '{"error":"bad_refresh_token","error_description":"The refresh token is incorrect or expired."}' },
			'unknown',
		],
		[
			{ url: 'http://127.0.0.1:4000/token', credentialType: 'tokenGuardRefreshTokenApi', text: 'bad_refresh_token' },
			'unknown',
		],
		[{ text: 'missing_scopes' }, 'unknown'],
		[{ text: 'api_key_invalid' }, 'unknown'],
		[{ text: '{"reason":"API_KEY_INVALID"}' }, 'google'],
		[{ text: 'HubSpot said no' }, 'hubspot'],
		[{ text: 'Incorrect API key provided: sk-***' }, 'openai'],
		[{ text: 'API key not valid. Please pass a valid API key.' }, 'google'],
		[{ text: 'invalid x-api-key' }, 'anthropic'],
		[{ text: 'Cannot read properties of undefined' }, 'unknown'],
		[{}, 'unknown'],
	])('%j → %s', (hints, expected) => {
		expect(detectProvider(hints)).toBe(expected);
	});

	it.each<[ProviderHints, Provider]>([
		[{ url: 'https://oauth2.googleapis.com/token', nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi' }, 'google'],
		[{ credentialType: 'gmailOAuth2', nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi' }, 'google'],
		[{ nodeType: 'n8n-nodes-base.slack', text: 'https://api.box.com/2.0' }, 'slack'],
		[{ url: 'https://auth.example.com/token', text: 'AADSTS50173' }, 'microsoft'],
	])('ranks the hints: url, credential type, node type, text (%j → %s)', (hints, expected) => {
		expect(detectProvider(hints)).toBe(expected);
	});

	it('has a display label for every provider', () => {
		expect(PROVIDER_LABELS.google).toBe('Google');
		expect(PROVIDER_LABELS.hubspot).toBe('HubSpot');
		expect(PROVIDER_LABELS.quickbooks).toBe('QuickBooks');
		for (const label of Object.values(PROVIDER_LABELS)) expect(label.length).toBeGreaterThan(0);
	});
});

describe('urlLikeWords', () => {
	it.each<[string, string[]]>([
		['for url: https://oauth2.googleapis.com/token.', ['https://oauth2.googleapis.com/token.']],
		['(POST https://auth.example.com/oauth/token)', ['https://auth.example.com/oauth/token']],
		['{"url":"https://a.example.com/x","host":"b.example.org"}', ['https://a.example.com/x', 'b.example.org']],
		['connect ETIMEDOUT 142.250.74.10:443', []],
		['version 2.40.1 is out', []],
		['no hosts here', []],
	])('%s', (text, expected) => {
		expect(urlLikeWords(text)).toEqual(expected);
	});
});
