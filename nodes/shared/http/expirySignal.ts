/**
 * Does an API answer mean "your access token has expired", and should a token be refreshed before a
 * request is even sent? n8n only looks at one status code (docs/ARCHITECTURE.md#what-n8n-does); real APIs
 * also say it with 403 (Atlassian-style gateways) or with HTTP 200 and an error body (Slack
 * `{"ok":false,"error":"token_expired"}`, Marketo codes 601/602). Pure functions, no n8n context.
 */
import type { ExpiryInfo } from '../oauth/expiry';
import { isExpiring } from '../oauth/expiry';
import { redactedSnippet } from '../security/redact';
import { isRecord, readHeader } from '../errors/facts';
import type { HttpResponseLike, Result } from '../types';
import { err, ok } from '../types';
import { bearerError } from '../oauth/wwwAuthenticate';

/** RFC 6750 §3.1: 401 is how a resource server says the token is expired or invalid. */
export const DEFAULT_EXPIRY_STATUS_CODES: readonly number[] = [401];

/** A rule or list the user typed that cannot be read, with the reason in words. */
export interface RuleParseError {
	message: string;
}

/**
 * "401", "401, 403" or "401 403" → [401, 403]. Empty text means no status code signals expiry (only the
 * body rule, if any). Every entry must be an HTTP status between 100 and 599.
 */
export function parseStatusCodes(text: string): Result<number[], RuleParseError> {
	const parts = String(text ?? '')
		.split(/[\s,;]+/)
		.filter((part) => part !== '');
	const codes: number[] = [];
	for (const part of parts) {
		if (!/^\d{3}$/.test(part) || Number(part) < 100 || Number(part) > 599) {
			return err({ message: `"${quoted(part, 20)}" is not an HTTP status code (100-599); write them like 401, 403` });
		}
		if (!codes.includes(Number(part))) codes.push(Number(part));
	}
	return ok(codes);
}

/**
 * The status codes a credential itself declares (`tokenExpiredStatusCode`: a number, or since n8n 2.40
 * a list; our provider presets set it, e.g. Atlassian 401/403), so a node using the credential agrees
 * with n8n about what "expired" looks like. Anything that is not a status code is ignored.
 */
export function credentialExpiryStatusCodes(value: unknown): number[] {
	const values = Array.isArray(value) ? value : [value];
	const codes = values
		.map((entry) => (typeof entry === 'string' && /^\d{3}$/.test(entry.trim()) ? Number(entry) : entry))
		.filter(
			(entry): entry is number => typeof entry === 'number' && Number.isInteger(entry) && entry >= 100 && entry <= 599,
		);
	return [...new Set(codes)];
}

// ---------------------------------------------------------------------------------------------
// "Expired when" body rule.
//
//   <path> = <value>                 ok = false
//   <path> in <value>,<value>,…      error in token_expired,invalid_auth
//   <condition> and <condition>      ok = false and error in token_expired,invalid_auth
//   /<regular expression>/<flags>    /"code":\s*"60[12]"/
//
// A path walks the parsed JSON body: `error`, `error.code`, `errors[0].code`; `[*]` (or `.*`) means
// "any element", so `errors[*].code in 601,602` matches Marketo's `{"errors":[{"code":"601"}]}`.
// Values compare as text, so `ok = false` matches the JSON boolean and `code in 601` matches 601 and
// "601". A regular expression is matched against the raw body text instead.

export type PathSegment = string | number | '*';

export interface BodyCondition {
	path: PathSegment[];
	/** Source text of the path, for messages. */
	pathText: string;
	values: string[];
}

export type BodyRule =
	| { kind: 'conditions'; conditions: BodyCondition[]; source: string }
	| { kind: 'regex'; pattern: RegExp; source: string };

/** How much of a body a regex rule reads: expiry markers sit near the start, bodies can be megabytes. */
export const MAX_RULE_BODY_CHARS = 65_536;

const REGEX_RULE = /^\/(.+)\/([imsu]*)$/s;
const PATH_KEY = /^[^\s.[\]=]+$/;

/** Rule text quoted in a message: redacted, then shortened. */
const quoted = (text: string, maxLength: number): string => redactedSnippet(text.trim(), [], maxLength);

// The rule is split by scanning rather than with `\s+and\s+` / `^(.+?)\s+in\s+(.+)$`, whose whitespace
// runs overlap and make a long run of spaces quadratic.

const isSpace = (char: string): boolean => char !== '' && char.trim() === '';

function skipSpaces(text: string, from: number): number {
	let at = from;
	while (isSpace(text.charAt(at))) at++;
	return at;
}

/** `ok = false and error in x && y = 1` → its conditions, split at ` and ` (any case, whitespace around it) and `&&`. */
function splitConditions(source: string): string[] {
	const parts: string[] = [];
	let partStart = 0;
	let at = 0;
	while (at < source.length) {
		if (source.startsWith('&&', at)) {
			parts.push(source.slice(partStart, at));
			at = partStart = skipSpaces(source, at + 2);
		} else if (isSpace(source.charAt(at))) {
			const wordAt = skipSpaces(source, at);
			if (source.slice(wordAt, wordAt + 3).toLowerCase() === 'and' && isSpace(source.charAt(wordAt + 3))) {
				parts.push(source.slice(partStart, at));
				at = partStart = skipSpaces(source, wordAt + 3);
			} else {
				at = wordAt;
			}
		} else {
			at++;
		}
	}
	parts.push(source.slice(partStart));
	return parts.map((part) => part.trim());
}

/** The first ` in ` (any case, whitespace on both sides): where its leading whitespace starts and where the values begin. */
function inOperatorIn(text: string): { start: number; valuesAt: number } | undefined {
	for (let at = 1; at + 2 < text.length; at++) {
		if (text.slice(at, at + 2).toLowerCase() !== 'in' || !isSpace(text.charAt(at - 1)) || !isSpace(text.charAt(at + 2)))
			continue;
		let start = at - 1;
		while (start > 0 && isSpace(text.charAt(start - 1))) start--;
		return { start, valuesAt: skipSpaces(text, at + 2) };
	}
	return undefined;
}

function unquote(value: string): string {
	const trimmed = value.trim();
	const quoted = /^"(.*)"$/.exec(trimmed) ?? /^'(.*)'$/.exec(trimmed);
	return quoted ? quoted[1] : trimmed;
}

function parsePath(text: string): Result<PathSegment[], RuleParseError> {
	const path: PathSegment[] = [];
	// `a.b[0][*]` → `a`, `b`, `0`, `*`
	const pieces = text
		.trim()
		.replace(/\[(\*|\d+)\]/g, '.$1')
		.split('.');
	for (const piece of pieces) {
		if (piece === '*') path.push('*');
		else if (/^\d+$/.test(piece)) path.push(Number(piece));
		else if (PATH_KEY.test(piece)) path.push(piece);
		else
			return err({
				message: `"${quoted(text, 60)}" is not a field path; write it like error, error.code or errors[*].code`,
			});
	}
	return ok(path);
}

function parseCondition(text: string): Result<BodyCondition, RuleParseError> {
	// Whichever operator comes first decides, so `error = sign in required` stays an equality.
	const equalsAt = text.indexOf('=');
	const inOperator = inOperatorIn(text);
	const useIn = inOperator !== undefined && (equalsAt === -1 || inOperator.start < equalsAt);
	const [pathText, valuesText] = useIn
		? [text.slice(0, inOperator.start), text.slice(inOperator.valuesAt)]
		: equalsAt > 0
			? [text.slice(0, equalsAt), text.slice(text.charAt(equalsAt + 1) === '=' ? equalsAt + 2 : equalsAt + 1)]
			: ['', ''];
	if (pathText.trim() === '') {
		return err({
			message: `"${quoted(text, 60)}" is not a condition; write it like ok = false or error in token_expired,invalid_auth`,
		});
	}
	const path = parsePath(pathText);
	if (!path.ok) return path;
	const values = useIn
		? valuesText
				.split(',')
				.map(unquote)
				.filter((value) => value !== '')
		: [unquote(valuesText)];
	if (values.length === 0) {
		return err({
			message: `"${quoted(text, 60)}" lists no values after "in"; write them like error in token_expired,invalid_auth`,
		});
	}
	return ok({ path: path.value, pathText: pathText.trim(), values });
}

/** Reads the "Expired When" text; empty text means no body rule (null). */
export function parseBodyRule(text: string): Result<BodyRule | null, RuleParseError> {
	const source = String(text ?? '').trim();
	if (source === '') return ok(null);
	const regex = REGEX_RULE.exec(source);
	if (regex) {
		try {
			return ok({ kind: 'regex', pattern: new RegExp(regex[1], regex[2]), source });
		} catch (error) {
			return err({
				message: `the regular expression does not compile (${(error as Error).message}). Write a valid JavaScript regular expression between slashes, optionally followed by the flags i, m, s or u, e.g. /"error":\\s*"token_expired"/i, or use conditions like error = token_expired`,
			});
		}
	}
	const conditions: BodyCondition[] = [];
	for (const part of splitConditions(source)) {
		const condition = parseCondition(part);
		if (!condition.ok) return condition;
		conditions.push(condition.value);
	}
	return ok({ kind: 'conditions', conditions, source });
}

/** Every value the path reaches (a `*` fans out over array elements or object values). */
function valuesAt(value: unknown, path: readonly PathSegment[]): unknown[] {
	if (path.length === 0) return [value];
	const [head, ...rest] = path;
	if (head === '*') {
		const children = Array.isArray(value) ? value : isRecord(value) ? Object.values(value) : [];
		return children.flatMap((child) => valuesAt(child, rest));
	}
	if (typeof head === 'number') return Array.isArray(value) && head < value.length ? valuesAt(value[head], rest) : [];
	return isRecord(value) && Object.prototype.hasOwnProperty.call(value, head) ? valuesAt(value[head], rest) : [];
}

const asText = (value: unknown): string | undefined =>
	value === null ? 'null' : ['string', 'number', 'boolean'].includes(typeof value) ? String(value) : undefined;

/** The body as n8n hands it over (parsed JSON, text or a Buffer), parsed when it is JSON text. */
export function parseJsonBody(body: unknown): unknown {
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
	if (typeof text !== 'string') return text;
	const trimmed = text.trim();
	if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return text;
	try {
		return JSON.parse(trimmed) as unknown;
	} catch {
		// Text that only looks like JSON: a path rule finds nothing in it, a regex rule still reads it.
		return text;
	}
}

function bodyText(body: unknown): string {
	if (Buffer.isBuffer(body)) return body.toString('utf8', 0, MAX_RULE_BODY_CHARS);
	if (typeof body === 'string') return body.slice(0, MAX_RULE_BODY_CHARS);
	if (body === undefined || body === null) return '';
	try {
		return JSON.stringify(body).slice(0, MAX_RULE_BODY_CHARS);
	} catch {
		return '';
	}
}

/** Whether a response body satisfies the rule: all conditions hold, or the regex matches. */
export function matchesBodyRule(rule: BodyRule, body: unknown): boolean {
	if (rule.kind === 'regex') return rule.pattern.test(bodyText(body));
	const parsed = parseJsonBody(body);
	return rule.conditions.every((condition) =>
		valuesAt(parsed, condition.path).some((value) => {
			const text = asText(value);
			return text !== undefined && condition.values.includes(text);
		}),
	);
}

// ---------------------------------------------------------------------------------------------
// The verdict on one response.

export interface ExpiryRules {
	statusCodes: readonly number[];
	bodyRule: BodyRule | null;
}

export type ExpiryVerdict =
	{ expired: true; via: 'status' | 'body'; detail: string } | { expired: false; via: 'insufficient_scope' | 'none' };

/**
 * A token that lacks a scope is not expired: refreshing it yields the same scopes, so a refresh and
 * replay would only repeat the 403. RFC 6750 §3.1 puts this in WWW-Authenticate; some APIs put it in
 * the body's `error` field instead.
 */
function isInsufficientScope(response: HttpResponseLike): boolean {
	if (bearerError(readHeader(response.headers, 'www-authenticate')).error === 'insufficient_scope') return true;
	if (response.status !== 403) return false;
	const parsed = parseJsonBody(response.body);
	return isRecord(parsed) && parsed.error === 'insufficient_scope';
}

export function detectExpirySignal(response: HttpResponseLike, rules: ExpiryRules): ExpiryVerdict {
	if (isInsufficientScope(response)) return { expired: false, via: 'insufficient_scope' };
	if (rules.statusCodes.includes(response.status)) {
		return { expired: true, via: 'status', detail: `HTTP ${response.status} is listed as an expiry status code` };
	}
	if (rules.bodyRule !== null && matchesBodyRule(rules.bodyRule, response.body)) {
		return {
			expired: true,
			via: 'body',
			detail: `the response body matched the rule "${quoted(rules.bodyRule.source, 80)}"`,
		};
	}
	return { expired: false, via: 'none' };
}

// ---------------------------------------------------------------------------------------------
// Refreshing ahead of expiry.

export type ExpiryState = 'expired' | 'expiring' | 'fresh' | 'unknown';

export interface ProactiveDecision {
	refresh: boolean;
	state: ExpiryState;
	/** Milliseconds until expiry (negative once expired), or null when unknown. */
	timeLeftMs: number | null;
}

/**
 * Whether to refresh now. `expiring` means inside the margin; `unknown` (no expiry anywhere) refreshes
 * only when the caller says so — a blind refresh on every run burns Zoho-style refresh quotas.
 */
export function decideProactiveRefresh(input: {
	expiry: ExpiryInfo;
	nowMs: number;
	marginMs: number;
	refreshWhenUnknown?: boolean;
	clockSkewMs?: number;
}): ProactiveDecision {
	const { expiry, nowMs, marginMs } = input;
	const skew = input.clockSkewMs ?? 0;
	const verdict = isExpiring(expiry, nowMs, Math.max(0, marginMs), skew);
	if (verdict === 'unknown') return { refresh: input.refreshWhenUnknown === true, state: 'unknown', timeLeftMs: null };
	const timeLeftMs = (expiry.expiresAtMs as number) - (nowMs + skew);
	const state: ExpiryState = timeLeftMs <= 0 ? 'expired' : verdict ? 'expiring' : 'fresh';
	return { refresh: verdict, state, timeLeftMs };
}

/**
 * The margin for refreshing automatically before each request. It never exceeds half the token's
 * lifetime: with 5-minute tokens and a 5-minute margin every token would look "expiring" the moment
 * it was issued and every request would refresh. Unknown lifetime → the margin as given.
 */
export function proactiveMarginMs(marginMs: number, lifetimeMs: number | null): number {
	const margin = Math.max(0, marginMs);
	if (lifetimeMs === null || !Number.isFinite(lifetimeMs) || lifetimeMs <= 0) return margin;
	return Math.min(margin, Math.floor(lifetimeMs / 2));
}

// ---------------------------------------------------------------------------------------------
// Which failed API attempts are worth another try (the token endpoint has its own rules in retry.ts).

/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Refused before any work was done, so even a write can be sent again. */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Connection failures where the request never reached the server. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
	'ECONNREFUSED',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
	'EHOSTDOWN',
	'UND_ERR_CONNECT_TIMEOUT',
]);

/** Lost answers: the server may have done the work, so only an idempotent request is sent again. */
const LOST_ANSWER_CODES: ReadonlySet<string> = new Set([
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'UND_ERR_SOCKET',
	'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Whether one failed API attempt may be repeated: 429 and 503 (the server refused before doing
 * anything) and connections that never reached it, for every method; other 5xx, 408 and lost answers
 * only for idempotent methods, so a POST that may have created something is never sent twice.
 * 409/423/425 are business answers from an API and are not retried.
 */
export function isTransientApiFailure(method: string, failure: { status?: number; networkCode?: string }): boolean {
	const idempotent = IDEMPOTENT_METHODS.has(method.toUpperCase());
	const { status, networkCode } = failure;
	if (status !== undefined) {
		if (REFUSED_STATUSES.has(status)) return true;
		return idempotent && (status === 408 || (status >= 500 && status <= 599));
	}
	if (networkCode === undefined) return false;
	const code = networkCode.toUpperCase();
	return NOT_SENT_CODES.has(code) || (idempotent && LOST_ANSWER_CODES.has(code));
}
