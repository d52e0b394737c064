import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Atlassian Cloud (Jira, Confluence) OAuth 2.0 (3LO). It needs `audience=api.atlassian.com` and
 * `prompt=consent` on the authorization URL and `offline_access` among the scopes to return a
 * (rotating) refresh token, and its API gateway answers an expired token with 403 or 404 on some
 * paths, not only 401.
 */
export class TokenGuardAtlassianOAuth2Api implements ICredentialType {
	name = 'tokenGuardAtlassianOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Atlassian (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Atlassian: sends audience=api.atlassian.com and prompt=consent, always requests offline_access, and treats 403 and 404 as "token expired" too. Atlassian rotates refresh tokens: do not copy this credential\'s tokens elsewhere.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		...oAuth2PresetProperties({
			authUrl: 'https://auth.atlassian.com/authorize',
			accessTokenUrl: 'https://auth.atlassian.com/oauth/token',
			loginQuery: 'audience=api.atlassian.com&prompt=consent',
			authentication: 'body',
			clientHints: {
				clientId:
					'Atlassian developer console → your app → Settings → "Client ID". Add n8n\'s OAuth Redirect URL under Authorization → OAuth 2.0 (3LO) → Callback URL.',
				clientSecret: 'Atlassian developer console → your app → Settings → "Secret"',
			},
			scope: {
				kind: 'withOfflineAccess',
				default: 'read:jira-work read:jira-user',
				description:
					'Scopes added to the app under Permissions, e.g. read:jira-work write:jira-work read:confluence-content.all.',
			},
			tokenExpiredStatusCodes: [401, 403, 404],
			test: {
				url: 'https://api.atlassian.com/oauth/token/accessible-resources',
				description:
					"Atlassian's accessible-resources endpoint answers every 3LO token and lists the sites it may use.",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
