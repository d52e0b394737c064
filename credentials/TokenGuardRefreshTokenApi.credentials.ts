import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
} from 'n8n-workflow';
import { sleep, UserError } from 'n8n-workflow';

import { credentialEndpointBoundary } from '../nodes/shared/security/domainRestriction.adapter';
import { isTokenGuardError } from '../nodes/shared/errors/errors';
import {
	readRefreshGrantConfig,
	retryPolicyFromData,
	toPersistedTokenFields,
} from '../nodes/shared/refresh/manualCredential';
import { performRefreshGrant } from '../nodes/shared/refresh/manualGrant';
import { redactText } from '../nodes/shared/security/redact';
import { collectSecrets } from '../nodes/shared/security/secretCollection';
import { introspectionUrlField, TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * A refresh token obtained outside n8n (provider console, OAuth playground, CLI, M2M), kept alive by
 * n8n's generic pre-authentication path (docs/ARCHITECTURE.md#credential-families): n8n calls `preAuthentication` when the hidden
 * expirable `accessToken` is empty, after a 401, and on every credential test, and persists every key
 * it returns — including a rotated refresh token.
 */
export class TokenGuardRefreshTokenApi implements ICredentialType {
	name = 'tokenGuardRefreshTokenApi';

	displayName = 'Token Guard Refresh Token (Manual) API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://github.com/token-guard/n8n-nodes-token-guard#token-guard-refresh-token-manual-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://oauth2.googleapis.com/token',
			description:
				"The provider's OAuth2 token endpoint: in its OAuth docs, or as token_endpoint at <issuer>/.well-known/openid-configuration",
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description:
				"The client ID of the OAuth app the refresh token was issued to, from the provider's developer console",
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The client secret of that OAuth app, from the provider's developer console. Leave empty for a public client (e.g. a CLI or PKCE app without a secret).",
		},
		{
			displayName: 'Client Authentication',
			name: 'clientAuthentication',
			type: 'options',
			options: [
				{
					name: 'Send as Basic Auth Header',
					value: 'header',
					description: 'client_secret_basic: the method every OAuth2 server must support',
				},
				{
					name: 'Send in Body',
					value: 'body',
					description: 'client_secret_post: client_id and client_secret as form fields',
				},
			],
			default: 'header',
			description:
				'How the token endpoint wants the client credentials: the provider docs, or token_endpoint_auth_methods_supported in its discovery document, say which',
		},
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The refresh token from wherever you authorized (OAuth playground, provider console, CLI). It is issued only when offline access was requested. If the provider rotates it, Token Guard stores each new one here.',
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: '',
			placeholder: 'e.g. openid profile',
			description:
				'Optional. Leave empty to keep the scopes originally granted (recommended); a provider may reject a refresh that asks for more',
		},
		{
			displayName: 'Test URL',
			name: 'testUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://openidconnect.googleapis.com/v1/userinfo',
			description:
				"Optional. An API URL that answers GET with the access token, such as the provider's userinfo endpoint. With it, the credential test also proves the API accepts the new token.",
		},
		{
			displayName: 'Audience',
			name: 'audience',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://api.example.com',
			description:
				'Optional. Only for providers that want an audience on refresh (Auth0-style APIs); see their token endpoint docs.',
		},
		{
			displayName: 'Extra Parameters',
			name: 'extraParameters',
			type: 'string',
			default: '',
			placeholder: 'e.g. resource=https://api.example.com&tenant=acme',
			description:
				"Optional extra form parameters for the token request, URL-encoded as key=value&key2=value2, from the provider's token endpoint docs",
		},
		{
			displayName: 'Allow Insecure HTTP',
			name: 'allowInsecureHttp',
			type: 'boolean',
			default: false,
			description:
				'Whether to allow a plain http:// Token URL on a host other than 127.0.0.1, localhost or ::1. Off by default because the client secret and refresh token would cross the network unencrypted.',
		},
		introspectionUrlField,
		{
			displayName:
				'For refresh tokens you already have. n8n does not lock this kind of credential across queue-mode workers: if your provider rotates refresh tokens and you run several workers, prefer a Token Guard OAuth2 credential with the Connect button.',
			name: 'manualNotice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Expires At',
			name: 'expiresAt',
			type: 'hidden',
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
		const config = readRefreshGrantConfig(credentials);
		if (!config.ok) {
			throw new UserError(
				`Token Guard Refresh Token credential, field "${config.error.field}": ${config.error.message}`,
			);
		}
		// The token URL is the credential's own endpoint: its domain list applies, and no redirect is followed,
		// since a 307 would re-send the refresh token and client secret to wherever it points.
		const boundary = credentialEndpointBoundary(credentials, config.value.tokenUrl);
		try {
			// A Token Guard node passes its own retry limits along with the data; n8n's own calls use the defaults.
			const { tokens } = await performRefreshGrant(
				async (options) => await this.helpers.httpRequest({ ...options, ...boundary }),
				config.value,
				{ policy: retryPolicyFromData(credentials), sleep },
			);
			// Every returned key is persisted; refreshToken is always included so a rotated one is kept.
			return { ...toPersistedTokenFields(tokens) };
		} catch (error) {
			// TokenGuardError messages are already secret-free; anything else is rebuilt from its redacted
			// message alone, since the original error object can carry the request body.
			if (isTokenGuardError(error)) throw error;
			const message = error instanceof Error ? error.message : String(error);
			throw new UserError(`Token refresh failed: ${redactText(message, collectSecrets(credentials))}`);
		}
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '=Bearer {{$credentials.accessToken}}' },
		},
	};

	// n8n runs preAuthentication (the refresh grant) before every credential test, so a failed refresh
	// already fails the test with its own message. The request then needs something that answers GET:
	// - Test URL set: GET it with the new token; a 4xx/5xx fails the test (401/403 explained below).
	// - Test URL empty: GET the token URL with HTTP errors ignored. Token endpoints answer GET with
	//   400/405, which would wrongly fail an honest test, so only reaching the host counts; the real
	//   check was the refresh that just succeeded.
	// `ignoreHttpStatusErrors` is an expression here (n8n resolves every request field), hence the cast.
	test: ICredentialTestRequest = {
		request: {
			method: 'GET',
			url: '={{ $credentials.testUrl || $credentials.tokenUrl }}',
			ignoreHttpStatusErrors: '={{ !$credentials.testUrl }}' as unknown as boolean,
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'The token was refreshed, but the Test URL rejected it (401). Check that the Test URL belongs to the API this token is for.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'The token was refreshed, but the Test URL refused it (403): the token lacks a scope or permission that URL needs.',
				},
			},
		],
	};
}
