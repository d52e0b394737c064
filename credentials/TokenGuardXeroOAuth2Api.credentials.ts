import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Xero issues a refresh token only with the `offline_access` scope, and its access tokens last
 * 30 minutes, so a credential without it breaks within the hour. Xero rotates refresh tokens.
 */
export class TokenGuardXeroOAuth2Api implements ICredentialType {
	name = 'tokenGuardXeroOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Xero (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Xero: always requests offline_access, so Xero returns a refresh token. Xero rotates refresh tokens and expires unused ones after 60 days: run a workflow with this credential at least that often.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		...oAuth2PresetProperties({
			authUrl: 'https://login.xero.com/identity/connect/authorize',
			accessTokenUrl: 'https://identity.xero.com/connect/token',
			loginQuery: '',
			authentication: 'header',
			clientHints: {
				clientId:
					'Xero developer portal → My Apps → your app → Configuration → "Client id". Add n8n\'s OAuth Redirect URL under Redirect URIs.',
				clientSecret: 'Xero developer portal → My Apps → your app → Configuration → Generate a secret',
			},
			scope: {
				kind: 'withOfflineAccess',
				default: 'openid profile email accounting.transactions accounting.contacts accounting.settings',
				description: 'Xero scopes the workflows need, from Xero\'s "OAuth 2.0 scopes" page and enabled for your app.',
			},
			tokenExpiredStatusCodes: 401,
			test: {
				url: 'https://api.xero.com/connections',
				description: "Xero's connections endpoint answers every token and lists the organisations it may use.",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
