import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { connectCredentialTest, oAuth2PresetProperties, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Microsoft identity platform (Entra ID, v2.0 endpoints). Microsoft issues a refresh token only when
 * `offline_access` is among the scopes, which the generic flow leaves to the user; here it is always
 * added. The tenant goes into the endpoint URLs.
 */
export class TokenGuardMicrosoftOAuth2Api implements ICredentialType {
	name = 'tokenGuardMicrosoftOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Microsoft (Token Guard) OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fixes the generic OAuth2 flow for Microsoft: always requests offline_access, so Microsoft returns a refresh token, and builds the endpoints for your tenant.',
			name: 'presetNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Tenant',
			name: 'tenantId',
			type: 'string',
			default: 'common',
			required: true,
			placeholder: 'e.g. common, organizations, consumers or a directory (tenant) ID',
			description:
				'Microsoft Entra admin center → App registrations → your app → Overview → "Directory (tenant) ID" for single-tenant apps; "common" for apps that accept any account',
		},
		...oAuth2PresetProperties({
			authUrl: '=https://login.microsoftonline.com/{{$self["tenantId"]}}/oauth2/v2.0/authorize',
			accessTokenUrl: '=https://login.microsoftonline.com/{{$self["tenantId"]}}/oauth2/v2.0/token',
			loginQuery: 'response_mode=query',
			authentication: 'body',
			clientHints: {
				clientId:
					'Microsoft Entra admin center → App registrations → your app → Overview → "Application (client) ID". Add n8n\'s OAuth Redirect URL under Authentication → Web.',
				clientSecret:
					'Microsoft Entra admin center → App registrations → your app → Certificates & secrets → New client secret → copy the "Value" (not the Secret ID)',
			},
			scope: {
				kind: 'withOfflineAccess',
				default: 'openid User.Read',
				description:
					'Delegated permissions the workflows need, e.g. Mail.Read Files.ReadWrite, as granted under API permissions.',
			},
			tokenExpiredStatusCodes: 401,
			test: {
				url: 'https://graph.microsoft.com/v1.0/me',
				description: "Microsoft Graph's /me answers tokens with the User.Read scope (in the default scopes).",
			},
		}),
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
