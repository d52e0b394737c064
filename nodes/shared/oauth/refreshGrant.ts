/**
 * The refresh_token grant (RFC 6749 §6) for the manual credential family, as pure functions:
 * build the token request, and read whatever the token endpoint answered into a TokenSet or a
 * typed failure. Sending the request lives in refresh/manualGrant.ts.
 */
import { decodeJwtClaims } from './jwt';
import { redactDeep, redactedSnippet } from '../security/redact';
import { isRecord, readHeader } from '../errors/facts';
import type { HttpResponseLike, Result } from '../types';
import { err, ok } from '../types';

/** The OAuth client as it authenticates to the authorization server's endpoints. */
export interface OAuthClient {
	clientId: string;
	clientSecret?: string;
	/** RFC 6749 §2.3.1: HTTP Basic (what servers must support) or credentials in the form body. */
	clientAuth: 'basic' | 'body';
}

export interface RefreshGrantConfig extends OAuthClient {
	tokenUrl: string;
	refreshToken: string;
	scope?: string;
	audience?: string;
	extraParams?: Record<string, string>;
}

export interface TokenRequest {
	method: 'POST';
	url: string;
	headers: Record<string, string>;
	body: string;
}

export interface TokenSet {
	accessToken: string;
	/** The refresh token to store from now on: the rotated one, or the previous one if none came back. */
	refreshToken: string;
	refreshTokenRotated: boolean;
	tokenType: string;
	expiresAtMs: number | null;
	expiresInSeconds?: number;
	scope?: string;
	idToken?: string;
}

export type TokenEndpointFailureKind =
	'oauth_error' | 'html_body' | 'non_json_body' | 'missing_access_token' | 'http_error';

export interface TokenEndpointFailure {
	kind: TokenEndpointFailureKind;
	status: number;
	oauthError?: string;
	errorDescription?: string;
	contentType?: string;
	/** First 200 characters of the body, with any token-looking values removed. */
	bodySnippet?: string;
}

/** Parameters extra params may never replace: the grant itself and the client's credentials. */
export const RESERVED_REFRESH_PARAMETERS: ReadonlySet<string> = new Set([
	'grant_type',
	'refresh_token',
	'client_id',
	'client_secret',
	'client_assertion',
	'client_assertion_type',
]);

/** application/x-www-form-urlencoded encoding of one value, as RFC 6749 Appendix B asks. */
const formEncode = (value: string): string => new URLSearchParams([['', value]]).toString().slice(1);

const hasText = (value: string | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * The token request for a refresh, with the client authenticated per `authenticateClient`. Scope is
 * sent only when configured: RFC 6749 §6 forbids asking for more than was granted, and most providers
 * keep the original scope when it is omitted.
 */
export function buildRefreshRequest(config: RefreshGrantConfig): TokenRequest {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(config.extraParams ?? {})) {
		if (RESERVED_REFRESH_PARAMETERS.has(name.trim().toLowerCase()) || typeof value !== 'string') continue;
		params.set(name, value);
	}
	params.set('grant_type', 'refresh_token');
	params.set('refresh_token', config.refreshToken);
	if (hasText(config.scope)) params.set('scope', config.scope.trim());
	if (hasText(config.audience)) params.set('audience', config.audience.trim());

	const headers: Record<string, string> = {
		'Content-Type': 'application/x-www-form-urlencoded',
		Accept: 'application/json',
	};
	authenticateClient(config, params, headers);
	return { method: 'POST', url: config.tokenUrl, headers, body: params.toString() };
}

/**
 * Adds client authentication to a form request for any authorization-server endpoint (token,
 * introspection, revocation). `basic` sends `Authorization: Basic base64(urlencode(id):urlencode(secret))`
 * (RFC 6749 §2.3.1) and keeps the secret out of the body; `body` sends client_id and client_secret as
 * form fields; without a secret the client is public and only client_id is sent.
 */
export function authenticateClient(
	client: OAuthClient,
	params: URLSearchParams,
	headers: Record<string, string>,
): void {
	const secret = client.clientSecret;
	if (!hasText(secret)) {
		params.set('client_id', client.clientId);
	} else if (client.clientAuth === 'basic') {
		const pair = `${formEncode(client.clientId)}:${formEncode(secret)}`;
		headers.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
	} else {
		params.set('client_id', client.clientId);
		params.set('client_secret', secret);
	}
}

const SNIPPET_LENGTH = 200;
const DESCRIPTION_LENGTH = 300;
const OAUTH_ERROR_LENGTH = 100;

// HTML is stripped by scanning, not by regexes: `<[^>]*>` and `<script[\s\S]*?<\/script>` rescan the
// rest of the body for every `<` that is never closed, which is quadratic in a body of `<`s.

const RAW_TEXT_ELEMENTS = ['script', 'style'];

/** Where `</name>` (any case) starts, searching from `from`; -1 if nowhere. */
function closingTagIndex(html: string, name: string, from: number): number {
	for (let at = html.indexOf('</', from); at !== -1; at = html.indexOf('</', at + 2)) {
		if (html.slice(at + 2, at + 2 + name.length).toLowerCase() === name && html.charAt(at + 2 + name.length) === '>')
			return at;
	}
	return -1;
}

/** `<script>…</script>` and `<style>…</style>` blocks become one space each. */
function withoutRawTextElements(html: string): string {
	// Once a closing tag is missing after one opening, it is missing after every later one too.
	const unclosed = new Set<string>();
	let result = '';
	let copied = 0;
	let from = 0;
	for (let open = html.indexOf('<', from); open !== -1; open = html.indexOf('<', from)) {
		const name = RAW_TEXT_ELEMENTS.find(
			(candidate) =>
				!unclosed.has(candidate) && html.slice(open + 1, open + 1 + candidate.length).toLowerCase() === candidate,
		);
		const close = name === undefined ? -1 : closingTagIndex(html, name, open + 1 + name.length);
		if (name === undefined || close === -1) {
			if (name !== undefined) unclosed.add(name);
			from = open + 1;
			continue;
		}
		result += `${html.slice(copied, open)} `;
		copied = from = close + name.length + 3;
	}
	return copied === 0 ? html : result + html.slice(copied);
}

/** Every `<…>` becomes one space; a `<` that is never closed stays as text. */
function withoutTags(html: string): string {
	let result = '';
	let copied = 0;
	for (let open = html.indexOf('<'); open !== -1; open = html.indexOf('<', copied)) {
		const close = html.indexOf('>', open + 1);
		if (close === -1) break;
		result += `${html.slice(copied, open)} `;
		copied = close + 1;
	}
	return result + html.slice(copied);
}

const stripHtml = (html: string): string => withoutTags(withoutRawTextElements(html)).split('&nbsp;').join(' ');

type ParsedBody =
	{ format: 'object'; data: Record<string, unknown>; text: string } | { format: 'html' | 'text'; text: string };

const mediaTypeOf = (contentType: string | undefined): string => (contentType ?? '').split(';')[0].trim().toLowerCase();

const FORM_NAME = /^[A-Za-z0-9_.~%+-]+$/;
/** Neither a name nor a value may hold these. */
const NOT_IN_FORM_BODY = /[<>{}\s]/;

/**
 * A URL-encoded form body, as GitHub's token endpoint answers unless asked for JSON: `name=value` pairs
 * joined by `&`. Read pair by pair rather than with one regex: a value may hold `=` and `&` may start
 * either a value character or a new pair, and a regex that leaves that open backtracks exponentially.
 */
function isFormBody(text: string): boolean {
	if (text === '' || NOT_IN_FORM_BODY.test(text)) return false;
	return text.split('&').every((pair) => {
		const equals = pair.indexOf('=');
		return equals > 0 && FORM_NAME.test(pair.slice(0, equals));
	});
}

/** Body as n8n hands it over (already-parsed JSON, a string or a Buffer) → object, HTML or other text. */
function parseBody(body: unknown, contentType: string | undefined): ParsedBody {
	// A Buffer is an object too, but it holds the answer's bytes: it is read as text below.
	if (isRecord(body) && !Buffer.isBuffer(body)) return { format: 'object', data: body, text: JSON.stringify(body) };
	if (body === undefined || body === null) return { format: 'object', data: {}, text: '' };
	const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : JSON.stringify(body);
	const trimmed = text.trim();
	const mediaType = mediaTypeOf(contentType);
	if (trimmed === '') return { format: 'object', data: {}, text };

	if (trimmed.startsWith('{') || trimmed.startsWith('[') || mediaType.endsWith('json')) {
		try {
			const parsed: unknown = JSON.parse(trimmed);
			// Valid JSON that is not an object (an array, a bare string) carries no token fields.
			return { format: 'object', data: isRecord(parsed) ? parsed : {}, text };
		} catch {
			// Declared JSON that does not parse is reported below as HTML or text, with a snippet.
		}
	}
	if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml' || trimmed.startsWith('<')) {
		return { format: 'html', text };
	}
	if (mediaType === 'application/x-www-form-urlencoded' || isFormBody(trimmed)) {
		return { format: 'object', data: Object.fromEntries(new URLSearchParams(trimmed)), text };
	}
	return { format: 'text', text };
}

/** The body as text for a snippet. Parsed bodies are redacted field by field first, which also
 * catches secret-named keys no text pattern knows. */
function readableText(parsed: ParsedBody, knownSecrets: string[]): string {
	if (parsed.text.trim() === '') return '';
	if (parsed.format === 'object') return JSON.stringify(redactDeep(parsed.data, knownSecrets));
	return parsed.format === 'html' ? stripHtml(parsed.text) : parsed.text;
}

const snippetOf = (text: string, knownSecrets: string[]): string =>
	redactedSnippet(text, knownSecrets, SNIPPET_LENGTH, { singleLine: true });

const nonEmptyString = (value: unknown): string | undefined =>
	typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** HubSpot answers `{"status":"BAD_REFRESH_TOKEN","message":…}` instead of an RFC 6749 error. */
const PROVIDER_STATUS_CODE = /^[A-Z][A-Z0-9_]{2,}$/;

/** The OAuth `error` code, or the provider's equivalent: `error.code`, HubSpot's upper-case `status`. */
function oauthErrorOf(data: Record<string, unknown>): string | undefined {
	const error = data.error;
	const direct = nonEmptyString(error);
	if (direct) return direct;
	if (isRecord(error)) {
		const nested = nonEmptyString(error.code) ?? nonEmptyString(error.type);
		if (nested) return nested;
	}
	const status = nonEmptyString(data.status);
	if (status && PROVIDER_STATUS_CODE.test(status) && !['OK', 'SUCCESS'].includes(status)) return status;
	return undefined;
}

function errorDescriptionOf(data: Record<string, unknown>): string | undefined {
	const error = data.error;
	return (
		nonEmptyString(data.error_description) ??
		nonEmptyString(data.message) ??
		(isRecord(error) ? nonEmptyString(error.message) : undefined)
	);
}

const positiveSeconds = (value: unknown): number | undefined => {
	const numeric = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof numeric === 'number' && Number.isFinite(numeric) && numeric > 0 ? numeric : undefined;
};

const scopeOf = (value: unknown): string | undefined =>
	Array.isArray(value) && value.every((item) => typeof item === 'string') ? value.join(' ') : nonEmptyString(value);

/** RFC 6750 names the scheme "Bearer"; some servers answer "bearer" and some APIs insist on the capital. */
const normalizeTokenType = (value: unknown): string => {
	const tokenType = nonEmptyString(value);
	if (tokenType === undefined || tokenType.toLowerCase() === 'bearer') return 'Bearer';
	return tokenType;
};

/**
 * Reads a token endpoint answer. Failures: an `error` code anywhere (even with 200: GitHub, Slack
 * `ok:false`, Zoho; HubSpot's `status`) → oauth_error; HTML (proxies, gateways, login pages) →
 * html_body; other unreadable text → non_json_body; a non-2xx without a code → http_error; a 2xx
 * without access_token → missing_access_token.
 * Success: a rotated refresh token replaces the old one; a missing or empty one never drops it.
 * Without expires_in the expiry comes from the token's JWT `exp`, else stays unknown (null).
 */
export function parseTokenResponse(
	response: HttpResponseLike,
	context: { previousRefreshToken: string; nowMs: number },
): Result<TokenSet, TokenEndpointFailure> {
	const status = response.status;
	const contentType = readHeader(response.headers, 'content-type');
	const parsed = parseBody(response.body, contentType);
	const knownSecrets = [context.previousRefreshToken];
	const failure = (kind: TokenEndpointFailureKind, extra: Partial<TokenEndpointFailure> = {}) => {
		const bodySnippet = snippetOf(readableText(parsed, knownSecrets), knownSecrets);
		return err<TokenEndpointFailure>({
			kind,
			status,
			...extra,
			...(contentType === undefined ? {} : { contentType: mediaTypeOf(contentType) }),
			...(bodySnippet === '' ? {} : { bodySnippet }),
		});
	};

	if (parsed.format !== 'object') return failure(parsed.format === 'html' ? 'html_body' : 'non_json_body');

	const data = parsed.data;
	const oauthError = oauthErrorOf(data);
	if (oauthError !== undefined) {
		const description = errorDescriptionOf(data);
		return failure('oauth_error', {
			oauthError: redactedSnippet(oauthError, knownSecrets, OAUTH_ERROR_LENGTH),
			...(description === undefined
				? {}
				: { errorDescription: redactedSnippet(description, knownSecrets, DESCRIPTION_LENGTH) }),
		});
	}
	if (status < 200 || status >= 300) return failure('http_error');

	const accessToken = nonEmptyString(data.access_token);
	if (accessToken === undefined) return failure('missing_access_token');
	return ok(tokenSetOf(data, accessToken, context));
}

/**
 * The tokens of a successful answer. RFC 6749 §6: a new refresh token replaces the old one; no new
 * one means the old one stays valid.
 */
function tokenSetOf(
	data: Record<string, unknown>,
	accessToken: string,
	context: { previousRefreshToken: string; nowMs: number },
): TokenSet {
	const returnedRefreshToken = nonEmptyString(data.refresh_token) ?? context.previousRefreshToken;
	const refreshTokenRotated = returnedRefreshToken !== context.previousRefreshToken;
	const expiresInSeconds = positiveSeconds(data.expires_in);
	const jwtExp = decodeJwtClaims(accessToken)?.exp;
	const expiresAtMs =
		expiresInSeconds !== undefined
			? context.nowMs + expiresInSeconds * 1000
			: jwtExp !== undefined && jwtExp > 0
				? jwtExp * 1000
				: null;
	const scope = scopeOf(data.scope);
	const idToken = nonEmptyString(data.id_token);

	return {
		accessToken,
		refreshToken: returnedRefreshToken,
		refreshTokenRotated,
		tokenType: normalizeTokenType(data.token_type),
		expiresAtMs,
		...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
		...(scope === undefined ? {} : { scope }),
		...(idToken === undefined ? {} : { idToken }),
	};
}
