import { createHash } from 'crypto';

import type { SecretForm } from './redactScan';
import {
	isTokenChar,
	parameterValueEnd,
	quotedValueEnd,
	replaceJwts,
	replaceSecretForms,
	secretSpellings,
} from './redactScan';

/**
 * Secret hygiene (docs/ARCHITECTURE.md#secrets): nothing the package outputs, logs or throws may carry a token,
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

const MARKER_OPENING = '[redacted ';
const redactionMarker = (secret: string): string => `${MARKER_OPENING}${fingerprint(secret)}]`;

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

export const normalizeKey = (key: string): string => key.toLowerCase().replace(/[\s_-]/g, '');

/** Whether a property name holds a secret value (`clientSecret`, `oauthTokenData.access_token`, …). */
export function isSecretKey(key: string): boolean {
	const normalized = normalizeKey(key);
	if (SECRET_KEY_NAMES.has(normalized)) return true;
	if (NON_SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix))) return false;
	return SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/**
 * How much of one text the redaction reads: 64 KiB (65,536 UTF-16 code units). Longer text is cut
 * first, at a point that splits neither a redaction marker nor a run of token characters, and ends in
 * `[truncated: N more characters]`; the patterns below then only ever see a bounded text. Callers that
 * must keep their own tail (a message's remediation steps) cap the untrusted part first, see
 * `redactedSnippet`.
 */
export const MAX_REDACT_TEXT_LENGTH = 65_536;

// Every pattern here is linear: one quantifier per character class, no nested or overlapping ones, and
// each match can only end at a character its run cannot take (test/unit/regexSafety.test.ts checks them).
// Patterns are compiled once; each `replace` call resets their lastIndex because they are global.

/** RFC 6750 b64token after `Bearer`. Prose ("Bearer token", `Bearer error="…"`) must survive, see `looksLikeToken`. */
export const BEARER_PATTERN = /\b(Bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi;

/**
 * RFC 7617 credentials after `Basic`; only base64 that decodes to `user:password` counts, and only when
 * the run ends there (a third `=` means it is something else; checked in the replacer, not by a lookahead).
 */
export const BASIC_PATTERN = /\b(Basic)(\s+)([A-Za-z0-9+/]{4,}={0,2})/gi;
const BASE64_CHAR = /[A-Za-z0-9+/=]/;

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
/** `name=`; the value after it is read by `parameterValueEnd`. */
export const PARAM_PATTERN = new RegExp(`(^|[?&#;\\s"'])(${PARAM_NAMES.join('|')})=`, 'gi');

/** An OAuth authorization `code` only counts inside a query/form string (`?code=` / `&code=`), never in prose. */
export const CODE_PARAM_PATTERN = /([?&#])(code)=/gi;

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
const JSON_KEY_ALTERNATIVES = JSON_KEYS.join('|');
/** The key (bare or in either quotes), the separator and the opening quote; the value is read by `quotedValueEnd`. */
export const JSON_VALUE_PATTERN = new RegExp(
	`("(?:${JSON_KEY_ALTERNATIVES})"|'(?:${JSON_KEY_ALTERNATIVES})'|\\b(?:${JSON_KEY_ALTERNATIVES}))\\s*[:=]\\s*["']`,
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

// ---------------------------------------------------------------------------------------------
// Known secrets

/** Every spelling of every secret of at least MIN_KNOWN_SECRET_LENGTH, longest first. */
function knownSecretForms(secrets: Iterable<string>): SecretForm[] {
	const markers = new Map<string, string>();
	for (const secret of secrets) {
		if (typeof secret !== 'string' || secret.length < MIN_KNOWN_SECRET_LENGTH) continue;
		const marker = redactionMarker(secret);
		for (const form of secretSpellings(secret)) if (!markers.has(form)) markers.set(form, marker);
	}
	// Longest first, so a secret that contains another one is replaced whole.
	return [...markers].map(([form, marker]) => ({ form, marker })).sort((a, b) => b.form.length - a.form.length);
}

/** Every pattern below needs one of these; most log lines and messages have none and skip the regexes. */
const MAY_HOLD_CREDENTIAL = /[=:]|eyJ|bearer|basic/i;

// Parameter and JSON values are read by loops (redactScan.ts) after their regex found the name: the
// regexes stay fixed prefixes, and a value can only end at the first character its run cannot take.

/** Already a marker (redaction runs twice over some texts). */
const isRedacted = (value: string): boolean => value.startsWith(MARKER_OPENING.trimEnd());

/**
 * Each match of `prefix`, with the value `valueOf` reads after it, replaced by `prefix` + marker. A match
 * whose value is empty or already redacted is skipped, and the search goes on from its next character.
 */
function replaceValues(
	text: string,
	prefix: RegExp,
	valueOf: (match: RegExpExecArray) => { value: string; end: number; close: string },
): string {
	let result = '';
	let copied = 0;
	prefix.lastIndex = 0;
	for (let match = prefix.exec(text); match !== null; match = prefix.exec(text)) {
		const { value, end, close } = valueOf(match);
		if (value === '' || isRedacted(value)) {
			prefix.lastIndex = match.index + 1;
			continue;
		}
		result += `${text.slice(copied, match.index)}${match[0]}${redactionMarker(value)}${close}`;
		copied = prefix.lastIndex = end;
	}
	return copied === 0 ? text : result + text.slice(copied);
}

function parameterValue(match: RegExpExecArray): { value: string; end: number; close: string } {
	const from = match.index + match[0].length;
	const end = parameterValueEnd(match.input, from);
	return { value: match.input.slice(from, end), end, close: '' };
}

/** A value whose closing quote is missing (a body cut short) is redacted up to the end of its line. */
function quotedValue(match: RegExpExecArray): { value: string; end: number; close: string } {
	const from = match.index + match[0].length;
	const quote = match[0].charAt(match[0].length - 1);
	const valueEnd = quotedValueEnd(match.input, from, quote);
	const close = match.input.charAt(valueEnd) === quote ? quote : '';
	return { value: match.input.slice(from, valueEnd), end: valueEnd + close.length, close };
}

function replaceCredentialPatterns(text: string): string {
	if (!MAY_HOLD_CREDENTIAL.test(text)) return text;
	const withoutTokens = replaceJwts(text, redactionMarker)
		.replace(BEARER_PATTERN, (match, scheme: string, space: string, token: string) =>
			looksLikeToken(token) ? `${scheme}${space}${redactionMarker(token)}` : match,
		)
		.replace(
			BASIC_PATTERN,
			(match, scheme: string, space: string, credentials: string, offset: number, whole: string) =>
				!BASE64_CHAR.test(whole.charAt(offset + match.length)) && looksLikeBasicCredentials(credentials)
					? `${scheme}${space}${redactionMarker(credentials)}`
					: match,
		);
	const withoutJsonValues = replaceValues(withoutTokens, JSON_VALUE_PATTERN, quotedValue);
	return replaceValues(
		replaceValues(withoutJsonValues, PARAM_PATTERN, parameterValue),
		CODE_PARAM_PATTERN,
		parameterValue,
	);
}

// ---------------------------------------------------------------------------------------------
// The size cap

/** A cut inside a redaction marker moves to its start: a marker cut short tells nothing. */
function beforeOpenMarker(text: string, cut: number): number {
	const opening = cut === 0 ? -1 : text.lastIndexOf(MARKER_OPENING, cut - 1);
	return opening !== -1 && text.indexOf(']', opening) >= cut ? opening : cut;
}

/**
 * Where to cut text (known secrets already replaced) so that it keeps at most `limit` characters and
 * the part kept holds no head of a secret: never inside a redaction marker, and never inside a run
 * of token characters (a token nobody told us about, cut short, would no longer match its pattern).
 */
function safeCutIndex(text: string, limit: number): number {
	let cut = beforeOpenMarker(text, limit);
	if (cut < text.length && isTokenChar(text.charCodeAt(cut))) {
		while (cut > 0 && isTokenChar(text.charCodeAt(cut - 1))) cut--;
	}
	return cut;
}

function redactWithForms(text: string, forms: readonly SecretForm[]): string {
	if (text === '') return text;
	const replaced = replaceSecretForms(text, forms);
	if (replaced.length <= MAX_REDACT_TEXT_LENGTH) return replaceCredentialPatterns(replaced);
	const cut = safeCutIndex(replaced, MAX_REDACT_TEXT_LENGTH);
	return `${replaceCredentialPatterns(replaced.slice(0, cut))}[truncated: ${replaced.length - cut} more characters]`;
}

/**
 * Replaces every known secret (length ≥ 4, in any spelling `spellingsOf` lists) by `[redacted sha256:…]`,
 * then redacts text that looks like a credential even when nobody told us about it: `Bearer …`,
 * `Basic …`, JWTs, `access_token=` style parameters, `?code=` and JSON values of secret-named keys.
 * Text longer than MAX_REDACT_TEXT_LENGTH is cut before any pattern runs (see there).
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
	if (text === '') return text;
	return redactWithForms(text, knownSecretForms(secrets));
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

export interface SnippetOptions {
	/** Collapse whitespace runs to one space and trim: a one-line snippet. */
	singleLine?: boolean;
	/** Appended when the snippet was cut short (e.g. `…`). */
	ellipsis?: string;
}

/**
 * The one way to shorten text that may hold a secret: redacted first, then cut to `maxLength`, so a
 * token cut in half by the limit has already been recognised and replaced whole.
 */
export function redactedSnippet(
	text: string,
	secrets: Iterable<string>,
	maxLength: number,
	options: SnippetOptions = {},
): string {
	let redacted = redactText(text, secrets);
	if (options.singleLine === true) redacted = redacted.replace(/\s+/g, ' ').trim();
	if (redacted.length <= maxLength) return redacted;
	let cut = beforeOpenMarker(redacted, Math.max(0, maxLength));
	// Never leave half of a surrogate pair behind.
	if (cut > 0 && isHighSurrogate(redacted.charCodeAt(cut - 1))) cut--;
	return `${redacted.slice(0, cut)}${options.ellipsis ?? ''}`;
}

const CIRCULAR_MARKER = '[circular]';
const TRUNCATED_MARKER = '[truncated]';

function redactSecretValue(value: unknown): unknown {
	if (value === undefined || value === null || value === '') return value;
	if (typeof value === 'string') return redactionMarker(value);
	return '[redacted]';
}

/**
 * A redacted deep copy: strings go through `redactText` (size cap included), values of secret-named keys are replaced whole,
 * cycles become `[circular]` and anything deeper than MAX_REDACT_DEPTH becomes `[truncated]`.
 * Errors become plain objects (name, message, stack and own fields) because their text is what leaks.
 */
export function redactDeep<T>(value: T, secrets: Iterable<string> = []): T {
	const forms = knownSecretForms(secrets);
	const onPath = new WeakSet<object>();

	const walk = (current: unknown, depth: number): unknown => {
		if (typeof current === 'string') return redactWithForms(current, forms);
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
