/**
 * The one decision function of the token engine: any failure evidence (an n8n error, a raw token
 * endpoint answer, an API response, a network error) → a docs/ARCHITECTURE.md#taxonomy category.
 *
 * Order of trust: structured signals first (Microsoft AADSTS codes, n8n's `failure.cause`, RFC 6749 /
 * 6750 `error` codes and provider codes), then known provider and n8n texts, then the HTTP status and
 * where it came from. Provider prose is used to refine, never as the only source when a code exists.
 *
 * The `reason` is assembled only from fixed phrases, validated codes and numbers — never from the
 * evidence text itself — so no token or secret in the evidence can reach it.
 */
import { detectProvider, PROVIDER_LABELS, urlLikeWords } from './providers';
import { redactText } from '../security/redact';
import { CATEGORY_TRAITS } from './taxonomy';
import type { Category, Classification, HttpHeaders, HttpResponseLike, Provider } from '../types';
import { bearerError } from '../oauth/wwwAuthenticate';

export interface ErrorEvidence {
	status?: number;
	oauthError?: string;
	errorDescription?: string;
	wwwAuthenticate?: string | string[];
	/** Response body: raw text, a Buffer, or parsed JSON. */
	body?: unknown;
	/** Error texts: message, description, messages[] of an n8n error… */
	messages?: string[];
	url?: string;
	credentialType?: string;
	nodeType?: string;
	/** n8n's `error.failure.cause` (2.39+), e.g. `credential-invalid`. */
	failureCause?: string;
	/** Node.js / axios error code, e.g. `ECONNREFUSED`. */
	networkCode?: string;
	phase?: 'token_endpoint' | 'api' | 'unknown';
}

/** A token-endpoint failure as refreshGrant.ts reports it (kinds: oauth_error, html_body, non_json_body,
 * missing_access_token, http_error, network). Structural, so any reporter with these fields fits. */
export interface TokenEndpointFailureLike {
	kind: string;
	status?: number;
	oauthError?: string;
	errorDescription?: string;
	contentType?: string;
	bodySnippet?: string;
	code?: string;
}

// ---------------------------------------------------------------------------------------------
// Limits: error texts can embed whole HTML pages or huge JSON bodies; the signals are near the start.

const MAX_TEXT_LENGTH = 8192;
const MAX_STRING_LEAF = 1024;
const MAX_WALKED_NODES = 200;
const MAX_WALK_DEPTH = 5;
const MAX_URLS_IN_TEXT = 16;

// ---------------------------------------------------------------------------------------------
// Code table: RFC 6749 §5.2, RFC 6750 §3.1, and provider codes seen in `error`, `status`, `code`,
// `errorCode`, `category`, `reason` fields. Keys are lower-case.

type CodeResolver = (facts: Facts) => Category;

interface CodeMeaning {
	category: Category | CodeResolver;
	/** What the code says, for the reason sentence. */
	meaning: string;
}

const RFC_CODES = new Set([
	'invalid_request',
	'invalid_client',
	'invalid_grant',
	'unauthorized_client',
	'unsupported_grant_type',
	'unsupported_response_type',
	'invalid_scope',
	'access_denied',
	'server_error',
	'temporarily_unavailable',
	'interaction_required',
	'consent_required',
	'login_required',
	'invalid_token',
	'insufficient_scope',
]);

const MISSING_REFRESH_TOKEN_PARAM_RE = /refresh[_ ]token/i;
const INVALID_TOKEN_TEXT_RE = /\binvalid (?:refresh )?token\b|\btoken (?:is )?(?:invalid|expired|revoked)\b/i;

/** RFC 6749 invalid_request: a broken token request is a client setup problem; on an API it is just a bad request. */
const resolveInvalidRequest: CodeResolver = (facts) => {
	if (facts.phase === 'api') return 'not_auth_related';
	// "Missing required parameter: refresh_token" means no refresh token was stored to send.
	if (MISSING_REFRESH_TOKEN_PARAM_RE.test(facts.text) && /missing|required|empty/i.test(facts.text)) {
		return 'refresh_token_missing';
	}
	// Zoom answers a dead refresh token with `{"reason":"Invalid Token!","error":"invalid_request"}`.
	if (INVALID_TOKEN_TEXT_RE.test(facts.text)) return 'refresh_token_invalid';
	return 'client_misconfigured';
};

const DEAD_REFRESH_TOKEN_TEXT_RE = /refresh[_ ]token (?:is |was )?(?:invalid|expired|revoked|not found|not valid)/i;

/**
 * RFC 6749 unauthorized_client is a client setup problem, except that Atlassian answers a dead
 * rotating refresh token with `{"error":"unauthorized_client","error_description":"refresh_token is invalid"}`.
 */
const resolveUnauthorizedClient: CodeResolver = (facts) =>
	DEAD_REFRESH_TOKEN_TEXT_RE.test(facts.text) ? 'refresh_token_invalid' : 'client_misconfigured';

/** Anthropic's `authentication_error` is an API key problem; elsewhere the word means a bad token. */
const resolveAuthenticationError: CodeResolver = (facts) =>
	facts.modelContext ? 'model_api_key' : 'access_token_rejected';

const CODE_MEANINGS: Readonly<Record<string, CodeMeaning>> = {
	// RFC 6749 §5.2 (token endpoint)
	invalid_grant: { category: 'refresh_token_invalid', meaning: 'the refresh token is invalid, expired or revoked' },
	invalid_client: { category: 'client_misconfigured', meaning: 'client authentication failed' },
	unauthorized_client: { category: resolveUnauthorizedClient, meaning: 'the client may not use this grant' },
	unsupported_grant_type: { category: 'client_misconfigured', meaning: 'the grant type is not supported' },
	unsupported_response_type: { category: 'client_misconfigured', meaning: 'the response type is not supported' },
	redirect_uri_mismatch: { category: 'client_misconfigured', meaning: 'the redirect URI does not match' },
	invalid_request: { category: resolveInvalidRequest, meaning: 'the request is malformed' },
	invalid_scope: { category: 'scope_insufficient', meaning: 'the requested scope is invalid' },
	access_denied: { category: 'consent_required', meaning: 'the user or an administrator denied access' },
	interaction_required: { category: 'consent_required', meaning: 'the user has to sign in interactively' },
	consent_required: { category: 'consent_required', meaning: 'consent is required' },
	login_required: { category: 'consent_required', meaning: 'the user has to sign in again' },
	server_error: { category: 'provider_unavailable', meaning: 'the authorization server failed' },
	temporarily_unavailable: { category: 'provider_unavailable', meaning: 'the authorization server is overloaded' },
	slow_down: { category: 'rate_limited', meaning: 'the client polls too fast' },
	// RFC 6750 §3.1 (resource server)
	invalid_token: { category: 'access_token_rejected', meaning: 'the access token is expired, revoked or malformed' },
	insufficient_scope: { category: 'scope_insufficient', meaning: 'the token lacks a required scope' },
	// Google
	invalid_rapt: { category: 'refresh_token_invalid', meaning: 'a Workspace session policy requires re-authentication' },
	unauthenticated: { category: 'access_token_rejected', meaning: 'the request had invalid credentials' },
	access_token_scope_insufficient: { category: 'scope_insufficient', meaning: 'the token lacks a required scope' },
	insufficientpermissions: { category: 'scope_insufficient', meaning: 'the token lacks a required permission' },
	ratelimitexceeded: { category: 'rate_limited', meaning: 'a rate limit was exceeded' },
	userratelimitexceeded: { category: 'rate_limited', meaning: 'a per-user rate limit was exceeded' },
	resource_exhausted: { category: 'rate_limited', meaning: 'a quota or rate limit was exhausted' },
	api_key_invalid: { category: 'model_api_key', meaning: 'the API key is not valid' },
	// Microsoft Graph
	invalidauthenticationtoken: { category: 'access_token_rejected', meaning: 'the access token is not valid' },
	authorization_requestdenied: { category: 'scope_insufficient', meaning: 'the token lacks a required permission' },
	// Salesforce
	invalid_session_id: { category: 'access_token_rejected', meaning: 'the session (access token) expired or is invalid' },
	// HubSpot
	bad_refresh_token: { category: 'refresh_token_invalid', meaning: 'the refresh token is missing or invalid' },
	missing_scopes: { category: 'scope_insufficient', meaning: 'the app was not granted the required scopes' },
	expired_authentication: { category: 'access_token_rejected', meaning: 'the access token expired' },
	invalid_authentication: { category: 'access_token_rejected', meaning: 'the access token is not valid' },
	bad_client_id: { category: 'client_misconfigured', meaning: 'the client ID is wrong' },
	// Zoho
	invalid_code: { category: 'refresh_token_invalid', meaning: 'the refresh token was revoked or is invalid' },
	invalid_client_secret: { category: 'client_misconfigured', meaning: 'the client secret is wrong' },
	// GitHub
	incorrect_client_credentials: { category: 'client_misconfigured', meaning: 'the client ID or secret is wrong' },
	// Slack Web API (`{ ok: false, error }`, usually with HTTP 200)
	token_expired: { category: 'access_token_rejected', meaning: 'the access token expired' },
	invalid_auth: { category: 'access_token_rejected', meaning: 'the token could not be validated' },
	not_authed: { category: 'access_token_rejected', meaning: 'no token was sent' },
	token_revoked: { category: 'refresh_token_invalid', meaning: 'the token was revoked' },
	account_inactive: { category: 'refresh_token_invalid', meaning: 'the authorizing account is deactivated' },
	invalid_refresh_token: { category: 'refresh_token_invalid', meaning: 'the refresh token is invalid' },
	missing_scope: { category: 'scope_insufficient', meaning: 'the token lacks a required scope' },
	ratelimited: { category: 'rate_limited', meaning: 'the app is rate limited' },
	// Model APIs
	invalid_api_key: { category: 'model_api_key', meaning: 'the API key is not valid' },
	authentication_error: { category: resolveAuthenticationError, meaning: 'authentication failed' },
	rate_limit_error: { category: 'rate_limited', meaning: 'a rate limit was exceeded' },
	overloaded_error: { category: 'provider_unavailable', meaning: 'the service is overloaded' },
};

// Bare codes in free text (`Error: invalid_grant – token revoked`). Only snake_case codes: plain words
// such as `unauthenticated` are too common in prose to count as a code.
export const CODE_IN_TEXT_RE = new RegExp(
	`\\b(${Object.keys(CODE_MEANINGS)
		.filter((code) => code.includes('_'))
		.join('|')})\\b`,
	'i',
);

// ---------------------------------------------------------------------------------------------
// Microsoft Entra AADSTS codes. Microsoft warns not to depend on the numbers alone, so an unknown
// number falls through to the `error` field.

interface AadstsMeaning {
	category: Category;
	meaning: string;
}

const AADSTS_MEANINGS: Readonly<Record<string, AadstsMeaning>> = {
	'70008': { category: 'refresh_token_invalid', meaning: 'the refresh token expired or was revoked' },
	'700081': { category: 'refresh_token_invalid', meaning: 'the refresh token reached its maximum lifetime' },
	'700082': { category: 'refresh_token_invalid', meaning: 'the refresh token expired after 90 days of inactivity' },
	'700084': { category: 'refresh_token_invalid', meaning: 'the single-page-app refresh token expired' },
	'50173': { category: 'refresh_token_invalid', meaning: 'the grant was revoked (password change or reset)' },
	'70043': { category: 'refresh_token_invalid', meaning: 'a sign-in frequency policy expired the refresh token' },
	'65001': { category: 'consent_required', meaning: 'the user or an administrator has not consented' },
	'65004': { category: 'consent_required', meaning: 'the user declined consent' },
	'50076': { category: 'consent_required', meaning: 'multi-factor authentication is required' },
	'50079': { category: 'consent_required', meaning: 'the user must enrol in multi-factor authentication' },
	'50158': { category: 'consent_required', meaning: 'an external security challenge is required' },
	'53003': { category: 'consent_required', meaning: 'Conditional Access blocked the sign-in' },
	'50105': { category: 'consent_required', meaning: 'the user is not assigned to the application' },
	'7000215': { category: 'client_misconfigured', meaning: 'the client secret is invalid' },
	'7000222': { category: 'client_misconfigured', meaning: 'the client secret has expired' },
	'7000218': { category: 'client_misconfigured', meaning: 'a client secret or assertion is required' },
	'700016': { category: 'client_misconfigured', meaning: 'the application was not found in the tenant' },
	'700027': { category: 'client_misconfigured', meaning: 'the client assertion signature is invalid' },
	'50011': { category: 'client_misconfigured', meaning: 'the redirect URI does not match' },
	'90002': { category: 'client_misconfigured', meaning: 'the tenant was not found' },
	'70011': { category: 'scope_insufficient', meaning: 'the requested scope is invalid' },
	'700024': { category: 'clock_skew', meaning: 'the client assertion is outside its valid time range' },
	'500133': { category: 'clock_skew', meaning: 'the assertion is outside its valid time range' },
	'50196': { category: 'rate_limited', meaning: 'a request loop was throttled' },
	'90033': { category: 'provider_unavailable', meaning: 'a transient error occurred' },
};

const AADSTS_RE = /\bAADSTS(\d{4,8})\b/;

// ---------------------------------------------------------------------------------------------
// Text signatures, checked in this order. `evidence` is the fixed phrase the reason quotes.

interface TextSignature {
	pattern: RegExp;
	category: Category;
	evidence: string;
}

const MODEL_KEY_SIGNATURES: readonly TextSignature[] = [
	{ pattern: /incorrect api key provided/i, category: 'model_api_key', evidence: 'OpenAI\'s "Incorrect API key provided" message' },
	{ pattern: /api key not valid|\bAPI_KEY_INVALID\b/i, category: 'model_api_key', evidence: 'Google\'s "API key not valid" message' },
	{ pattern: /invalid x-api-key|x-api-key header is required/i, category: 'model_api_key', evidence: 'Anthropic\'s "invalid x-api-key" message' },
	{
		pattern: /\binvalid[_ ]api[_ ]key\b|\bapi key (?:is )?(?:invalid|missing|expired|revoked|disabled)\b|no api key (?:was )?provided|you didn't provide an api key/i,
		category: 'model_api_key',
		evidence: 'an "invalid API key" message',
	},
];

// "has expired or is not yet valid" is Microsoft Graph's ordinary expiry text, not a clock problem.
const GRAPH_EXPIRY_RE = /expired or is not yet valid/i;

const CLOCK_SKEW_RE =
	/lifetime validation failed|not yet valid|not within its valid time range|clock[ -]?(?:skew|drift)|used before (?:it was )?issued|issued in the future|\b(?:iat|nbf)\b[^.]{0,60}\bfuture\b|check your iat and exp values|in a reasonable timeframe|jwt not active|used too early/i;

const RATE_LIMIT_RE =
	/too many requests|rate[ _-]?limit|\bratelimited\b|throttl|quota exceeded|exceeded (?:your|the) (?:current )?quota|\bresource[_ ]exhausted\b/i;

const PHRASE_SIGNATURES: readonly TextSignature[] = [
	{
		pattern:
			/no refresh token (?:is )?(?:available|stored|present|received|was returned)|refresh ?token is required|refresh_token (?:is )?(?:missing|required)|missing (?:required parameter:? ?)?refresh[_ ]token|without a refresh token/i,
		category: 'refresh_token_missing',
		evidence: 'a message that no refresh token is stored',
	},
	{
		pattern: /oauth credentials not connected|credentials? (?:is |are )?not connected|(?:has|have) never been connected/i,
		category: 'not_connected',
		evidence: 'n8n\'s "OAuth credentials not connected" message',
	},
	{
		pattern: /needs to be reconnected|access could not be refreshed because the connected account/i,
		category: 'refresh_token_invalid',
		evidence: 'n8n\'s "needs to be reconnected" message',
	},
	{
		pattern: /provided authorization grant .{0,80}?or refresh token is invalid/i,
		category: 'refresh_token_invalid',
		evidence: 'the RFC 6749 invalid_grant text',
	},
	{
		pattern:
			/token has been expired or revoked|refresh token has expired|expired access\/refresh token|unknown or invalid refresh token|missing or invalid refresh token|invalid refresh token|refresh[_ ]token (?:is |was )?(?:invalid|expired|revoked|not valid|not found)|refresh token passed is incorrect|grant has (?:expired|been revoked)/i,
		category: 'refresh_token_invalid',
		evidence: 'a provider message that the refresh token is expired, revoked or invalid',
	},
	{
		pattern:
			/resource owner or authorization server denied the request|consent (?:is )?required|has not consented|admin(?:istrator)? consent|interaction (?:is )?required|multi-factor authentication|conditional access/i,
		category: 'consent_required',
		evidence: 'a request for consent or interactive sign-in',
	},
	{
		pattern:
			/client authentication failed|client is not authorized to request|grant type is not supported|request is missing a required parameter|does not support obtaining an authorization code|redirect[_ ]uri[_ ]mismatch|invalid client (?:secret|id)|client secret (?:is )?(?:invalid|expired|wrong)|unknown client/i,
		category: 'client_misconfigured',
		evidence: 'a client authentication or configuration error',
	},
	{
		pattern:
			/requested scope is invalid|insufficient[_ ]scopes?|insufficient authentication scopes|missing[_ ]scopes?|(?:been )?granted all required scopes|scopes? (?:is |are )?(?:missing|insufficient|not granted)|insufficient privileges|insufficient permission/i,
		category: 'scope_insufficient',
		evidence: 'a missing-scope or missing-permission message',
	},
	{
		pattern:
			/authorization server encountered an unexpected condition|authorization server is currently unable to handle|temporarily unavailable|service unavailable|service (?:failed|was not able) to process your request|bad gateway|gateway timed? ?out|internal server error|backend error/i,
		category: 'provider_unavailable',
		evidence: 'a server-side failure message',
	},
	{
		pattern:
			/\bINVALID_SESSION_ID\b|session expired or invalid|request had invalid authentication credentials|expired or is not yet valid|access token (?:has |is )?expired|\btoken (?:has |is )?expired|invalid (?:access|bearer|auth(?:entication)?) token|\bjwt (?:has |is )?expired/i,
		category: 'access_token_rejected',
		evidence: 'a message that the access token is expired or invalid',
	},
];

const NETWORK_CODES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'ENETDOWN',
	'EPIPE',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_SOCKET',
	'ETIMEOUT',
]);

const NETWORK_CODE_IN_TEXT_RE =
	/\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ESOCKETTIMEDOUT|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EPIPE)\b/;

// n8n's NodeError texts for network codes, plus axios / Node phrasings.
const NETWORK_TEXT_RE =
	/service refused the connection|connection to the server was closed unexpectedly|connection cannot be established|connection timed out|connection was aborted|host is unreachable|dns server returned an error|server closed the connection unexpectedly|socket hang up|timeout of \d+ ?ms exceeded|\btimed out\b|\btimeout\b/i;

/** n8n's NodeApiError texts stand in for the status when `httpCode` was lost on the way. */
const N8N_STATUS_TEXTS: ReadonlyArray<readonly [RegExp, number]> = [
	[/authorization failed - please check your credentials/i, 401],
	[/forbidden - perhaps check your credentials/i, 403],
	[/the resource you are requesting could not be found/i, 404],
	[/bad request - please check your parameters/i, 400],
	[/the service is receiving too many requests from you/i, 429],
	[/the service was not able to process your request/i, 500],
	[/the service failed to process your request/i, 500],
	[/bad gateway - the service failed to handle your request/i, 502],
	[/service unavailable - try again later/i, 503],
	[/gateway timed out - perhaps try again later/i, 504],
];

// Status as other clients print it: `400 - {...}` (n8n 1.x), `400 Client Error` (Python requests),
// `status code 401` (axios), `HTTP status 400` (@n8n/client-oauth2), `401 Unauthorized`.
const STATUS_IN_TEXT_RE =
	/^\s*([1-5]\d\d) - |\b([1-5]\d\d) (?:Client|Server) Error\b|status code ([1-5]\d\d)\b|\bHTTP(?:\/\d(?:\.\d)?)?(?: status)?:? ([1-5]\d\d)\b|\b([1-5]\d\d) (?:Bad Request|Unauthorized|Forbidden|Not Found|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i;

const N8N_CLIENT_CREDENTIALS_RE = /failed to acquire oauth2 access token/i;
const N8N_NON_JSON_TOKEN_RE = /expected json response from oauth2 token endpoint/i;
const REFRESH_CONTEXT_RE = /token refresh|refreshing (?:the )?(?:access )?token|refresh(?:ing)? (?:the )?credentials|refresh_token grant/i;

const TOKEN_PATH_RE = /\/(?:access_token|token|tokens\/bearer|oauth(?:\.v2)?(?:\.user)?\.access)\/?$/i;
const MODEL_HOST_RE = /\/\/(?:generativelanguage|aiplatform)\.googleapis\.com\b/i;

const MODEL_NODE_RE = /\.(?:lmChat\w*|lmOpenAi|embeddings\w*|openAi|anthropic|googleGemini|mistralAi)$/i;
const MODEL_CREDENTIAL_RE =
	/^(?:openAiApi|azureOpenAiApi|anthropicApi|googlePalmApi|googleGeminiApi|mistralCloudApi|groqApi|deepSeekApi|openRouterApi|xAiApi|cohereApi)$/i;

// Keys whose string value is an error code. `error` is authoritative; the rest are hints.
const PRIMARY_CODE_KEYS = new Set(['error', 'error_subtype']);
const SECONDARY_CODE_KEYS = new Set(['code', 'status', 'type', 'reason', 'category', 'errorcode', 'error_code', 'subtype']);
const STATUS_KEYS = new Set(['status', 'code', 'statuscode', 'status_code', 'httpcode', 'httpstatus']);
const JSON_CODE_PAIR_RE =
	/"(error|error_subtype|errorCode|error_code|code|status|type|reason|category)"\s*:\s*"([^"]{1,64})"/gi;
const JSON_STATUS_PAIR_RE = /"(?:status|code|statusCode|status_code)"\s*:\s*"?([45]\d\d)\b/i;
const JSON_AADSTS_LIST_RE = /"error_codes"\s*:\s*\[\s*(\d{4,8})/i;

// Codes echoed in output must look like identifiers, not like tokens (which carry digits and mixed case).
const SAFE_CODE_RE = /^(?:[a-z]+(?:[_.][a-z]+)*|[A-Z]+(?:_[A-Z]+)*|(?:[A-Z][a-z]+)+(?:_(?:[A-Z][a-z]+)+)*|AADSTS\d{4,8})$/;
const MAX_CODE_LENGTH = 48;

// ---------------------------------------------------------------------------------------------
// Facts: the evidence normalised once, then read by the rules.

interface Facts {
	status?: number;
	/** Codes from authoritative fields (`oauthError`, WWW-Authenticate, `error`), in order. */
	primaryCodes: string[];
	/** Codes from hint fields (`status`, `code`, `type`, `category`, …) and bare codes in text. */
	secondaryCodes: string[];
	/** Capped, unescaped haystack of every text in the evidence. */
	text: string;
	provider: Provider;
	phase: 'token_endpoint' | 'api' | 'unknown';
	atTokenEndpoint: boolean;
	/** The token endpoint answered something that is not JSON (HTML error page, proxy, maintenance). */
	nonJsonTokenResponse: boolean;
	/** n8n's client-credentials fetch failed: no refresh token is involved, only the client. */
	clientCredentialsFetch: boolean;
	modelContext: boolean;
	failureCause?: string;
	networkCode?: string;
	wwwAuthenticateError?: string;
}

interface Collected {
	texts: string[];
	textLength: number;
	primaryCodes: string[];
	secondaryCodes: string[];
	status?: number;
	visited: number;
}

function addText(collected: Collected, value: string): void {
	if (collected.textLength >= MAX_TEXT_LENGTH || value === '') return;
	const room = MAX_TEXT_LENGTH - collected.textLength;
	const piece = value.length > Math.min(room, MAX_STRING_LEAF) ? value.slice(0, Math.min(room, MAX_STRING_LEAF)) : value;
	collected.texts.push(piece);
	collected.textLength += piece.length + 1;
}

function addCode(list: string[], value: string): void {
	const trimmed = value.trim();
	if (trimmed !== '' && trimmed.length <= 64 && !list.includes(trimmed)) list.push(trimmed);
}

function validStatus(value: number | undefined): number | undefined {
	return value !== undefined && Number.isInteger(value) && value >= 100 && value <= 599 ? value : undefined;
}

/** A 4xx/5xx found inside a body or text; other numbers in `code`/`status` fields are not HTTP statuses. */
function statusFrom(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\d{3}$/.test(value.trim()) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 400 && number <= 599 ? number : undefined;
}

/** Walks a parsed body: collects code fields, a status, `error_codes` (Microsoft) and every text leaf. */
function walkBody(value: unknown, key: string, depth: number, collected: Collected): void {
	if (collected.visited++ > MAX_WALKED_NODES || depth > MAX_WALK_DEPTH || value === null || value === undefined) return;
	const lowerKey = key.toLowerCase();
	if (typeof value === 'string') {
		if (PRIMARY_CODE_KEYS.has(lowerKey)) addCode(collected.primaryCodes, value);
		else if (SECONDARY_CODE_KEYS.has(lowerKey)) addCode(collected.secondaryCodes, value);
		if (STATUS_KEYS.has(lowerKey) && collected.status === undefined) collected.status = statusFrom(value);
		addText(collected, value);
		return;
	}
	if (typeof value === 'number') {
		if (STATUS_KEYS.has(lowerKey) && collected.status === undefined) collected.status = statusFrom(value);
		return;
	}
	if (Array.isArray(value)) {
		if (lowerKey === 'error_codes') {
			for (const item of value.slice(0, 5)) if (typeof item === 'number') addCode(collected.secondaryCodes, `AADSTS${item}`);
			return;
		}
		for (const item of value.slice(0, 20)) walkBody(item, key, depth + 1, collected);
		return;
	}
	if (typeof value === 'object') {
		for (const [childKey, child] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
			walkBody(child, childKey, depth + 1, collected);
		}
	}
}

function bytesToText(bytes: Uint8Array): string {
	const slice = bytes.subarray(0, MAX_TEXT_LENGTH);
	let text = '';
	// Latin-1 is enough: every signal the rules look for is ASCII.
	for (let index = 0; index < slice.length; index += 1024) {
		text += String.fromCharCode(...Array.from(slice.subarray(index, index + 1024)));
	}
	return text;
}

/** A raw body: small JSON is parsed so codes anywhere in it count; anything else is text. */
function collectTextBody(body: string, collected: Collected): void {
	const trimmed = body.trim();
	if (trimmed.length <= MAX_TEXT_LENGTH && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
		try {
			walkBody(JSON.parse(trimmed), '', 0, collected);
			return;
		} catch {
			// Not JSON after all (truncated snippet, HTML); the regex pass over the text still sees its fields.
		}
	}
	addText(collected, body);
}

/** JSON inside strings (`400 - "{\"error\":\"invalid_grant\"}"`): pick the code fields out with a regex. */
function collectEmbeddedJson(text: string, collected: Collected): void {
	if (!text.includes('"')) return;
	JSON_CODE_PAIR_RE.lastIndex = 0;
	let match: RegExpExecArray | null;
	while ((match = JSON_CODE_PAIR_RE.exec(text)) !== null) {
		const key = match[1].toLowerCase();
		addCode(PRIMARY_CODE_KEYS.has(key) ? collected.primaryCodes : collected.secondaryCodes, match[2]);
	}
	if (collected.status === undefined) {
		const status = JSON_STATUS_PAIR_RE.exec(text);
		if (status) collected.status = statusFrom(Number(status[1]));
	}
	const aadsts = JSON_AADSTS_LIST_RE.exec(text);
	if (aadsts) addCode(collected.secondaryCodes, `AADSTS${aadsts[1]}`);
}

function statusFromText(text: string): number | undefined {
	const match = STATUS_IN_TEXT_RE.exec(text);
	if (match) {
		const digits = match.slice(1).find((group) => group !== undefined);
		if (digits !== undefined) return Number(digits);
	}
	for (const [pattern, status] of N8N_STATUS_TEXTS) if (pattern.test(text)) return status;
	return undefined;
}

/** Sentence punctuation after a URL in prose; a loop, because `/[.,;:]+$/` restarts at every mark of a long run. */
function withoutTrailingPunctuation(text: string): string {
	let end = text.length;
	while (end > 0 && '.,;:'.includes(text.charAt(end - 1))) end--;
	return text.slice(0, end);
}

function urlPath(url: string): string {
	const withoutQuery = withoutTrailingPunctuation(url.split(/[?#]/)[0]);
	const afterScheme = withoutQuery.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
	const slash = afterScheme.indexOf('/');
	return slash === -1 ? '/' : afterScheme.slice(slash);
}

function isTokenEndpointUrl(url: string): boolean {
	return TOKEN_PATH_RE.test(urlPath(url));
}

function tokenUrlInText(text: string): boolean {
	return urlLikeWords(text).slice(0, MAX_URLS_IN_TEXT).some(isTokenEndpointUrl);
}

function isModelContext(evidence: ErrorEvidence, provider: Provider): boolean {
	return (
		provider === 'openai' ||
		provider === 'anthropic' ||
		(evidence.nodeType !== undefined && MODEL_NODE_RE.test(evidence.nodeType)) ||
		(evidence.credentialType !== undefined && MODEL_CREDENTIAL_RE.test(evidence.credentialType)) ||
		(evidence.url !== undefined && MODEL_HOST_RE.test(evidence.url))
	);
}

function gatherFacts(evidence: ErrorEvidence): Facts {
	const collected: Collected = { texts: [], textLength: 0, primaryCodes: [], secondaryCodes: [], visited: 0 };
	if (evidence.oauthError) addCode(collected.primaryCodes, evidence.oauthError);
	const challenge = bearerError(evidence.wwwAuthenticate);
	if (challenge.error) addCode(collected.primaryCodes, challenge.error);
	if (challenge.errorDescription) addText(collected, challenge.errorDescription);
	for (const message of evidence.messages ?? []) if (typeof message === 'string') addText(collected, message);
	if (evidence.errorDescription) addText(collected, evidence.errorDescription);

	const body = evidence.body instanceof Uint8Array ? bytesToText(evidence.body) : evidence.body;
	if (typeof body === 'string') collectTextBody(body, collected);
	else if (body !== null && typeof body === 'object') walkBody(body, '', 0, collected);

	// Escaped JSON inside messages reads like JSON once the backslashes are gone.
	const text = collected.texts.join('\n').replace(/\\"/g, '"');
	collectEmbeddedJson(text, collected);
	const bareCode = CODE_IN_TEXT_RE.exec(text);
	if (bareCode) addCode(collected.secondaryCodes, bareCode[1]);

	const status = validStatus(evidence.status) ?? collected.status ?? statusFromText(text);
	const provider = detectProvider({
		url: evidence.url,
		credentialType: evidence.credentialType,
		nodeType: evidence.nodeType,
		text,
	});
	const clientCredentialsFetch = N8N_CLIENT_CREDENTIALS_RE.test(text);
	const nonJsonTokenResponse = N8N_NON_JSON_TOKEN_RE.test(text);
	const phase = evidence.phase ?? 'unknown';
	const atTokenEndpoint =
		phase === 'token_endpoint' ||
		(phase !== 'api' &&
			((evidence.url !== undefined && isTokenEndpointUrl(evidence.url)) ||
				clientCredentialsFetch ||
				nonJsonTokenResponse ||
				REFRESH_CONTEXT_RE.test(text) ||
				tokenUrlInText(text)));

	return {
		status,
		primaryCodes: collected.primaryCodes,
		secondaryCodes: collected.secondaryCodes,
		text,
		provider,
		phase,
		atTokenEndpoint,
		nonJsonTokenResponse,
		clientCredentialsFetch,
		modelContext: isModelContext(evidence, provider),
		failureCause: evidence.failureCause,
		networkCode: evidence.networkCode,
		wwwAuthenticateError: challenge.error,
	};
}

// ---------------------------------------------------------------------------------------------
// Rules: each returns a verdict or nothing; the first verdict wins.

interface Verdict {
	category: Category;
	reason: string;
	/** The code that decided, when one did. */
	code?: string;
}

type Rule = (facts: Facts) => Verdict | undefined;

function safeCode(code: string | undefined): string | undefined {
	if (code === undefined || code.length > MAX_CODE_LENGTH) return undefined;
	const lower = code.toLowerCase();
	if (RFC_CODES.has(lower)) return lower;
	return SAFE_CODE_RE.test(code) ? code : undefined;
}

function source(facts: Facts): string {
	const owner = facts.provider === 'unknown' ? '' : `${PROVIDER_LABELS[facts.provider]}'s `;
	if (facts.atTokenEndpoint) return owner ? `${owner}token endpoint` : 'the token endpoint';
	if (facts.phase === 'api') return owner ? `the ${PROVIDER_LABELS[facts.provider]} API` : 'the API';
	return owner ? PROVIDER_LABELS[facts.provider] : 'the service';
}

function answered(facts: Facts): string {
	return facts.status === undefined ? `${source(facts)} reported` : `${source(facts)} answered HTTP ${facts.status}`;
}

function answeredWith(facts: Facts): string {
	return facts.status === undefined ? `${source(facts)} reported` : `${source(facts)} answered HTTP ${facts.status} with`;
}

/** Where the evidence came from, as a suffix: ` (HTTP 400 from Google's token endpoint)`. */
function origin(facts: Facts): string {
	const from = facts.provider === 'unknown' && !facts.atTokenEndpoint && facts.phase !== 'api' ? '' : source(facts);
	if (facts.status !== undefined) return from ? ` (HTTP ${facts.status} from ${from})` : ` (HTTP ${facts.status})`;
	return from ? ` from ${from}` : '';
}

function sentence(text: string): string {
	const trimmed = text.trim();
	const capitalised = trimmed.startsWith('n8n') ? trimmed : `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}`;
	return capitalised.endsWith('.') ? capitalised : `${capitalised}.`;
}

function firstMatch(signatures: readonly TextSignature[], text: string): TextSignature | undefined {
	return signatures.find((signature) => signature.pattern.test(text));
}

const modelKeyRule: Rule = (facts) => {
	const signature = firstMatch(MODEL_KEY_SIGNATURES, facts.text);
	if (!signature) return undefined;
	return {
		category: 'model_api_key',
		reason: `The error${origin(facts)} contains ${signature.evidence}: an API key was rejected, not an OAuth token`,
	};
};

const microsoftRule: Rule = (facts) => {
	const fromText = AADSTS_RE.exec(facts.text);
	const number = fromText?.[1] ?? facts.secondaryCodes.find((code) => code.startsWith('AADSTS'))?.slice(6);
	const meaning = number === undefined ? undefined : AADSTS_MEANINGS[number];
	if (number === undefined || meaning === undefined) return undefined;
	return {
		category: meaning.category,
		reason: `${answeredWith(facts)} Microsoft code AADSTS${number}: ${meaning.meaning}`,
		code: facts.primaryCodes[0] ?? `AADSTS${number}`,
	};
};

const FAILURE_CAUSE_CATEGORIES: Readonly<Record<string, Category>> = {
	'credential-invalid': 'refresh_token_invalid',
	'rate-limited': 'rate_limited',
	'quota-exhausted': 'rate_limited',
	'temporarily-unavailable': 'provider_unavailable',
};

const failureCauseRule: Rule = (facts) => {
	const category = facts.failureCause === undefined ? undefined : FAILURE_CAUSE_CATEGORIES[facts.failureCause];
	if (category === undefined) return undefined;
	return { category, reason: `n8n marked the failure as "${facts.failureCause}"${origin(facts)}` };
};

const clockSkewRule: Rule = (facts) => {
	if (GRAPH_EXPIRY_RE.test(facts.text) || !CLOCK_SKEW_RE.test(facts.text)) return undefined;
	return {
		category: 'clock_skew',
		reason: `The error${origin(facts)} says a token or assertion is outside its valid time window (iat/nbf/exp versus this host's clock)`,
	};
};

const rateLimitRule: Rule = (facts) => {
	if (facts.status === 429) return { category: 'rate_limited', reason: `${answered(facts)} (too many requests)` };
	if (!RATE_LIMIT_RE.test(facts.text)) return undefined;
	return { category: 'rate_limited', reason: `The error${origin(facts)} contains a throttling or quota message` };
};

const codeRule: Rule = (facts) => {
	for (const code of [...facts.primaryCodes, ...facts.secondaryCodes]) {
		const meaning = CODE_MEANINGS[code.toLowerCase()];
		if (meaning === undefined) continue;
		const category = typeof meaning.category === 'function' ? meaning.category(facts) : meaning.category;
		const shown = safeCode(code) ?? code.toLowerCase();
		const via = code === facts.wwwAuthenticateError ? ' in WWW-Authenticate' : '';
		return { category, reason: `${answeredWith(facts)} error code "${shown}"${via}: ${meaning.meaning}`, code: shown };
	}
	return undefined;
};

const phraseRule: Rule = (facts) => {
	const signature = firstMatch(PHRASE_SIGNATURES, facts.text);
	if (!signature) return undefined;
	return { category: signature.category, reason: `The error${origin(facts)} contains ${signature.evidence}` };
};

/**
 * The token endpoint's HTTP status when no code or known text decided. A 400/401 from a refresh is a
 * dead refresh token (Zapier treats any such 4xx as "reconnect"); for n8n's client-credentials fetch
 * there is no refresh token, so it is the client. A non-JSON answer (HTML page, proxy, maintenance
 * screen) is not the authorization server speaking OAuth at all, so it is retried rather than turned
 * into a reconnect request — unless the status shows the token URL itself is wrong (3xx, 404, 405, 410).
 */
const tokenEndpointRule: Rule = (facts) => {
	if (!facts.atTokenEndpoint) return undefined;
	const status = facts.status;
	const where = answered(facts);
	if (status !== undefined && ((status >= 300 && status < 400) || status === 404 || status === 405 || status === 410)) {
		return { category: 'client_misconfigured', reason: `${where}, so the token URL is wrong or redirects` };
	}
	if (facts.nonJsonTokenResponse && (status === undefined || status < 500)) {
		return { category: 'provider_unavailable', reason: `${where} with a non-JSON body instead of an OAuth response` };
	}
	if (status !== undefined && status >= 200 && status < 300) {
		return { category: 'provider_unavailable', reason: `${where} without a usable access token` };
	}
	if (status === 400 || status === 401) {
		return facts.clientCredentialsFetch
			? { category: 'client_misconfigured', reason: `${where} to n8n's client-credentials token request` }
			: { category: 'refresh_token_invalid', reason: `${where} to the refresh request, with no error code that says otherwise` };
	}
	return undefined;
};

const serverStatusRule: Rule = (facts) => {
	const status = facts.status;
	if (status === undefined || !(status >= 500 || status === 408)) return undefined;
	return { category: 'provider_unavailable', reason: `${answered(facts)} (server error or timeout)` };
};

const modelStatusRule: Rule = (facts) => {
	if (!facts.modelContext || (facts.status !== 401 && facts.status !== 403)) return undefined;
	return { category: 'model_api_key', reason: `${answered(facts)} to a language-model request, an API-key rejection` };
};

const unauthorizedRule: Rule = (facts) => {
	if (facts.status !== 401) return undefined;
	const challenge = facts.wwwAuthenticateError === undefined ? '' : ' with a Bearer challenge';
	return { category: 'access_token_rejected', reason: `${answered(facts)}${challenge}: the access token was refused` };
};

const networkRule: Rule = (facts) => {
	const explicit = facts.networkCode?.toUpperCase();
	if (explicit !== undefined && NETWORK_CODES.has(explicit)) {
		return { category: 'provider_unavailable', reason: `The connection to ${source(facts)} failed (${explicit})` };
	}
	if (facts.status !== undefined) return undefined;
	const codeInText = NETWORK_CODE_IN_TEXT_RE.exec(facts.text);
	if (codeInText) {
		return { category: 'provider_unavailable', reason: `The connection to ${source(facts)} failed (${codeInText[1]})` };
	}
	if (!NETWORK_TEXT_RE.test(facts.text)) return undefined;
	return { category: 'provider_unavailable', reason: `The connection to ${source(facts)} failed or timed out` };
};

const RULES: readonly Rule[] = [
	modelKeyRule,
	microsoftRule,
	failureCauseRule,
	clockSkewRule,
	rateLimitRule,
	codeRule,
	phraseRule,
	tokenEndpointRule,
	serverStatusRule,
	modelStatusRule,
	unauthorizedRule,
	networkRule,
];

function build(facts: Facts, verdict: Verdict): Classification {
	const traits = CATEGORY_TRAITS[verdict.category];
	const classification: Classification = {
		category: verdict.category,
		action: traits.action,
		retryable: traits.retryable,
		severity: traits.severity,
		provider: facts.provider,
		// Reasons are built from fixed phrases; redaction is the last guard should one ever quote evidence.
		reason: redactText(sentence(verdict.reason)),
	};
	const oauthError = safeCode(verdict.code) ?? safeCode(facts.primaryCodes[0]);
	if (oauthError !== undefined) classification.oauthError = oauthError;
	if (facts.status !== undefined) classification.httpCode = facts.status;
	if (facts.atTokenEndpoint) classification.atTokenEndpoint = true;
	return classification;
}

/** Classifies one failure. Every other entry point builds evidence and calls this. */
export function classify(evidence: ErrorEvidence): Classification {
	const facts = gatherFacts(evidence);
	for (const rule of RULES) {
		const verdict = rule(facts);
		if (verdict) return build(facts, verdict);
	}
	const status = facts.status === undefined ? '' : ` (HTTP ${facts.status})`;
	return build(facts, {
		category: 'not_auth_related',
		reason: `No authentication, throttling or availability signal was found in the error${status}`,
	});
}

// ---------------------------------------------------------------------------------------------
// Builders

/** A failed refresh/token request, as the token-endpoint client reports it. */
export function classifyTokenEndpointFailure(failure: TokenEndpointFailureLike, tokenUrl: string): Classification {
	const evidence: ErrorEvidence = {
		status: failure.status,
		oauthError: failure.oauthError,
		errorDescription: failure.errorDescription,
		body: failure.bodySnippet,
		url: tokenUrl,
		phase: 'token_endpoint',
		networkCode: failure.kind === 'network' ? failure.code : undefined,
	};
	if (failure.kind === 'html_body' || failure.kind === 'non_json_body') {
		// Same wording n8n uses, so both paths meet the same rule.
		evidence.messages = [`Expected JSON response from OAuth2 token endpoint (content-type: ${failure.contentType ?? 'none'})`];
	} else if (failure.kind === 'network' && failure.code === undefined) {
		evidence.messages = ['The connection to the token endpoint timed out'];
	}
	return classify(evidence);
}

function headerValue(headers: HttpHeaders | undefined, name: string): string | string[] | undefined {
	if (!headers) return undefined;
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
	const value = key === undefined ? undefined : headers[key];
	return typeof value === 'number' ? String(value) : value;
}

/** An error-shaped 2xx body: Slack's `{ ok: false, error }`, GitHub's `{ error }`, Marketo-style `{ errors }`. */
function isErrorBody(body: unknown): boolean {
	if (typeof body === 'string') return /"ok"\s*:\s*false|"error"\s*:/.test(body.slice(0, MAX_TEXT_LENGTH));
	if (body === null || typeof body !== 'object' || body instanceof Uint8Array) return false;
	const record = body as Record<string, unknown>;
	return record.ok === false || (record.error !== undefined && record.error !== null && record.error !== '');
}

/** A response from a protected API (401 with or without WWW-Authenticate, 403 scopes, 429, 5xx, Slack 200 ok:false). */
export function classifyApiResponse(response: HttpResponseLike, url?: string): Classification {
	const succeeded = response.status >= 200 && response.status < 300;
	if (succeeded && !isErrorBody(response.body)) {
		return build(gatherFacts({ status: response.status, url, phase: 'api' }), {
			category: 'not_auth_related',
			reason: `The API answered HTTP ${response.status} without an error`,
		});
	}
	return classify({
		status: response.status,
		wwwAuthenticate: headerValue(response.headers, 'www-authenticate'),
		body: response.body,
		url,
		phase: 'api',
	});
}
