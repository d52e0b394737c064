import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	connectCredentialTest,
	introspectionUrlField,
	testUrlField,
	TOKEN_GUARD_ICON,
	tokenExpiredStatusCodeField,
} from './common/credentialFields';

/**
 * Generic Connect-button OAuth2 (docs/ARCHITECTURE.md#credential-families). Unlike n8n's bare `oAuth2Api`, a type that *extends*
 * `oAuth2Api` gets n8n's refresh-on-expiry, persistence and cross-worker refresh lock, and it can say
 * which status codes mean "token expired".
 */
export class TokenGuardOAuth2Api implements ICredentialType {
	name = 'tokenGuardOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Token Guard OAuth2 API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://github.com/token-guard/n8n-nodes-token-guard#token-guard-oauth2-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			options: [
				{
					name: 'Authorization Code',
					value: 'authorizationCode',
					description: 'A user signs in once with the Connect button; n8n keeps the refresh token',
				},
				{
					name: 'Authorization Code with PKCE',
					value: 'pkce',
					description: 'Same, with a PKCE challenge; required by public clients and some providers',
				},
			],
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://login.example.com/oauth2/authorize',
			description:
				"The provider's authorization endpoint: in its OAuth docs, or as authorization_endpoint at <issuer>/.well-known/openid-configuration",
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://login.example.com/oauth2/token',
			description:
				"The provider's token endpoint: in its OAuth docs, or as token_endpoint at <issuer>/.well-known/openid-configuration",
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description:
				"From the OAuth app you registered in the provider's developer console. Register n8n's OAuth Redirect URL (shown above) there.",
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"Shown once when you create the client secret in the provider's developer console. Leave empty only for a public client using PKCE.",
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: '',
			placeholder: 'e.g. openid profile offline_access',
			description:
				"Space-separated scopes from the API's docs. Many providers only issue a refresh token when you add offline_access (or an equivalent, see Auth URI Query Parameters).",
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'string',
			default: '',
			placeholder: 'e.g. access_type=offline&prompt=consent',
			description:
				'Extra parameters for the authorization URL. Google-style providers need access_type=offline&prompt=consent to return a refresh token.',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Header',
					value: 'header',
					description: 'Send client ID and secret as a Basic Auth header (client_secret_basic)',
				},
				{
					name: 'Body',
					value: 'body',
					description: 'Send client ID and secret in the request body (client_secret_post)',
				},
			],
			default: 'header',
			description:
				'How the token endpoint wants the client credentials; the provider docs or token_endpoint_auth_methods_supported in its discovery document say which',
		},
		tokenExpiredStatusCodeField(401),
		testUrlField({
			url: '',
			description:
				"For example the provider's userinfo endpoint. Empty: the Test button only checks that a token is stored and the token URL's host answers.",
		}),
		introspectionUrlField,
	];

	test: ICredentialTestRequest = connectCredentialTest();
}
