/**
 * A credential's token state, read out of decrypted credential data (pure; docs/ARCHITECTURE.md#credential-families):
 * each family keeps its token fields in a different place, and both are read into one shape here. Also
 * the lifetimes this process learned from its own refreshes, so a manual credential that stores only
 * an absolute expiry still has a lifetime.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import type { CredentialTypeInfo } from '../credentialCatalog';
import { isRecord } from '../errors/facts';
import type { ExpiryInfo } from '../oauth/expiry';
import { resolveExpiry } from '../oauth/expiry';
import type { JwtClaims } from '../oauth/jwt';
import { decodeJwtClaims } from '../oauth/jwt';
import type { RetryPolicy } from '../http/retry';
import { fingerprint } from '../security/redact';
import { collectSecrets } from '../security/secretCollection';
import { RecentMemory } from './recentMemory';

export interface SelectedCredential {
	type: string;
	info: CredentialTypeInfo;
	id?: string;
	name?: string;
}

/** How messages name a credential: its name, or its type when it has none. */
export const credentialLabel = (selected: SelectedCredential): string => selected.name ?? selected.type;

export interface TokenState {
	refreshTokenPresent: boolean;
	expiry: ExpiryInfo;
	scope?: string;
	tokenType?: string;
	tokenFingerprint: string;
	/** Connect family: an access token is stored. Manual family: a refresh token is stored. */
	connected: boolean;
	claims: JwtClaims | null;
	/** For redaction only, never output. */
	secrets: string[];
	/** How long the current access token was issued for (expires_in, or JWT exp − iat), when known. */
	lifetimeMs: number | null;
}

/** A read credential with the access token itself, for signing requests. Never output. */
export interface CredentialToken {
	state: TokenState;
	accessToken: string;
	refreshToken: string;
	data: ICredentialDataDecryptedObject;
}

export const stringField = (value: unknown): string => (typeof value === 'string' ? value : '');

function positiveSeconds(value: unknown): number | null {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : null;
}

function scopeText(value: unknown): string | undefined {
	if (Array.isArray(value)) return value.filter((item) => typeof item === 'string').join(' ') || undefined;
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** n8n stores `oauthTokenData` as an object; an imported credential can carry it as JSON text. */
export function oauthTokenDataOf(data: ICredentialDataDecryptedObject): Record<string, unknown> | undefined {
	const raw = data.oauthTokenData;
	if (isRecord(raw)) return raw;
	if (typeof raw !== 'string' || raw.trim() === '') return undefined;
	try {
		const parsed: unknown = JSON.parse(raw);
		return isRecord(parsed) ? parsed : undefined;
	} catch {
		// Not JSON: treated like a credential that was never connected.
		return undefined;
	}
}

function lifetimeFrom(expiresInSeconds: number | null, claims: JwtClaims | null): number | null {
	if (expiresInSeconds !== null) return expiresInSeconds * 1000;
	if (claims?.exp !== undefined && claims.iat !== undefined && claims.exp > claims.iat)
		return (claims.exp - claims.iat) * 1000;
	return null;
}

/** The token fields each family keeps in a different place, read into one shape. */
interface StoredToken {
	accessToken: string;
	refreshToken: string;
	expiry: ExpiryInfo;
	scope?: string;
	tokenType?: string;
	/** The manual family counts as connected once it holds a refresh token; the Connect family once it holds an access token. */
	connected: boolean;
	expiresInSeconds: number | null;
}

function storedToken(selected: SelectedCredential, data: ICredentialDataDecryptedObject): StoredToken {
	if (selected.info.family === 'manual') {
		const accessToken = stringField(data.accessToken);
		const refreshToken = stringField(data.refreshToken).trim();
		return {
			accessToken,
			refreshToken,
			expiry: resolveExpiry({ accessToken, expiresAt: data.expiresAt }),
			scope: scopeText(data.scope),
			tokenType: 'Bearer',
			connected: refreshToken !== '',
			expiresInSeconds: null,
		};
	}
	const tokenData = oauthTokenDataOf(data);
	const accessToken = stringField(tokenData?.access_token);
	const tokenType = stringField(tokenData?.token_type);
	return {
		accessToken,
		refreshToken: stringField(tokenData?.refresh_token),
		expiry: resolveExpiry(tokenData),
		scope: scopeText(tokenData?.scope),
		tokenType: tokenType === '' ? undefined : tokenType,
		connected: accessToken !== '',
		expiresInSeconds: positiveSeconds(tokenData?.expires_in),
	};
}

/**
 * Lifetimes of tokens this process obtained, by fingerprint. The manual credential stores only an
 * absolute expiry; knowing the lifetime keeps the proactive margin below half of it (expirySignal.ts
 * proactiveMarginMs), so short-lived tokens are not refreshed on every request.
 */
const knownLifetimes = new RecentMemory<number>({ maxEntries: 1000, ttlMs: Number.POSITIVE_INFINITY });

export function learnLifetime(result: RefreshResult, refreshedAtMs: number): void {
	if (result.expiresAtMs === null || result.expiresAtMs <= refreshedAtMs) return;
	knownLifetimes.set(result.tokenFingerprint, result.expiresAtMs - refreshedAtMs, refreshedAtMs);
}

export function forgetKnownLifetimes(): void {
	knownLifetimes.clear();
}

/** Reads the token fields of either family out of decrypted credential data. */
export function tokenFromCredentialData(
	selected: SelectedCredential,
	data: ICredentialDataDecryptedObject,
): CredentialToken {
	const stored = storedToken(selected, data);
	const { accessToken, refreshToken } = stored;
	const claims = accessToken === '' ? null : decodeJwtClaims(accessToken);
	const tokenFingerprint = fingerprint(accessToken);
	return {
		accessToken,
		refreshToken,
		data,
		state: {
			refreshTokenPresent: refreshToken !== '',
			expiry: stored.expiry,
			...(stored.scope === undefined ? {} : { scope: stored.scope }),
			...(stored.tokenType === undefined ? {} : { tokenType: stored.tokenType }),
			tokenFingerprint,
			connected: stored.connected,
			claims,
			secrets: collectSecrets(data),
			lifetimeMs:
				lifetimeFrom(stored.expiresInSeconds, claims) ?? knownLifetimes.get(tokenFingerprint, Date.now()) ?? null,
		},
	};
}

export interface RefreshResult {
	expiresAtMs: number | null;
	tokenFingerprint: string;
	refreshTokenRotated?: boolean;
	/** Token endpoint attempts; 0 when another caller had just refreshed and its token was taken over. */
	attempts: number;
	durationMs: number;
}

export interface RefreshedToken {
	result: RefreshResult;
	token: CredentialToken;
}

export interface RefreshOptions {
	/** Retry limits for transient token endpoint failures, for both families (DEFAULT_RETRY_POLICY otherwise). */
	policy?: RetryPolicy;
}

/** What a refresh produced, compared with the token it replaced. */
export function refreshResultOf(
	token: CredentialToken,
	previous: CredentialToken,
	attempts: number,
	durationMs: number,
): RefreshResult {
	return {
		expiresAtMs: token.state.expiry.expiresAtMs,
		tokenFingerprint: token.state.tokenFingerprint,
		...(token.refreshToken === '' ? {} : { refreshTokenRotated: token.refreshToken !== previous.refreshToken }),
		attempts,
		durationMs,
	};
}
