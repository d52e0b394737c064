import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Zoho: each data center has its own accounts server (a token from accounts.zoho.eu is unknown to
 * accounts.zoho.com), and a refresh token comes back only with `access_type=offline`; `prompt=consent`
 * makes Zoho issue a new one when the user connects again.
 */
export class TokenGuardZohoOAuth2Api implements ICredentialType {
	name = 'tokenGuardZohoOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Zoho (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://www.zoho.com/accounts/protocol/oauth/web-apps/authorization.html';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Zoho: uses the accounts server of your data center and always asks for offline access and consent, so Zoho returns a refresh token. Zoho keeps at most 20 refresh tokens per user and app; reconnecting often evicts older ones.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Data Center',
			name: 'accountsServer',
			type: 'options',
			options: [
				{ name: 'Australia (accounts.zoho.com.au)', value: 'accounts.zoho.com.au' },
				{ name: 'Canada (accounts.zohocloud.ca)', value: 'accounts.zohocloud.ca' },
				{ name: 'China (accounts.zoho.com.cn)', value: 'accounts.zoho.com.cn' },
				{ name: 'Europe (accounts.zoho.eu)', value: 'accounts.zoho.eu' },
				{ name: 'India (accounts.zoho.in)', value: 'accounts.zoho.in' },
				{ name: 'Japan (accounts.zoho.jp)', value: 'accounts.zoho.jp' },
				{ name: 'Saudi Arabia (accounts.zoho.sa)', value: 'accounts.zoho.sa' },
				{ name: 'United Kingdom (accounts.zoho.uk)', value: 'accounts.zoho.uk' },
				{ name: 'United States (accounts.zoho.com)', value: 'accounts.zoho.com' },
			],
			default: 'accounts.zoho.com',
			description:
				'The data center your Zoho account lives in: the domain you sign in at. It must be the one where you registered the client in the Zoho API Console (Canada uses zohocloud.ca).',
		},
		...oAuth2PresetProperties({
			authUrl: '=https://{{$self["accountsServer"]}}/oauth/v2/auth',
			accessTokenUrl: '=https://{{$self["accountsServer"]}}/oauth/v2/token',
			loginQuery: 'access_type=offline&prompt=consent',
			authentication: 'body',
			clientHints: {
				clientId:
					'Zoho API Console (api-console.zoho.com, or the one of your data center) → your "Server-based Application" client → Client Details → "Client ID". Use n8n\'s OAuth Redirect URL as its Authorized Redirect URI.',
				clientSecret: 'Zoho API Console → your client → Client Details → "Client Secret"',
			},
			scope: {
				kind: 'editable',
				default: '',
				required: true,
				placeholder: 'e.g. ZohoCRM.modules.ALL,ZohoCRM.settings.READ',
				description: "Zoho scopes (Service.scope.OPERATION) from the Zoho product's API docs, separated by commas.",
			},
			tokenExpiredStatusCodes: 401,
			test: {
				url: 'https://accounts.zoho.com/oauth/user/info',
				description:
					"Zoho's user info needs the AaaServer.profile.READ scope; use your data centre's accounts server (accounts.zoho.eu, .in, .com.au…), or an API URL your scopes allow.",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
