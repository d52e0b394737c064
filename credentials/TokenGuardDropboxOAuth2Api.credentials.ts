import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Dropbox only issues short-lived access tokens; a refresh token comes back only when the
 * authorization asks for `token_access_type=offline`, which the generic flow does not.
 */
export class TokenGuardDropboxOAuth2Api implements ICredentialType {
	name = 'tokenGuardDropboxOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Dropbox (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://developers.dropbox.com/oauth-guide';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Dropbox: always asks for token_access_type=offline, so Dropbox returns a refresh token next to its short-lived (about 4 hours) access token.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		...oAuth2PresetProperties({
			authUrl: 'https://www.dropbox.com/oauth2/authorize',
			accessTokenUrl: 'https://api.dropboxapi.com/oauth2/token',
			loginQuery: 'token_access_type=offline',
			authentication: 'header',
			clientHints: {
				clientId:
					'Dropbox App Console → your app → Settings → "App key". Add n8n\'s OAuth Redirect URL under OAuth 2 → Redirect URIs.',
				clientSecret: 'Dropbox App Console → your app → Settings → "App secret" (click Show)',
			},
			scope: {
				kind: 'editable',
				default: '',
				placeholder: 'e.g. files.metadata.read files.content.read',
				description:
					"Space-separated scopes enabled on the app's Permissions tab. Leave empty to get every scope the app has.",
			},
			tokenExpiredStatusCodes: 401,
			test: {
				url: 'https://api.dropboxapi.com/2/users/get_current_account',
				description:
					"Dropbox's current-account endpoint (called with POST, as Dropbox requires) answers every token of a scoped app (account_info.read is always granted).",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest('POST');
}
