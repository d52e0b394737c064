/**
 * The code tables the classifier trusts most: RFC 6749 / 6750 `error` codes, provider codes seen in
 * `error`, `status`, `code`, `type` fields, Microsoft Entra AADSTS numbers and n8n's `failure.cause`
 * values, each with its category and the phrase the reason quotes. Also the check that a code is safe to
 * echo (an identifier, not something shaped like a token).
 */
import type { Category } from '../types';
import type { Facts } from './evidence';

// RFC 6749 §5.2, RFC 6750 §3.1, and provider codes seen in `error`, `status`, `code`,
// `errorCode`, `category`, `reason` fields. Keys are lower-case.

export type CodeResolver = (facts: Facts) => Category;

export interface CodeMeaning {
	category: Category | CodeResolver;
	/** What the code says, for the reason sentence. */
	meaning: string;
}

export const RFC_CODES = new Set([
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

// Descriptions under invalid_grant that name the client, not the grant: Google's service-account key that was
// rotated or deleted ("Invalid JWT Signature"), Salesforce's blocked login flow ("authentication failure").
const CLIENT_GRANT_TEXT_RE = /invalid jwt signature|\bauthentication failure\b/i;

/** RFC 6749 invalid_grant: a dead refresh token, unless the description says the client's own key or flow failed. */
const resolveInvalidGrant: CodeResolver = (facts) =>
	CLIENT_GRANT_TEXT_RE.test(facts.text) ? 'client_misconfigured' : 'refresh_token_invalid';

// Salesforce answers a session its connected app's policies (IP ranges, API access) do not allow for the API
// with INVALID_SESSION_ID and "This session is not valid for use with the REST API".
const SESSION_POLICY_TEXT_RE = /not valid for use with the (?:rest )?api/i;

const resolveInvalidSession: CodeResolver = (facts) =>
	SESSION_POLICY_TEXT_RE.test(facts.text) ? 'client_misconfigured' : 'access_token_rejected';

export const CODE_MEANINGS: Readonly<Record<string, CodeMeaning>> = {
	// RFC 6749 §5.2 (token endpoint)
	invalid_grant: { category: resolveInvalidGrant, meaning: 'the refresh token is invalid, expired or revoked' },
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
	deleted_client: { category: 'client_misconfigured', meaning: 'the OAuth client was deleted' },
	// Microsoft Graph
	invalidauthenticationtoken: { category: 'access_token_rejected', meaning: 'the access token is not valid' },
	authorization_requestdenied: { category: 'scope_insufficient', meaning: 'the token lacks a required permission' },
	// Salesforce
	invalid_session_id: {
		category: resolveInvalidSession,
		meaning: 'the session (access token) expired, is invalid or is not allowed for the API',
	},
	request_limit_exceeded: { category: 'rate_limited', meaning: "the org's API request limit was reached" },
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
	not_authed: { category: 'not_connected', meaning: 'no token was sent' },
	token_revoked: { category: 'refresh_token_invalid', meaning: 'the token was revoked' },
	account_inactive: { category: 'refresh_token_invalid', meaning: 'the authorizing account is deactivated' },
	invalid_refresh_token: { category: 'refresh_token_invalid', meaning: 'the refresh token is invalid' },
	missing_scope: { category: 'scope_insufficient', meaning: 'the token lacks a required scope' },
	ratelimited: { category: 'rate_limited', meaning: 'the app is rate limited' },
	// Dropbox (`error_summary`, e.g. `expired_access_token/`)
	expired_access_token: { category: 'access_token_rejected', meaning: 'the access token expired' },
	invalid_access_token: { category: 'access_token_rejected', meaning: 'the access token is not valid' },
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

export interface AadstsMeaning {
	category: Category;
	meaning: string;
}

export const AADSTS_MEANINGS: Readonly<Record<string, AadstsMeaning>> = {
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
	'50058': { category: 'consent_required', meaning: 'a silent sign-in found no signed-in user; sign in interactively' },
	'7000215': { category: 'client_misconfigured', meaning: 'the client secret is invalid' },
	'7000222': { category: 'client_misconfigured', meaning: 'the client secret has expired' },
	'7000218': { category: 'client_misconfigured', meaning: 'a client secret or assertion is required' },
	'700016': { category: 'client_misconfigured', meaning: 'the application was not found in the tenant' },
	'700027': { category: 'client_misconfigured', meaning: 'the client assertion signature is invalid' },
	'50011': { category: 'client_misconfigured', meaning: 'the redirect URI does not match' },
	'90002': { category: 'client_misconfigured', meaning: 'the tenant was not found' },
	'50194': { category: 'client_misconfigured', meaning: 'a single-tenant app used the /common endpoint' },
	'70011': { category: 'scope_insufficient', meaning: 'the requested scope is invalid' },
	'700024': { category: 'clock_skew', meaning: 'the client assertion is outside its valid time range' },
	'500133': { category: 'clock_skew', meaning: 'the assertion is outside its valid time range' },
	'50196': { category: 'rate_limited', meaning: 'a request loop was throttled' },
	'90033': { category: 'provider_unavailable', meaning: 'a transient error occurred' },
};

export const AADSTS_RE = /\bAADSTS(\d{4,8})\b/;

// ---------------------------------------------------------------------------------------------
// n8n's `error.failure.cause` (2.39+).

export const FAILURE_CAUSE_CATEGORIES: Readonly<Record<string, Category>> = {
	'credential-invalid': 'refresh_token_invalid',
	'rate-limited': 'rate_limited',
	'quota-exhausted': 'rate_limited',
	'temporarily-unavailable': 'provider_unavailable',
};

// ---------------------------------------------------------------------------------------------
// Codes echoed in output must look like identifiers, not like tokens (which carry digits and mixed case).
export const SAFE_CODE_RE =
	/^(?:[a-z]+(?:[_.][a-z]+)*|[A-Z]+(?:_[A-Z]+)*|(?:[A-Z][a-z]+)+(?:_(?:[A-Z][a-z]+)+)*|AADSTS\d{4,8})$/;
export const MAX_CODE_LENGTH = 48;

export function safeCode(code: string | undefined): string | undefined {
	if (code === undefined || code.length > MAX_CODE_LENGTH) return undefined;
	const lower = code.toLowerCase();
	if (RFC_CODES.has(lower)) return lower;
	return SAFE_CODE_RE.test(code) ? code : undefined;
}
