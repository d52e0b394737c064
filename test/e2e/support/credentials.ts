/**
 * Credential records for `n8n import:credentials`, seeded from grants minted at the loopback
 * authorization server, exactly as n8n stores them after a user pressed Connect (Connect-button
 * types: `oauthTokenData`) or pasted a refresh token (the manual type).
 */
import type { MintedGrant, OidcServerHandle } from '../../servers/oidcServer';

export interface CredentialRecord {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
	[key: string]: unknown;
}

/**
 * Connect-button types: ours and n8n's built-in OAuth2 types. How each sends the client secret to the
 * token endpoint is fixed by the type (Google's hidden `authentication` is `body`), so the grant must
 * belong to the client registered with that method.
 */
export const CONNECT_TYPES = {
	tokenGuardOAuth2Api: { authentication: 'header' },
	oAuth2Api: { authentication: 'header' },
	googleSheetsOAuth2Api: { authentication: 'body' },
} as const;
export type ConnectType = keyof typeof CONNECT_TYPES;

export function clientFor(oidc: OidcServerHandle, type: ConnectType): string {
	return CONNECT_TYPES[type].authentication === 'body' ? oidc.postClientId : oidc.clientId;
}

export function connectCredential(
	oidc: OidcServerHandle,
	grant: MintedGrant,
	record: { id: string; name: string; type: ConnectType },
): CredentialRecord {
	return {
		...record,
		data: {
			grantType: 'authorizationCode',
			authUrl: `${oidc.issuer}/auth`,
			accessTokenUrl: oidc.tokenUrl,
			clientId: grant.clientId,
			clientSecret: oidc.clientSecret,
			scope: grant.scope,
			authQueryParameters: '',
			authentication: CONNECT_TYPES[record.type].authentication,
			// What n8n's OAuth2 callback stores; no expires_in, as for a token whose lifetime the provider did not state.
			oauthTokenData: {
				access_token: grant.accessToken,
				refresh_token: grant.refreshToken,
				token_type: 'Bearer',
				scope: grant.scope,
			},
		},
	};
}

export function manualCredential(
	oidc: OidcServerHandle,
	grant: MintedGrant,
	record: { id: string; name: string },
	stored: { accessToken?: string; expiresAt?: string } = {},
): CredentialRecord {
	return {
		...record,
		type: 'tokenGuardRefreshTokenApi',
		data: {
			tokenUrl: oidc.tokenUrl,
			clientId: grant.clientId,
			clientSecret: oidc.clientSecret,
			clientAuthentication: grant.clientId === oidc.postClientId ? 'body' : 'header',
			refreshToken: grant.refreshToken,
			scope: '',
			audience: '',
			extraParameters: '',
			allowInsecureHttp: false,
			testUrl: '',
			accessToken: stored.accessToken ?? '',
			expiresAt: stored.expiresAt ?? '',
		},
	};
}

/** A Token Guard Webhook credential: the core package's type, or the companion's (same fields, its own name). */
export function webhookCredential(
	record: { id: string; name: string; type?: 'tokenGuardWebhookApi' | 'tokenGuardBuiltInWebhookApi' },
	url: string,
	signingSecret: string,
	headers: Record<string, string> = {},
): CredentialRecord {
	return {
		type: 'tokenGuardWebhookApi',
		...record,
		data: { url, signingSecret, headers: Object.keys(headers).length > 0 ? JSON.stringify(headers) : '' },
	};
}

/** The refresh token n8n holds for a credential, from `export:credentials --decrypted` data. */
export function storedRefreshToken(data: unknown): string | undefined {
	const record = (data ?? {}) as { oauthTokenData?: { refresh_token?: string }; refreshToken?: string };
	return record.oauthTokenData?.refresh_token ?? record.refreshToken;
}

export function storedAccessToken(data: unknown): string | undefined {
	const record = (data ?? {}) as { oauthTokenData?: { access_token?: string }; accessToken?: string };
	return record.oauthTokenData?.access_token ?? record.accessToken;
}
