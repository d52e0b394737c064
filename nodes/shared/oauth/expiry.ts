/**
 * When does a stored access token expire, and is it close enough to refresh now?
 * n8n itself refreshes only after a request has already failed (docs/ARCHITECTURE.md#what-n8n-does);
 * these functions let the nodes refresh ahead of time and report an honest "unknown" otherwise.
 */
import { DateTime } from 'luxon';

import { decodeJwtClaims } from './jwt';

/**
 * Refresh this long before expiry. Google's client libraries refresh eagerly 5 minutes ahead
 * (DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS); Nango uses 15 minutes. Five minutes covers request
 * latency and modest clock drift without refreshing short-lived tokens (e.g. Xero, 30 min) too often.
 */
export const DEFAULT_EXPIRY_MARGIN_SECONDS = 300;

export type ExpirySource = 'n8n_expires_at' | 'expires_at' | 'jwt_exp' | 'expires_in' | 'unknown';

export interface ExpiryInfo {
	expiresAtMs: number | null;
	source: ExpirySource;
}

/**
 * Below this an epoch value is read as seconds: 1e11 s is the year 5138, while 1e11 ms is 1973,
 * so no real expiry is ambiguous.
 */
const EPOCH_SECONDS_LIMIT = 1e11;

const NUMERIC_TEXT = /^\d+(\.\d+)?$/;

const toPositiveNumber = (value: unknown): number | null => {
	const numeric = typeof value === 'string' && NUMERIC_TEXT.test(value.trim()) ? Number(value.trim()) : value;
	return typeof numeric === 'number' && Number.isFinite(numeric) && numeric > 0 ? numeric : null;
};

/** Epoch seconds, epoch ms (told apart by magnitude) or an ISO 8601 string (UTC when no offset). */
const toEpochMs = (value: unknown): number | null => {
	const numeric = toPositiveNumber(value);
	if (numeric !== null) return numeric < EPOCH_SECONDS_LIMIT ? numeric * 1000 : numeric;
	if (typeof value !== 'string' || value.trim() === '') return null;
	const parsed = DateTime.fromISO(value.trim(), { zone: 'utc' });
	return parsed.isValid && parsed.toMillis() > 0 ? parsed.toMillis() : null;
};

const firstString = (data: Record<string, unknown>, keys: string[]): string | undefined => {
	for (const key of keys) {
		const value = data[key];
		if (typeof value === 'string' && value !== '') return value;
	}
	return undefined;
};

const firstValue = (data: Record<string, unknown>, keys: string[], convert: (value: unknown) => number | null) => {
	for (const key of keys) {
		const converted = convert(data[key]);
		if (converted !== null) return converted;
	}
	return null;
};

/**
 * Absolute expiry of the access token in `tokenData`, which may be n8n's `oauthTokenData`
 * (snake_case, `n8n_expires_at` as an epoch-ms string since n8n 2.33) or this package's manual
 * credential (`accessToken`, `expiresAt` as ISO or epoch ms).
 * Precedence: n8n's own stamp, then an absolute expiry, then the token's own `exp`, then
 * `expires_in` (relative, so only usable when the caller knows when the token was obtained).
 */
export function resolveExpiry(
	tokenData: Record<string, unknown> | undefined,
	options: { obtainedAtMs?: number } = {},
): ExpiryInfo {
	if (!tokenData || typeof tokenData !== 'object') return { expiresAtMs: null, source: 'unknown' };

	const n8nExpiresAt = toPositiveNumber(tokenData.n8n_expires_at);
	if (n8nExpiresAt !== null) return { expiresAtMs: n8nExpiresAt, source: 'n8n_expires_at' };

	const expiresAt = firstValue(tokenData, ['expires_at', 'expiresAt'], toEpochMs);
	if (expiresAt !== null) return { expiresAtMs: expiresAt, source: 'expires_at' };

	const accessToken = firstString(tokenData, ['access_token', 'accessToken']);
	const exp = accessToken === undefined ? undefined : decodeJwtClaims(accessToken)?.exp;
	if (exp !== undefined && exp > 0) return { expiresAtMs: exp * 1000, source: 'jwt_exp' };

	const obtainedAtMs = options.obtainedAtMs;
	const expiresIn = firstValue(tokenData, ['expires_in', 'expiresIn'], toPositiveNumber);
	if (expiresIn !== null && obtainedAtMs !== undefined && Number.isFinite(obtainedAtMs)) {
		return { expiresAtMs: obtainedAtMs + expiresIn * 1000, source: 'expires_in' };
	}

	return { expiresAtMs: null, source: 'unknown' };
}

/**
 * Milliseconds until expiry as the provider sees it (negative once expired), or null when unknown.
 * `clockSkewMs` is server time minus local time (see clock.ts). It only makes sense for expiries
 * stamped by the server's clock (`jwt_exp`, a provider's absolute `expires_at`); expiries computed
 * on this host (`n8n_expires_at`, `expires_in`) should be checked with a skew of 0.
 */
export function timeLeftMs(expiry: ExpiryInfo, nowMs: number, clockSkewMs = 0): number | null {
	if (expiry.expiresAtMs === null) return null;
	return expiry.expiresAtMs - (nowMs + clockSkewMs);
}

/** True when the token expires within `marginMs`; 'unknown' when nothing says when it expires. */
export function isExpiring(expiry: ExpiryInfo, nowMs: number, marginMs: number, clockSkewMs = 0): boolean | 'unknown' {
	if (expiry.expiresAtMs === null) return 'unknown';
	return nowMs + clockSkewMs + marginMs >= expiry.expiresAtMs;
}
