import { createHash } from 'crypto';

/**
 * Secret hygiene (DESIGN.md §5.3): nothing the package outputs, logs or throws may carry a token,
 * client secret or signing secret. Known secrets are replaced by a fingerprint so two outputs can
 * still be correlated; credential-looking text we were not told about is caught by patterns.
 */

/** Secrets shorter than this are not replaced verbatim: they would mangle ordinary words and numbers. */
export const MIN_KNOWN_SECRET_LENGTH = 4;

/** How deep `redactDeep` walks before it stops copying (error objects can nest absurdly deep). */
export const MAX_REDACT_DEPTH = 12;

/** What an absent or empty secret fingerprints to, so "no token" is distinguishable from a token. */
export const EMPTY_FINGERPRINT = 'none';

const FINGERPRINT_HEX_LENGTH = 12;

/** `sha256:` + the first 12 hex characters of the SHA-256 of the secret; `none` for an empty secret. */
export function fingerprint(secret: string): string {
	if (secret === '') return EMPTY_FINGERPRINT;
	const digest = createHash('sha256').update(secret, 'utf8').digest('hex');
	return `sha256:${digest.slice(0, FINGERPRINT_HEX_LENGTH)}`;
}

const redactionMarker = (secret: string): string => `[redacted ${fingerprint(secret)}]`;

/**
 * Key names whose values are secrets, compared after lower-casing and dropping `_`, `-` and spaces
 * (so `access_token`, `accessToken` and `Access-Token` are one name).
 */
const SECRET_KEY_NAMES = new Set([
	'accesstoken',
	'refreshtoken',
	'idtoken',
	'token',
	'clientsecret',
	'secret',
	'signingsecret',
	'password',
	'passwd',
	'apikey',
	'xapikey',
	'authorization',
	'proxyauthorization',
	'cookie',
	'setcookie',
	'clientassertion',
	'privatekey',
	'jweprivatekey',
	'sessiontoken',
]);

/** Suffixes that mark a secret even on names we did not list (`githubToken`, `webhookSecret`). */
const SECRET_KEY_SUFFIXES = ['token', 'secret', 'password', 'apikey', 'privatekey'];

/** Names ending like a secret that are not one: pagination cursors and sync markers must stay usable. */
const NON_SECRET_KEY_SUFFIXES = ['pagetoken', 'synctoken', 'continuationtoken', 'cursortoken'];

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[\s_-]/g, '');

/** Whether a property name holds a secret value (`clientSecret`, `oauthTokenData.access_token`, …). */
export function isSecretKey(key: string): boolean {
	const normalized = normalizeKey(key);
	if (SECRET_KEY_NAMES.has(normalized)) return true;
	if (NON_SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix))) return false;
	return SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

// Patterns are compiled once; each `replace` call resets their lastIndex because they are global.

/** RFC 6750 b64token after `Bearer`. Prose ("Bearer token", `Bearer error="…"`) must survive, see `looksLikeToken`. */
const BEARER_PATTERN = /\b(Bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi;

/** RFC 7617 credentials after `Basic`; only base64 that decodes to `user:password` counts. */
const BASIC_PATTERN = /\b(Basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])/gi;

/** A JWT/JWS/JWE compact serialization: the header always starts with base64url of `{"`. */
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?/g;

/** Credential parameters in query strings, form bodies and URL fragments. */
const PARAM_NAMES = [
	'access_token',
	'refresh_token',
	'id_token',
	'client_secret',
	'client_assertion',
	'password',
	'api_key',
	'apikey',
	'token',
];
const PARAM_PATTERN = new RegExp(
	`(^|[?&#;\\s"'])(${PARAM_NAMES.join('|')})=(?!\\[redacted)([^&\\s#"',;]+)`,
	'gi',
);

/** An OAuth authorization `code` only counts inside a query/form string (`?code=` / `&code=`), never in prose. */
const CODE_PARAM_PATTERN = /([?&#])(code)=(?!\[redacted)([^&\s#"',;]+)/gi;

/** JSON (double quotes) and inspected-object (single quotes) string values of secret-named keys. */
const JSON_KEYS = [
	'access_token',
	'refresh_token',
	'id_token',
	'client_secret',
	'accessToken',
	'refreshToken',
	'idToken',
	'clientSecret',
	'password',
	'api_key',
	'apiKey',
	'authorization',
	'signingSecret',
];
const JSON_VALUE_PATTERN = new RegExp(
	`(["']?)\\b(${JSON_KEYS.join('|')})\\1(\\s*[:=]\\s*)(["'])(?!\\[redacted)((?:(?!\\4)[^\\\\]|\\\\.)+)\\4`,
	'gi',
);

const HAS_DIGIT_OR_SYMBOL = /[0-9\-._~+/=]/;

/** Tokens carry digits or symbols; plain words ("Bearer authentication") do not, unless implausibly long. */
function looksLikeToken(candidate: string): boolean {
	if (candidate.length >= 20) return true;
	return candidate.length >= 8 && HAS_DIGIT_OR_SYMBOL.test(candidate);
}

function looksLikeBasicCredentials(candidate: string): boolean {
	if (candidate.length % 4 !== 0) return false;
	const decoded = Buffer.from(candidate, 'base64').toString('utf8');
	return decoded.includes(':') && !decoded.includes('\uFFFD');
}

function uniqueKnownSecrets(secrets: Iterable<string>): string[] {
	const unique = new Set<string>();
	for (const secret of secrets) {
		if (typeof secret === 'string' && secret.length >= MIN_KNOWN_SECRET_LENGTH) unique.add(secret);
	}
	// Longest first, so a secret that contains another one is replaced whole.
	return [...unique].sort((a, b) => b.length - a.length);
}

function replaceKnownSecrets(text: string, knownSecrets: readonly string[]): string {
	let result = text;
	for (const secret of knownSecrets) {
		if (result.includes(secret)) result = result.split(secret).join(redactionMarker(secret));
		// Form bodies and URLs carry secrets percent-encoded (Google refresh tokens contain `/`).
		const encoded = encodeURIComponent(secret);
		if (encoded !== secret && result.includes(encoded)) {
			result = result.split(encoded).join(redactionMarker(secret));
		}
	}
	return result;
}

/** Every pattern below needs one of these; most log lines and messages have none and skip the regexes. */
const MAY_HOLD_CREDENTIAL = /[=:]|eyJ|bearer|basic/i;

function replaceCredentialPatterns(text: string): string {
	if (!MAY_HOLD_CREDENTIAL.test(text)) return text;
	return text
		.replace(JWT_PATTERN, (jwt) => redactionMarker(jwt))
		.replace(BEARER_PATTERN, (match, scheme: string, space: string, token: string) =>
			looksLikeToken(token) ? `${scheme}${space}${redactionMarker(token)}` : match,
		)
		.replace(BASIC_PATTERN, (match, scheme: string, space: string, credentials: string) =>
			looksLikeBasicCredentials(credentials) ? `${scheme}${space}${redactionMarker(credentials)}` : match,
		)
		.replace(
			JSON_VALUE_PATTERN,
			(_match, keyQuote: string, key: string, separator: string, valueQuote: string, value: string) =>
				`${keyQuote}${key}${keyQuote}${separator}${valueQuote}${redactionMarker(value)}${valueQuote}`,
		)
		.replace(PARAM_PATTERN, (_match, lead: string, name: string, value: string) => `${lead}${name}=${redactionMarker(value)}`)
		.replace(CODE_PARAM_PATTERN, (_match, lead: string, name: string, value: string) => `${lead}${name}=${redactionMarker(value)}`);
}

/**
 * Replaces every known secret (length ≥ 4) by `[redacted sha256:…]`, then redacts text that looks like
 * a credential even when nobody told us about it: `Bearer …`, `Basic …`, JWTs, `access_token=` style
 * parameters, `?code=` and JSON values of secret-named keys.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
	if (text === '') return text;
	return replaceCredentialPatterns(replaceKnownSecrets(text, uniqueKnownSecrets(secrets)));
}

const CIRCULAR_MARKER = '[circular]';
const TRUNCATED_MARKER = '[truncated]';

function redactSecretValue(value: unknown): unknown {
	if (value === undefined || value === null || value === '') return value;
	if (typeof value === 'string') return redactionMarker(value);
	return '[redacted]';
}

/**
 * A redacted deep copy: strings go through `redactText`, values of secret-named keys are replaced whole,
 * cycles become `[circular]` and anything deeper than MAX_REDACT_DEPTH becomes `[truncated]`.
 * Errors become plain objects (name, message, stack and own fields) because their text is what leaks.
 */
export function redactDeep<T>(value: T, secrets: Iterable<string> = []): T {
	const knownSecrets = uniqueKnownSecrets(secrets);
	const onPath = new WeakSet<object>();

	const walk = (current: unknown, depth: number): unknown => {
		if (typeof current === 'string') return replaceCredentialPatterns(replaceKnownSecrets(current, knownSecrets));
		if (typeof current !== 'object' || current === null) return current;
		if (current instanceof Date) return new Date(current.getTime());
		if (Buffer.isBuffer(current) || ArrayBuffer.isView(current)) return `[binary ${current.byteLength} bytes]`;
		if (onPath.has(current)) return CIRCULAR_MARKER;
		if (depth >= MAX_REDACT_DEPTH) return TRUNCATED_MARKER;

		onPath.add(current);
		try {
			if (Array.isArray(current)) return current.map((item) => walk(item, depth + 1));
			const copy: Record<string, unknown> = {};
			if (current instanceof Error) {
				copy.name = current.name;
				copy.message = walk(current.message, depth + 1);
				if (current.stack !== undefined) copy.stack = walk(current.stack, depth + 1);
			}
			for (const [key, field] of Object.entries(current)) {
				copy[key] = isSecretKey(key) ? redactSecretValue(field) : walk(field, depth + 1);
			}
			return copy;
		} finally {
			onPath.delete(current);
		}
	};

	return walk(value, 0) as T;
}

const MAX_COLLECT_DEPTH = 6;

/** Custom header maps (the webhook sink's `headers`) carry receiver API keys under arbitrary names. */
const HEADER_MAP_KEYS = new Set(['headers', 'customheaders']);

function collectHeaderValues(value: unknown, into: Set<string>): void {
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			return;
		}
	}
	if (typeof parsed !== 'object' || parsed === null) return;
	for (const headerValue of Object.values(parsed)) {
		if (typeof headerValue === 'string' && headerValue.trim() !== '') into.add(headerValue.trim());
	}
}

/**
 * Every secret value in decrypted credential data (clientSecret, refreshToken, accessToken, signingSecret,
 * oauthTokenData.access_token / refresh_token / id_token, password, apiKey, custom header values…),
 * ready to hand to `redactText` / `redactDeep`.
 */
export function collectSecrets(credentialData: Record<string, unknown>): string[] {
	const found = new Set<string>();

	const walk = (node: unknown, depth: number): void => {
		if (typeof node !== 'object' || node === null || depth > MAX_COLLECT_DEPTH) return;
		for (const [key, value] of Object.entries(node)) {
			if (HEADER_MAP_KEYS.has(normalizeKey(key))) {
				collectHeaderValues(value, found);
			} else if (isSecretKey(key) && typeof value === 'string') {
				if (value !== '') found.add(value);
				// Pasted secrets often carry stray whitespace; the trimmed form is what gets sent.
				if (value.trim() !== '' && value.trim() !== value) found.add(value.trim());
			} else {
				walk(value, depth + 1);
			}
		}
	};

	walk(credentialData, 0);
	return [...found];
}
