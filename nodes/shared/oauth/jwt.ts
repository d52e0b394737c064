/**
 * Reads the claims of a JWT access token so the engine can learn its expiry and scopes when the
 * token response did not say (no `expires_in`, tokens imported from elsewhere).
 * The signature is NOT verified: the provider verifies its own tokens, we only read hints from them.
 */

export interface JwtClaims {
	exp?: number;
	iat?: number;
	nbf?: number;
	aud?: string | string[];
	/** Microsoft and others put scopes here (string or array) instead of `scope`. */
	scp?: string | string[];
	scope?: string;
	iss?: string;
	sub?: string;
	[claim: string]: unknown;
}

/** base64url, also accepting the standard alphabet and `=` padding some issuers leave in. */
const BASE64_SEGMENT = /^[A-Za-z0-9_\-+/]+={0,2}$/;

const NUMERIC_CLAIMS = ['exp', 'iat', 'nbf'] as const;
const STRING_CLAIMS = ['scope', 'iss', 'sub'] as const;
const STRING_OR_LIST_CLAIMS = ['aud', 'scp'] as const;

const decodeJsonSegment = (segment: string): Record<string, unknown> | null => {
	if (!BASE64_SEGMENT.test(segment)) return null;
	try {
		const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64').toString('utf8'));
		return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
			? (parsed as Record<string, unknown>)
			: null;
	} catch {
		// Not JSON: the token is opaque, which is an ordinary answer, not an error.
		return null;
	}
};

const toNumericDate = (value: unknown): number | undefined => {
	const numeric = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof numeric === 'number' && Number.isFinite(numeric) ? numeric : undefined;
};

const isStringList = (value: unknown): value is string[] =>
	Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Claims of a compact JWS (`header.payload.signature`), or null for opaque tokens, JWE (encrypted,
 * five segments) and anything malformed. Never throws. Registered claims of the wrong type are
 * dropped so callers can trust the declared types; numeric strings in exp/iat/nbf are accepted.
 */
export function decodeJwtClaims(token: string): JwtClaims | null {
	if (typeof token !== 'string') return null;
	const segments = token.trim().split('.');
	if (segments.length !== 3) return null;
	const [headerSegment, payloadSegment] = segments;
	// Requiring a JSON header keeps dotted opaque tokens from being mistaken for JWTs.
	if (decodeJsonSegment(headerSegment) === null) return null;
	const payload = decodeJsonSegment(payloadSegment);
	if (payload === null) return null;

	const claims: JwtClaims = { ...payload };
	for (const name of NUMERIC_CLAIMS) {
		if (!(name in payload)) continue;
		const value = toNumericDate(payload[name]);
		if (value === undefined) delete claims[name];
		else claims[name] = value;
	}
	for (const name of STRING_CLAIMS) {
		if (name in payload && typeof payload[name] !== 'string') delete claims[name];
	}
	for (const name of STRING_OR_LIST_CLAIMS) {
		if (name in payload && typeof payload[name] !== 'string' && !isStringList(payload[name])) delete claims[name];
	}
	return claims;
}
