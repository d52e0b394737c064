import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Google, with the two authorization parameters the generic flow forgets: without
 * `access_type=offline` Google issues no refresh token, and without `prompt=consent` a user who
 * connected before gets none on reconnect either.
 */
export class TokenGuardGoogleOAuth2Api implements ICredentialType {
	name = 'tokenGuardGoogleOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Google (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://developers.google.com/identity/protocols/oauth2/web-server#offline';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Google: always asks for offline access and consent, so Google returns a refresh token. If your app\'s consent screen is in "Testing" mode, Google still expires refresh tokens after 7 days; publish the app to avoid that.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		...oAuth2PresetProperties({
			authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
			accessTokenUrl: 'https://oauth2.googleapis.com/token',
			loginQuery: 'access_type=offline&prompt=consent',
			authentication: 'body',
			clientHints: {
				clientId:
					'Google Cloud Console → APIs & Services → Credentials → your OAuth 2.0 Client ID (type "Web application", with n8n\'s OAuth Redirect URL as an authorized redirect URI)',
				clientSecret:
					'Google Cloud Console → APIs & Services → Credentials → your OAuth 2.0 Client ID → Client secrets',
			},
			scope: {
				kind: 'editable',
				default: '',
				required: true,
				placeholder: 'e.g. https://www.googleapis.com/auth/drive.readonly',
				description:
					'Space-separated Google scopes the workflows need, from each API\'s "Authorization scopes" docs. Enable the matching APIs in the Cloud Console too.',
			},
			tokenExpiredStatusCodes: 401,
			test: {
				url: 'https://www.googleapis.com/oauth2/v3/userinfo',
				description:
					"Google's userinfo answers tokens with the openid, email or profile scope; with other scopes only, use an API URL they allow, e.g. https://gmail.googleapis.com/gmail/v1/users/me/profile for Gmail.",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
