import { DateTime } from 'luxon';

import type { RefreshGrantConfig, TokenSet } from '../oauth/refreshGrant';
import { RESERVED_REFRESH_PARAMETERS } from '../oauth/refreshGrant';
import type { RetryPolicy } from '../http/retry';
import { DEFAULT_RETRY_POLICY } from '../http/retry';
import { err, ok, type Result } from '../types';
import { isLoopbackHostname } from '../security/urls';

/**
 * Reading the Token Guard Refresh Token (Manual) credential (docs/ARCHITECTURE.md#credential-families) into a refresh grant
 * config, with one error per problem naming the field the user has to fix and how. Messages never
 * repeat a field's value: most of these fields are secrets.
 */

/** The credential field at fault (its `name`) and a sentence that says what to do about it. */
export interface CredentialFieldError {
	field: string;
	message: string;
}

/** Parameters with their own field, so there is one obvious place to set them. */
const PARAMETERS_WITH_OWN_FIELD: Readonly<Record<string, string>> = { scope: 'Scope', audience: 'Audience' };

const CLIENT_AUTH_BY_OPTION: Readonly<Record<string, RefreshGrantConfig['clientAuth']>> = {
	header: 'basic',
	body: 'body',
};

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

function readTokenUrl(value: unknown, allowInsecureHttp: boolean): Result<string, CredentialFieldError> {
	const raw = text(value);
	if (raw === '') {
		return err({
			field: 'tokenUrl',
			message:
				"Token URL is empty. Enter your provider's OAuth2 token endpoint, e.g. https://oauth2.googleapis.com/token (listed in its OAuth docs or at /.well-known/openid-configuration as token_endpoint)",
		});
	}
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return err({
			field: 'tokenUrl',
			message:
				'Token URL is not a valid absolute URL. It must start with https:// and name the host, e.g. https://login.example.com/oauth2/token',
		});
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		return err({ field: 'tokenUrl', message: `Token URL must use https://, not ${url.protocol}//` });
	}
	if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname) && !allowInsecureHttp) {
		return err({
			field: 'tokenUrl',
			message: `Token URL uses plain http:// to ${url.host}, which would send the client secret and refresh token unencrypted. Use the https:// endpoint, or turn on "Allow Insecure HTTP" if this host is on a network you trust`,
		});
	}
	return ok(raw);
}

/**
 * Parses `key=value&key2=value2` (URL-encoded, as in a query string) into extra token request
 * parameters. Grant-owned parameters are refused instead of silently dropped, so the user learns why
 * a setting had no effect.
 */
export function parseExtraParameters(value: unknown): Result<Record<string, string>, CredentialFieldError> {
	const raw = text(value).replace(/^[?&]/, '');
	if (raw === '') return ok({});
	const params: Record<string, string> = {};
	for (const pair of raw.split('&')) {
		if (pair === '') continue;
		const separator = pair.indexOf('=');
		if (separator <= 0) {
			return err({
				field: 'extraParameters',
				message: 'Extra Parameters must look like key=value&key2=value2; one part has no "key=" before its value',
			});
		}
		const entries = [...new URLSearchParams(pair)];
		const [name, paramValue] = entries[0] ?? ['', ''];
		const normalized = name.trim().toLowerCase();
		if (RESERVED_REFRESH_PARAMETERS.has(normalized)) {
			return err({
				field: 'extraParameters',
				message: `Extra Parameters may not set "${name}": the refresh grant sets it from the other fields of this credential`,
			});
		}
		if (normalized in PARAMETERS_WITH_OWN_FIELD) {
			return err({
				field: 'extraParameters',
				message: `Extra Parameters may not set "${name}": use the "${PARAMETERS_WITH_OWN_FIELD[normalized]}" field instead`,
			});
		}
		params[name] = paramValue;
	}
	return ok(params);
}

/**
 * Validates and reads the manual credential's fields. Whitespace around values is dropped because
 * values are usually pasted from a console or terminal, where a trailing newline is easy to pick up.
 */
export function readRefreshGrantConfig(
	credentials: Record<string, unknown>,
): Result<RefreshGrantConfig, CredentialFieldError> {
	const tokenUrl = readTokenUrl(credentials.tokenUrl, credentials.allowInsecureHttp === true);
	if (!tokenUrl.ok) return tokenUrl;

	const clientId = text(credentials.clientId);
	if (clientId === '') {
		return err({
			field: 'clientId',
			message:
				"Client ID is empty. Copy it from the OAuth app (client) you registered in the provider's developer console",
		});
	}

	const clientAuthOption = text(credentials.clientAuthentication) || 'header';
	const clientAuth = CLIENT_AUTH_BY_OPTION[clientAuthOption];
	if (clientAuth === undefined) {
		return err({
			field: 'clientAuthentication',
			message:
				'Client Authentication must be "Send as Basic Auth Header" or "Send in Body"; re-select it in the credential',
		});
	}

	const refreshToken = text(credentials.refreshToken);
	if (refreshToken === '') {
		return err({
			field: 'refreshToken',
			message:
				'Refresh Token is empty. Paste the refresh token you obtained outside n8n (OAuth playground, provider console or CLI); it is issued only when offline access was requested',
		});
	}

	const extraParams = parseExtraParameters(credentials.extraParameters);
	if (!extraParams.ok) return extraParams;

	const clientSecret = text(credentials.clientSecret);
	const scope = text(credentials.scope);
	const audience = text(credentials.audience);
	return ok({
		tokenUrl: tokenUrl.value,
		clientId,
		...(clientSecret === '' ? {} : { clientSecret }),
		clientAuth,
		refreshToken,
		...(scope === '' ? {} : { scope }),
		...(audience === '' ? {} : { audience }),
		...(Object.keys(extraParams.value).length === 0 ? {} : { extraParams: extraParams.value }),
	});
}

/** What the credential's preAuthentication returns; n8n persists every key of it. */
export interface PersistedTokenFields {
	accessToken: string;
	/** ISO 8601 in UTC, or '' when the provider gave no lifetime. */
	expiresAt: string;
	/** Always present, so the newest refresh token (rotated or not) is what n8n stores. */
	refreshToken: string;
}

export function toPersistedTokenFields(tokens: TokenSet): PersistedTokenFields {
	const expiresAt =
		tokens.expiresAtMs === null ? '' : (DateTime.fromMillis(tokens.expiresAtMs, { zone: 'utc' }).toISO() ?? '');
	return { accessToken: tokens.accessToken, expiresAt, refreshToken: tokens.refreshToken };
}

/**
 * Where a node hands its retry limits (Max Attempts, Max Total Wait, attempt timeout) to the
 * credential's preAuthentication: a key of the decrypted data passed for that one request only. n8n
 * persists what the hook returns, never this key, so a stored credential never carries it and n8n's
 * own refreshes (after a 401 elsewhere, the credential test) use the default policy.
 */
export const RETRY_POLICY_DATA_KEY = 'tokenGuardRetryPolicy';

/** Bounds for a handed-over policy: a refresh never tries more often, or waits longer, than this. */
const RETRY_POLICY_LIMITS = {
	maxAttempts: { min: 1, max: 10 },
	maxTotalWaitMs: { min: 0, max: 300_000 },
	attemptTimeoutMs: { min: 100, max: 300_000 },
	baseDelayMs: { min: 0, max: 60_000 },
	maxDelayMs: { min: 0, max: 300_000 },
} as const satisfies Record<keyof RetryPolicy, { min: number; max: number }>;

/** The policy as plain data for RETRY_POLICY_DATA_KEY. */
export function retryPolicyToData(policy: RetryPolicy): Record<string, number> {
	const data: Record<string, number> = {
		maxAttempts: policy.maxAttempts,
		maxTotalWaitMs: policy.maxTotalWaitMs,
		baseDelayMs: policy.baseDelayMs,
		maxDelayMs: policy.maxDelayMs,
	};
	if (policy.attemptTimeoutMs !== undefined) data.attemptTimeoutMs = policy.attemptTimeoutMs;
	return data;
}

/**
 * The retry policy a node handed to the hook, each field clamped to RETRY_POLICY_LIMITS; a missing
 * or unusable field (or no policy at all) keeps the default's value.
 */
export function retryPolicyFromData(
	data: Record<string, unknown>,
	fallback: RetryPolicy = DEFAULT_RETRY_POLICY,
): RetryPolicy {
	const raw = data[RETRY_POLICY_DATA_KEY];
	const handed = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
	const policy: RetryPolicy = { ...fallback };
	for (const field of Object.keys(RETRY_POLICY_LIMITS) as Array<keyof RetryPolicy>) {
		const value = handed[field];
		if (typeof value !== 'number' || !Number.isFinite(value)) continue;
		const { min, max } = RETRY_POLICY_LIMITS[field];
		const clamped = Math.min(max, Math.max(min, value));
		policy[field] = field === 'maxAttempts' ? Math.floor(clamped) : Math.round(clamped);
	}
	return policy;
}
