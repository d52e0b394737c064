/**
 * The texts the classifier recognises when no code decided: provider and n8n messages for API keys,
 * clock skew, throttling, dead or missing refresh tokens, consent, client setup, scopes, outages and
 * network failures, plus the patterns that recover a lost HTTP status or tell a token endpoint, a
 * language-model service or a refresh apart. Checked in the order listed; `evidence` is the fixed phrase
 * a reason quotes, so no evidence text ever reaches the reason.
 */
import type { Category } from '../types';

export interface TextSignature {
	pattern: RegExp;
	category: Category;
	evidence: string;
}

export const MODEL_KEY_SIGNATURES: readonly TextSignature[] = [
	{
		pattern: /incorrect api key provided/i,
		category: 'model_api_key',
		evidence: 'OpenAI\'s "Incorrect API key provided" message',
	},
	{
		pattern: /api key not valid|\bAPI_KEY_INVALID\b/i,
		category: 'model_api_key',
		evidence: 'Google\'s "API key not valid" message',
	},
	{
		pattern: /invalid x-api-key|x-api-key header is required/i,
		category: 'model_api_key',
		evidence: 'Anthropic\'s "invalid x-api-key" message',
	},
	{
		// SDKs that found no key at all: openai ("The api_key client option must be set … OPENAI_API_KEY
		// environment variable"), Anthropic ("Could not resolve authentication method").
		pattern: /api_key client option must be set|could not resolve authentication method|_API_KEY environment variable/i,
		category: 'model_api_key',
		evidence: 'a language-model SDK message that no API key is set',
	},
	{
		// OpenAI insufficient_quota and Anthropic's credit balance: the key's account has no credit; waiting does not help.
		pattern: /\binsufficient_quota\b|check your plan and billing details|credit balance is too low/i,
		category: 'model_api_key',
		evidence: "a message that the API key's account is out of credit",
	},
	{
		pattern:
			/\binvalid[_ ]api[_ ]key\b|\bapi key (?:is )?(?:invalid|missing|expired|revoked|disabled|not found)\b|no api key (?:was )?provided|you didn't provide an api key|please pass a valid api key/i,
		category: 'model_api_key',
		evidence: 'an "invalid API key" message',
	},
];

// "has expired or is not yet valid" is Microsoft Graph's ordinary expiry text, not a clock problem.
export const GRAPH_EXPIRY_RE = /expired or is not yet valid/i;

// Microsoft's IDX10223 "Lifetime validation failed, the token is expired" is a plain expired token; only its
// "not yet valid" (IDX10222) form says the clocks disagree.
export const CLOCK_SKEW_RE =
	/not yet valid|can.t be used before|not within its valid time range|clock[ -]?(?:skew|drift)|used before (?:it was )?issued|issued in the future|\b(?:iat|nbf)\b[^.]{0,60}\bfuture\b|check your iat and exp values|in a reasonable timeframe|jwt not active|used too early/i;

// Besides the usual words: Salesforce REQUEST_LIMIT_EXCEEDED / "TotalRequests Limit exceeded", Google Maps
// OVER_QUERY_LIMIT / "exceeded your daily request quota", Salesforce "login rate exceeded", Zoom's 403
// "maximum number of api requests", Xero's URL-encoded "rate%20limit%20exceeded".
export const RATE_LIMIT_RE =
	/too many requests|rate(?:[ _-]|%20)?limit|\bratelimited\b|throttl|quota exceeded|exceeded (?:your|the) (?:current |daily |monthly )?(?:request )?quota|\bresource[_ ]exhausted\b|\brequests? limit exceeded|\bover_query_limit\b|\brate exceeded\b|maximum number of api requests/i;

// Where the wording comes from: RFC 6749/6750 texts, n8n-core's OAuth2 signing and refresh paths, and the
// provider texts of the real-world corpus (test/fixtures/real-world, each case with its source URL), e.g.
// google-auth-library "No refresh token is set" / "do not contain the necessary fields", Entra "must contain the
// following parameter: 'refresh_token'" (gap-ms-o365-*), n8n "Unable to sign without access token"
// (n8n-gcs-unable-to-sign), Google "Request is missing required authentication credential"
// (idp-google-missing-auth-credential-ads), Entra's admin-approval page (idp-ms-admin-approval-needed), HubSpot's
// install-time "Please contact the app developer" (n8n-hubspot-*), Google "Access blocked: This app's request is
// invalid", Zoom 4711 "does not contain scopes", Dropbox "does not have the required scope", Calendly
// 'required_scopes', GitHub "Bad credentials", Graph "CompactToken validation failed", IdentityModel IDX10223.
export const PHRASE_SIGNATURES: readonly TextSignature[] = [
	{
		pattern:
			/\bno refresh[_ ]token\b|refresh ?token (?:was )?not (?:provided|available|returned|issued)|do not contain the necessary fields need(?:ed)? to refresh|must contain the following parameter: .refresh_token|refresh ?token is required|refresh_token (?:is )?(?:missing|required)|missing (?:required parameter:? ?)?refresh[_ ]token|without a refresh token/i,
		category: 'refresh_token_missing',
		evidence: 'a message that no refresh token is stored',
	},
	{
		pattern:
			/oauth credentials not connected|credentials? (?:is |are )?not connected|(?:has|have) never been connected|unable to sign without access token|not connected to an account|no access or refresh token|missing required authentication credential/i,
		category: 'not_connected',
		evidence: 'a message that the credential holds no access token (it was never connected)',
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
			/resource owner or authorization server denied the request|consent (?:is )?required|has not consented|admin(?:istrator)? consent|need admin approval|only an admin can grant|requires end-user consent|interaction (?:is )?required|multi-factor authentication|conditional access/i,
		category: 'consent_required',
		evidence: 'a request for consent or interactive sign-in',
	},
	{
		pattern:
			/client authentication failed|client is not authorized to request|please contact the app developer|app developer doesn.t have permissions|app.s request is invalid|oauth client was deleted|not valid for use with the rest api|grant type is not supported|request is missing a required parameter|does not support obtaining an authorization code|redirect[_ ]uri[_ ]mismatch|invalid client (?:secret|id)|client secret (?:is )?(?:invalid|expired|wrong)|unknown client/i,
		category: 'client_misconfigured',
		evidence: 'a client authentication or configuration error',
	},
	{
		pattern:
			/requested scope is invalid|does not contain scopes|does not have the required scope|requires the scopes|minimum required permissions|insufficient[_ ]scopes?|insufficient authentication scopes|missing[_ ]scopes?|(?:been )?granted all required scopes|scopes? (?:is |are )?(?:missing|insufficient|not granted)|insufficient privileges|insufficient permission/i,
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
			/\bINVALID_SESSION_ID\b|session expired or invalid|request had invalid authentication credentials|expired or is not yet valid|access token (?:has |is )?expired|\btoken (?:has |is )?expired|expired access token|lifetime validation failed|invalid (?:access|bearer|auth(?:entication)?) token|\bjwt (?:has |is )?expired|\bbad credentials\b|\bInvalidAuthenticationToken\b|compacttoken validation failed/i,
		category: 'access_token_rejected',
		evidence: 'a message that the access token is expired or invalid',
	},
];

export const NETWORK_CODES = new Set([
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

export const NETWORK_CODE_IN_TEXT_RE =
	/\b(ECONNREFUSED|ECONNRESET|ECONNABORTED|ESOCKETTIMEDOUT|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|EPIPE)\b/;

// n8n's NodeError texts for network codes, plus axios / Node phrasings.
export const NETWORK_TEXT_RE =
	/service refused the connection|connection to the server was closed unexpectedly|connection cannot be established|connection timed out|connection was aborted|host is unreachable|dns server returned an error|server closed the connection unexpectedly|socket hang up|timeout of \d+ ?ms exceeded|\btimed out\b|\btimeout\b/i;

/** n8n's NodeApiError texts stand in for the status when `httpCode` was lost on the way. */
export const N8N_STATUS_TEXTS: ReadonlyArray<readonly [RegExp, number]> = [
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
export const STATUS_IN_TEXT_RE =
	/^\s*([1-5]\d\d) - |\b([1-5]\d\d) (?:Client|Server) Error\b|status code ([1-5]\d\d)\b|\bHTTP(?:\/\d(?:\.\d)?)?(?: status)?:? ([1-5]\d\d)\b|\b([1-5]\d\d) (?:Bad Request|Unauthorized|Forbidden|Not Found|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i;

export const N8N_CLIENT_CREDENTIALS_RE = /failed to acquire oauth2 access token/i;
export const N8N_NON_JSON_TOKEN_RE = /expected json response from oauth2 token endpoint/i;
export const REFRESH_CONTEXT_RE =
	/token refresh|refreshing (?:the )?(?:access )?token|refresh(?:ing)? (?:the )?credentials|refresh_token grant/i;

export const TOKEN_PATH_RE = /\/(?:access_token|token|tokens\/bearer|oauth(?:\.v2)?(?:\.user)?\.access)\/?$/i;
export const MODEL_HOST_RE = /\/\/(?:generativelanguage|aiplatform)\.googleapis\.com\b/i;

export const MODEL_NODE_RE = /\.(?:lmChat\w*|lmOpenAi|embeddings\w*|openAi|anthropic|googleGemini|mistralAi)$/i;
export const MODEL_CREDENTIAL_RE =
	/^(?:openAiApi|azureOpenAiApi|anthropicApi|googlePalmApi|googleGeminiApi|mistralCloudApi|groqApi|deepSeekApi|openRouterApi|xAiApi|cohereApi)$/i;

export function firstMatch(signatures: readonly TextSignature[], text: string): TextSignature | undefined {
	return signatures.find((signature) => signature.pattern.test(text));
}
