import {
	classify,
	classifyApiResponse,
	classifyTokenEndpointFailure,
	type ErrorEvidence,
} from '../../nodes/shared/classify/classifier';
import type { Category, HttpResponseLike, Provider } from '../../nodes/shared/types';

interface Case {
	name: string;
	evidence: ErrorEvidence;
	category: Category;
	provider?: Provider;
	oauthError?: string;
	httpCode?: number;
}

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const MICROSOFT_TOKEN_URL = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';

const N8N_RECONNECT_DESCRIPTION =
	'Access could not be refreshed because the connected account has revoked access, the refresh token expired, or the account password or permissions changed. Open the credential and reconnect it to continue.';
const RFC_INVALID_GRANT =
	'The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

const microsoftBody = (error: string, aadsts: number, text: string) => ({
	error,
	error_description: `AADSTS${aadsts}: ${text} Trace ID: 0b5b1f0e-2b1c-4f4e-9c55-6b3f0e5b2a00 Correlation ID: 5f1d2c3b-7a8e-4e2f-9b1d-3c4e5f6a7b8c Timestamp: 2026-03-02 10:11:12Z`,
	error_codes: [aadsts],
	timestamp: '2026-03-02 10:11:12Z',
	trace_id: '0b5b1f0e-2b1c-4f4e-9c55-6b3f0e5b2a00',
	correlation_id: '5f1d2c3b-7a8e-4e2f-9b1d-3c4e5f6a7b8c',
});

const tokenEndpoint = (url: string, status: number, body: unknown): ErrorEvidence => ({
	status,
	body,
	url,
	phase: 'token_endpoint',
});

// n8n 2.x errors as Token Health reads them from `execution.error` (message, description, messages[], httpCode…).
const N8N_CASES: Case[] = [
	{
		name: 'n8n 2.x reconnect error with failure.cause credential-invalid',
		evidence: {
			messages: ['The credential "Gmail account" needs to be reconnected.', N8N_RECONNECT_DESCRIPTION],
			failureCause: 'credential-invalid',
			credentialType: 'gmailOAuth2',
			nodeType: 'n8n-nodes-base.gmail',
		},
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'n8n 2.27–2.38 reconnect error without failure.cause',
		evidence: {
			messages: ['The credential "Outlook" needs to be reconnected.'],
			credentialType: 'microsoftOutlookOAuth2Api',
		},
		category: 'refresh_token_invalid',
		provider: 'microsoft',
	},
	{
		name: 'failure.cause credential-invalid alone decides',
		evidence: { messages: ['Something went wrong'], failureCause: 'credential-invalid' },
		category: 'refresh_token_invalid',
	},
	{
		name: 'older n8n: RFC invalid_grant prose',
		evidence: { messages: [RFC_INVALID_GRANT], credentialType: 'googleSheetsOAuth2Api' },
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'no refresh token stored',
		evidence: {
			messages: ['OAuth access token expired and no refresh token is available. Please reconnect the credentials.'],
			credentialType: 'tokenGuardGoogleOAuth2Api',
		},
		category: 'refresh_token_missing',
		provider: 'google',
	},
	{
		name: 'never connected',
		evidence: { messages: ['OAuth credentials not connected'], nodeType: 'n8n-nodes-base.gmail' },
		category: 'not_connected',
		provider: 'google',
	},
	{
		name: 'RFC invalid_client prose',
		evidence: {
			messages: [
				'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
			],
		},
		category: 'client_misconfigured',
	},
	{
		name: 'RFC unauthorized_client prose',
		evidence: { messages: ['The client is not authorized to request an authorization code using this method.'] },
		category: 'client_misconfigured',
	},
	{
		name: 'RFC unsupported_grant_type prose',
		evidence: { messages: ['The authorization grant type is not supported by the authorization server.'] },
		category: 'client_misconfigured',
	},
	{
		name: 'RFC invalid_request prose',
		evidence: {
			messages: [
				'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.',
			],
		},
		category: 'client_misconfigured',
	},
	{
		name: 'RFC invalid_scope prose',
		evidence: { messages: ['The requested scope is invalid, unknown, or malformed.'] },
		category: 'scope_insufficient',
	},
	{
		name: 'RFC access_denied prose',
		evidence: { messages: ['The resource owner or authorization server denied the request.'] },
		category: 'consent_required',
	},
	{
		name: 'RFC server_error prose',
		evidence: {
			messages: [
				'The authorization server encountered an unexpected condition that prevented it from fulfilling the request. (This error code is needed because a 500 Internal Server Error HTTP status code cannot be returned to the client via an HTTP redirect.)',
			],
		},
		category: 'provider_unavailable',
	},
	{
		name: 'RFC temporarily_unavailable prose',
		evidence: {
			messages: [
				'The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server.',
			],
		},
		category: 'provider_unavailable',
	},
	{
		name: 'token endpoint answered HTML',
		evidence: {
			messages: [
				'Expected JSON response from OAuth2 token endpoint (content-type: text/html; charset=utf-8) but received: <!DOCTYPE html><html><head><title>Maintenance</title>...',
			],
		},
		category: 'provider_unavailable',
	},
	{
		name: 'client-credentials fetch answered 401',
		evidence: { messages: ['Failed to acquire OAuth2 access token: Request failed with status code 401'] },
		category: 'client_misconfigured',
		httpCode: 401,
	},
	{
		name: 'client-credentials fetch with a DNS failure',
		evidence: { messages: ['Failed to acquire OAuth2 access token: getaddrinfo ENOTFOUND login.example.com'] },
		category: 'provider_unavailable',
	},
	{
		name: 'client-credentials fetch with invalid_client prose inside',
		evidence: {
			messages: [
				'Failed to acquire OAuth2 access token: Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
			],
		},
		category: 'client_misconfigured',
	},
	{
		name: 'retry after refresh still 401',
		evidence: {
			messages: ['Authorization failed - please check your credentials'],
			status: 401,
			nodeType: 'n8n-nodes-base.httpRequest',
		},
		category: 'access_token_rejected',
		httpCode: 401,
	},
	{
		name: 'n8n 401 text with httpCode lost',
		evidence: { messages: ['Authorization failed - please check your credentials', 'Unauthorized'] },
		category: 'access_token_rejected',
		httpCode: 401,
	},
	{
		name: 'n8n 429 text',
		evidence: { messages: ['The service is receiving too many requests from you'], status: 429 },
		category: 'rate_limited',
	},
	{
		name: 'failure.cause rate-limited',
		evidence: { messages: ['Request throttled by upstream'], failureCause: 'rate-limited' },
		category: 'rate_limited',
	},
	{
		name: 'n8n ECONNREFUSED text',
		evidence: { messages: ['The service refused the connection - perhaps it is offline'] },
		category: 'provider_unavailable',
	},
	{
		name: 'n8n ETIMEDOUT text',
		evidence: {
			messages: ["The connection timed out, consider setting the 'Retry on Fail' option in the node settings"],
		},
		category: 'provider_unavailable',
	},
	{
		name: 'n8n 503 text',
		evidence: {
			messages: [
				'Service unavailable - try again later or consider setting this node to retry automatically (in the node settings)',
			],
			status: 503,
		},
		category: 'provider_unavailable',
	},
	{
		name: 'n8n 5xx text',
		evidence: { messages: ['The service failed to process your request'], status: 500 },
		category: 'provider_unavailable',
	},
	{
		name: 'n8n 404',
		evidence: { messages: ['The resource you are requesting could not be found'], status: 404 },
		category: 'not_auth_related',
		httpCode: 404,
	},
	{
		name: 'n8n 400 with a parameter problem',
		evidence: {
			messages: ['Bad request - please check your parameters', "Invalid value for field 'labelIds'"],
			status: 400,
			nodeType: 'n8n-nodes-base.gmail',
		},
		category: 'not_auth_related',
		provider: 'google',
	},
	{
		name: 'n8n 403 naming insufficient scopes',
		evidence: {
			messages: ['Forbidden - perhaps check your credentials?', 'Request had insufficient authentication scopes.'],
			status: 403,
			credentialType: 'googleDriveOAuth2Api',
		},
		category: 'scope_insufficient',
		provider: 'google',
	},
	{
		name: 'plain 403 without scopes is not an auth diagnosis',
		evidence: {
			messages: ['Forbidden - perhaps check your credentials?', 'The caller does not have permission'],
			status: 403,
		},
		category: 'not_auth_related',
	},
	{
		name: 'n8n 1.x legacy message with escaped JSON',
		evidence: {
			messages: [
				'400 - "{\\"error\\":\\"invalid_grant\\",\\"error_description\\":\\"Token has been expired or revoked.\\"}"',
			],
			credentialType: 'gmailOAuth2',
		},
		category: 'refresh_token_invalid',
		provider: 'google',
		oauthError: 'invalid_grant',
		httpCode: 400,
	},
	{
		name: 'n8n 1.x legacy 401 with Google JSON',
		evidence: {
			messages: [
				'401 - {"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}',
			],
		},
		category: 'access_token_rejected',
		httpCode: 401,
	},
	{
		name: 'JavaScript bug',
		evidence: { messages: ["Cannot read properties of undefined (reading 'json')"] },
		category: 'not_auth_related',
	},
	{
		name: 'JSON parse of HTML',
		evidence: { messages: ['Unexpected token < in JSON at position 0'] },
		category: 'not_auth_related',
	},
	{
		name: 'file system error',
		evidence: { messages: ["ENOENT: no such file or directory, open '/data/x.csv'"] },
		category: 'not_auth_related',
	},
	{
		name: 'expired TLS certificate',
		evidence: { messages: ['certificate has expired'] },
		category: 'not_auth_related',
	},
	{
		name: 'Salesforce instance_url lost',
		evidence: { messages: ['Invalid URL'], credentialType: 'salesforceOAuth2Api' },
		category: 'not_auth_related',
		provider: 'salesforce',
	},
];

// The seed reports (Dify, n8n guide) as they were pasted.
const SEED_CASES: Case[] = [
	{
		name: 'Dify Gmail refresh failure is Google OAuth, not the model',
		evidence: {
			messages: [
				'Error refreshing credentials: req_id: 75b762d516 PluginInvokeError: {"args":{},"error_type":"ToolProviderOAuthError","message":"Network error during token refresh: 400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token"}',
			],
		},
		category: 'refresh_token_invalid',
		provider: 'google',
		httpCode: 400,
	},
	{
		name: 'Dify Gmail refresh failure inside a Gemini node run',
		evidence: {
			messages: [
				'PluginInvokeError: {"error_type":"ToolProviderOAuthError","message":"Network error during token refresh: 400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token"}',
			],
			nodeType: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini',
		},
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'Dify plugin refresh failure with the provider text',
		evidence: { messages: ['ToolProviderOAuthError: Token refresh failed: Token has been expired or revoked.'] },
		category: 'refresh_token_invalid',
	},
	{
		name: 'Dify plugin without refresh token',
		evidence: { messages: ['ToolProviderOAuthError: No refresh token available'] },
		category: 'refresh_token_missing',
	},
	{
		name: 'Sentry-style invalid_grant line',
		evidence: { messages: ['Error: invalid_grant – token revoked'] },
		category: 'refresh_token_invalid',
		oauthError: 'invalid_grant',
	},
	{
		name: 'Zoho "refreshToken is required"',
		evidence: { messages: ['refreshToken is required'], credentialType: 'zohoOAuth2Api' },
		category: 'refresh_token_missing',
		provider: 'zoho',
	},
];

// Raw token endpoint answers (RFC 6749 §5.2 and provider quirks).
const TOKEN_ENDPOINT_CASES: Case[] = [
	{
		name: 'Google invalid_grant',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 400, {
			error: 'invalid_grant',
			error_description: 'Token has been expired or revoked.',
		}),
		category: 'refresh_token_invalid',
		provider: 'google',
		oauthError: 'invalid_grant',
		httpCode: 400,
	},
	{
		name: 'Google invalid_rapt (Workspace reauth policy)',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 400, {
			error: 'invalid_grant',
			error_description: 'reauth related error (invalid_rapt)',
			error_uri: 'https://support.google.com/a/answer/9368756',
			error_subtype: 'invalid_rapt',
		}),
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'Google JWT assertion outside its time window',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 400, {
			error: 'invalid_grant',
			error_description:
				'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
		}),
		category: 'clock_skew',
		provider: 'google',
	},
	{
		name: 'Google deleted OAuth client',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 401, {
			error: 'invalid_client',
			error_description: 'The OAuth client was not found.',
		}),
		category: 'client_misconfigured',
		provider: 'google',
		oauthError: 'invalid_client',
	},
	{
		name: 'Microsoft AADSTS700082 inactivity',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'invalid_grant',
				700082,
				'The refresh token has expired due to inactivity. The token was issued on 2025-11-01 and was inactive for 90.00:00:00.',
			),
		),
		category: 'refresh_token_invalid',
		provider: 'microsoft',
		oauthError: 'invalid_grant',
	},
	{
		name: 'Microsoft AADSTS70008',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'invalid_grant',
				70008,
				'The provided authorization code or refresh token has expired due to inactivity.',
			),
		),
		category: 'refresh_token_invalid',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS50173 revoked by password reset',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'invalid_grant',
				50173,
				'The provided grant has expired due to it being revoked, a fresh auth token is needed.',
			),
		),
		category: 'refresh_token_invalid',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS700084 SPA refresh token',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'invalid_grant',
				700084,
				'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00.',
			),
		),
		category: 'refresh_token_invalid',
	},
	{
		name: 'Microsoft AADSTS65001 arrives as invalid_grant but is consent',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'invalid_grant',
				65001,
				"The user or administrator has not consented to use the application with ID 'abc' named 'n8n'.",
			),
		),
		category: 'consent_required',
		provider: 'microsoft',
		oauthError: 'invalid_grant',
	},
	{
		name: 'Microsoft AADSTS50076 MFA',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody(
				'interaction_required',
				50076,
				"Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
			),
		),
		category: 'consent_required',
		oauthError: 'interaction_required',
	},
	{
		name: 'Microsoft AADSTS50079 MFA enrolment',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody('interaction_required', 50079, 'The user is required to use multi-factor authentication.'),
		),
		category: 'consent_required',
	},
	{
		name: 'Microsoft AADSTS7000215 wrong secret',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			401,
			microsoftBody(
				'invalid_client',
				7000215,
				'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
			),
		),
		category: 'client_misconfigured',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS7000222 expired secret',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			401,
			microsoftBody('invalid_client', 7000222, "The provided client secret keys for app 'abc' are expired."),
		),
		category: 'client_misconfigured',
	},
	{
		name: 'Microsoft AADSTS700024 clock skew',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody('invalid_client', 700024, 'Client assertion is not within its valid time range.'),
		),
		category: 'clock_skew',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft unknown AADSTS number falls back on the error field (invalid_grant)',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			400,
			microsoftBody('invalid_grant', 9999999, 'Something new Microsoft invented.'),
		),
		category: 'refresh_token_invalid',
		oauthError: 'invalid_grant',
	},
	{
		name: 'Microsoft unknown AADSTS number falls back on the error field (invalid_client)',
		evidence: tokenEndpoint(
			MICROSOFT_TOKEN_URL,
			401,
			microsoftBody('invalid_client', 9999998, 'Another new condition.'),
		),
		category: 'client_misconfigured',
	},
	{
		// IDX10223 is IdentityModel's expired-token error; only the "not yet valid" IDX10222 is the clock.
		name: 'Microsoft "Lifetime validation failed … expired" (IDX10223)',
		evidence: {
			messages: ['IDX10223: Lifetime validation failed. The token is expired.'],
			credentialType: 'microsoftOAuth2Api',
		},
		category: 'access_token_rejected',
		provider: 'microsoft',
	},
	{
		name: 'Box expired refresh token',
		evidence: tokenEndpoint('https://api.box.com/oauth2/token', 400, {
			error: 'invalid_grant',
			error_description: 'Refresh token has expired',
		}),
		category: 'refresh_token_invalid',
		provider: 'box',
	},
	{
		name: 'Xero invalid_grant',
		evidence: tokenEndpoint('https://identity.xero.com/connect/token', 400, { error: 'invalid_grant' }),
		category: 'refresh_token_invalid',
		provider: 'xero',
	},
	{
		name: 'Atlassian invalid refresh token with 403',
		evidence: tokenEndpoint('https://auth.atlassian.com/oauth/token', 403, {
			error: 'invalid_grant',
			error_description: 'Unknown or invalid refresh token.',
		}),
		category: 'refresh_token_invalid',
		provider: 'atlassian',
		httpCode: 403,
	},
	{
		name: 'Atlassian text alone with 403',
		evidence: {
			status: 403,
			messages: ['Unknown or invalid refresh token.'],
			url: 'https://auth.atlassian.com/oauth/token',
		},
		category: 'refresh_token_invalid',
		provider: 'atlassian',
	},
	{
		name: 'Atlassian unauthorized_client for a dead rotating refresh token',
		evidence: tokenEndpoint('https://auth.atlassian.com/oauth/token', 403, {
			error: 'unauthorized_client',
			error_description: 'refresh_token is invalid',
		}),
		category: 'refresh_token_invalid',
		provider: 'atlassian',
		oauthError: 'unauthorized_client',
	},
	{
		name: 'unauthorized_client about the grant type stays a client problem',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, {
			error: 'unauthorized_client',
			error_description: 'The client is not authorized to use the refresh_token grant type',
		}),
		category: 'client_misconfigured',
	},
	{
		name: 'Refresh token not found (n8n community guide)',
		evidence: { status: 400, messages: ['Refresh token not found'], url: 'https://auth.example.com/oauth/token' },
		category: 'refresh_token_invalid',
	},
	{
		name: 'Salesforce expired refresh token',
		evidence: tokenEndpoint('https://login.salesforce.com/services/oauth2/token', 400, {
			error: 'invalid_grant',
			error_description: 'expired access/refresh token',
		}),
		category: 'refresh_token_invalid',
		provider: 'salesforce',
	},
	{
		name: 'HubSpot BAD_REFRESH_TOKEN (non-RFC shape)',
		evidence: tokenEndpoint('https://api.hubapi.com/oauth/v1/token', 400, {
			status: 'BAD_REFRESH_TOKEN',
			message: 'missing or invalid refresh token',
			correlationId: '3f1e4c2a-1111-2222-3333-444455556666',
		}),
		category: 'refresh_token_invalid',
		provider: 'hubspot',
		oauthError: 'BAD_REFRESH_TOKEN',
	},
	{
		name: 'HubSpot BAD_REFRESH_TOKEN as raw JSON text',
		evidence: {
			status: 400,
			body: '{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token"}',
			phase: 'token_endpoint',
		},
		category: 'refresh_token_invalid',
		provider: 'hubspot',
	},
	{
		name: 'Zoho throttle "Access Denied … too many requests"',
		evidence: tokenEndpoint('https://accounts.zoho.eu/oauth/v2/token', 400, {
			error: 'Access Denied',
			error_description: 'You have made too many requests continuously. Please try again after some time.',
			status: 'failure',
		}),
		category: 'rate_limited',
		provider: 'zoho',
	},
	{
		name: 'Zoho invalid_code (revoked refresh token), India data centre',
		evidence: tokenEndpoint('https://accounts.zoho.in/oauth/v2/token', 200, { error: 'invalid_code' }),
		category: 'refresh_token_invalid',
		provider: 'zoho',
		oauthError: 'invalid_code',
	},
	{
		name: 'GitHub bad_refresh_token in a 200 body',
		evidence: tokenEndpoint('https://github.com/login/oauth/access_token', 200, {
			error: 'bad_refresh_token',
			error_description: 'The refresh token passed is incorrect or expired.',
			error_uri:
				'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-refresh-token',
		}),
		category: 'refresh_token_invalid',
		provider: 'github',
		httpCode: 200,
	},
	{
		name: 'a generic token endpoint answering 200 bad_refresh_token claims no provider',
		evidence: {
			...tokenEndpoint('http://127.0.0.1:4000/token', 200, {
				error: 'bad_refresh_token',
				error_description: 'The refresh token is incorrect or expired.',
			}),
			credentialType: 'tokenGuardRefreshTokenApi',
		},
		category: 'refresh_token_invalid',
		provider: 'unknown',
	},
	{
		name: 'GitHub incorrect_client_credentials',
		evidence: tokenEndpoint('https://github.com/login/oauth/access_token', 200, {
			error: 'incorrect_client_credentials',
			error_description: 'The client_id and/or client_secret passed are incorrect.',
		}),
		category: 'client_misconfigured',
		provider: 'github',
	},
	{
		name: 'Slack refresh with an invalid refresh token',
		evidence: tokenEndpoint('https://slack.com/api/oauth.v2.access', 200, {
			ok: false,
			error: 'invalid_refresh_token',
		}),
		category: 'refresh_token_invalid',
		provider: 'slack',
	},
	{
		name: 'Dropbox invalid_grant',
		evidence: tokenEndpoint('https://api.dropboxapi.com/oauth2/token', 400, {
			error: 'invalid_grant',
			error_description: 'refresh token is malformed',
		}),
		category: 'refresh_token_invalid',
		provider: 'dropbox',
	},
	{
		name: 'QuickBooks invalid_grant',
		evidence: tokenEndpoint('https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer', 400, {
			error: 'invalid_grant',
		}),
		category: 'refresh_token_invalid',
		provider: 'quickbooks',
	},
	{
		name: 'Zoom invalid refresh token arrives as invalid_request',
		evidence: tokenEndpoint('https://zoom.us/oauth/token', 400, { reason: 'Invalid Token!', error: 'invalid_request' }),
		category: 'refresh_token_invalid',
		provider: 'zoom',
	},
	{
		name: 'invalid_request naming the missing refresh_token',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, {
			error: 'invalid_request',
			error_description: 'Missing required parameter: refresh_token',
		}),
		category: 'refresh_token_missing',
		provider: 'unknown',
	},
	{
		name: 'invalid_request on the token endpoint is a client problem',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, {
			error: 'invalid_request',
			error_description: 'Duplicate parameter: client_id',
		}),
		category: 'client_misconfigured',
	},
	{
		name: 'unsupported_grant_type',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, { error: 'unsupported_grant_type' }),
		category: 'client_misconfigured',
	},
	{
		name: 'redirect_uri_mismatch',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, {
			error: 'redirect_uri_mismatch',
			error_description: 'Bad Request',
		}),
		category: 'client_misconfigured',
	},
	{
		name: 'invalid_scope on refresh',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, { error: 'invalid_scope' }),
		category: 'scope_insufficient',
	},
	{
		name: 'access_denied',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, { error: 'access_denied' }),
		category: 'consent_required',
	},
	{
		name: 'login_required',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, { error: 'login_required' }),
		category: 'consent_required',
	},
	{
		name: 'oidc-provider reuse of a rotated refresh token',
		evidence: tokenEndpoint('http://127.0.0.1:4000/token', 400, {
			error: 'invalid_grant',
			error_description: 'grant request is invalid',
		}),
		category: 'refresh_token_invalid',
		oauthError: 'invalid_grant',
	},
	{
		name: 'token endpoint 429',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 429, '{"error":"rate_limit_exceeded"}'),
		category: 'rate_limited',
		provider: 'google',
	},
	{
		name: 'token endpoint 503',
		evidence: tokenEndpoint(GOOGLE_TOKEN_URL, 503, 'Service Unavailable'),
		category: 'provider_unavailable',
	},
	{
		name: 'body as a Buffer is decoded',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, Buffer.from('{"error":"invalid_client"}')),
		category: 'client_misconfigured',
		oauthError: 'invalid_client',
	},
	{
		name: 'JSON text body with the code after a long field',
		evidence: tokenEndpoint(
			'https://auth.example.com/oauth/token',
			400,
			JSON.stringify({ trace: 'x'.repeat(3000), error: 'unauthorized_client' }),
		),
		category: 'client_misconfigured',
		oauthError: 'unauthorized_client',
	},
	{
		name: 'bare 400 from a token endpoint with an unknown code',
		evidence: tokenEndpoint('https://auth.example.com/oauth/token', 400, { error: 'weird_thing' }),
		category: 'refresh_token_invalid',
		oauthError: 'weird_thing',
	},
	{
		name: 'token URL in a message with 401',
		evidence: { messages: ['Request failed with status code 401 (POST https://auth.example.com/oauth2/v2/token)'] },
		category: 'refresh_token_invalid',
		httpCode: 401,
	},
];

// Responses from protected APIs (RFC 6750 and provider shapes).
const API_CASES: Array<{
	name: string;
	response: HttpResponseLike;
	url?: string;
	category: Category;
	provider?: Provider;
	oauthError?: string;
}> = [
	{
		name: '401 Bearer invalid_token',
		response: {
			status: 401,
			headers: {
				'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
			},
		},
		category: 'access_token_rejected',
		oauthError: 'invalid_token',
	},
	{ name: '401 without WWW-Authenticate', response: { status: 401, body: '' }, category: 'access_token_rejected' },
	{
		name: '401 with a bare Bearer challenge',
		response: { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="example"' } },
		category: 'access_token_rejected',
	},
	{
		name: '403 insufficient_scope',
		response: {
			status: 403,
			headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="files.read files.write"' },
		},
		category: 'scope_insufficient',
		oauthError: 'insufficient_scope',
	},
	{
		name: '403 insufficient_scope is never an expiry, whatever the description says',
		response: {
			status: 403,
			headers: {
				'www-authenticate': 'Bearer error="insufficient_scope", error_description="token expired? no: scope missing"',
			},
			body: 'Token expired',
		},
		category: 'scope_insufficient',
	},
	{ name: '429 from the API', response: { status: 429, headers: { 'retry-after': '30' } }, category: 'rate_limited' },
	{
		name: '502 HTML',
		response: { status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
		category: 'provider_unavailable',
	},
	{
		name: 'Slack token_expired in a 200',
		response: { status: 200, body: { ok: false, error: 'token_expired' } },
		url: 'https://slack.com/api/chat.postMessage',
		category: 'access_token_rejected',
		provider: 'slack',
		oauthError: 'token_expired',
	},
	{
		name: 'Slack invalid_auth',
		response: { status: 200, body: '{"ok":false,"error":"invalid_auth"}' },
		url: 'https://slack.com/api/conversations.list',
		category: 'access_token_rejected',
	},
	{
		name: 'Slack token_revoked',
		response: { status: 200, body: { ok: false, error: 'token_revoked' } },
		url: 'https://slack.com/api/users.info',
		category: 'refresh_token_invalid',
	},
	{
		// Slack: "No authentication token provided" — nothing was sent, so the credential is not connected.
		name: 'Slack not_authed',
		response: { status: 200, body: { ok: false, error: 'not_authed' } },
		url: 'https://slack.com/api/users.info',
		category: 'not_connected',
	},
	{
		name: 'Slack missing_scope',
		response: {
			status: 200,
			body: { ok: false, error: 'missing_scope', needed: 'channels:read', provided: 'chat:write' },
		},
		url: 'https://slack.com/api/conversations.list',
		category: 'scope_insufficient',
	},
	{
		name: 'Slack ratelimited',
		response: { status: 200, body: { ok: false, error: 'ratelimited' } },
		url: 'https://slack.com/api/chat.postMessage',
		category: 'rate_limited',
	},
	{
		name: 'Salesforce INVALID_SESSION_ID',
		response: { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] },
		url: 'https://acme.my.salesforce.com/services/data/v60.0/sobjects/Account',
		category: 'access_token_rejected',
		provider: 'salesforce',
		oauthError: 'INVALID_SESSION_ID',
	},
	{
		name: 'HubSpot MISSING_SCOPES',
		response: {
			status: 403,
			body: {
				status: 'error',
				message:
					"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
				correlationId: 'a1b2c3d4-0000-1111-2222-333344445555',
				errors: [
					{
						message: 'One or more of the following scopes are required.',
						context: { requiredGranularScopes: ['crm.objects.contacts.read'] },
					},
				],
				category: 'MISSING_SCOPES',
			},
		},
		url: 'https://api.hubapi.com/crm/v3/objects/contacts',
		category: 'scope_insufficient',
		provider: 'hubspot',
	},
	{
		name: 'Microsoft Graph expired token is not clock skew',
		response: {
			status: 401,
			body: {
				error: {
					code: 'InvalidAuthenticationToken',
					message: 'Access token has expired or is not yet valid.',
					innerError: { date: '2026-03-02T10:11:12' },
				},
			},
		},
		url: 'https://graph.microsoft.com/v1.0/me/messages',
		category: 'access_token_rejected',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft Graph Authorization_RequestDenied',
		response: {
			status: 403,
			body: {
				error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
			},
		},
		url: 'https://graph.microsoft.com/v1.0/users',
		category: 'scope_insufficient',
		oauthError: 'Authorization_RequestDenied',
	},
	{
		name: 'Google ACCESS_TOKEN_SCOPE_INSUFFICIENT',
		response: {
			status: 403,
			body: {
				error: {
					code: 403,
					message: 'Request had insufficient authentication scopes.',
					errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
					status: 'PERMISSION_DENIED',
					details: [
						{
							'@type': 'type.googleapis.com/google.rpc.ErrorInfo',
							reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
							domain: 'googleapis.com',
						},
					],
				},
			},
		},
		url: 'https://gmail.googleapis.com/gmail/v1/users/me/messages',
		category: 'scope_insufficient',
		provider: 'google',
	},
	{
		name: 'Google userRateLimitExceeded',
		response: {
			status: 403,
			body: {
				error: {
					code: 403,
					message: 'User Rate Limit Exceeded',
					errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
				},
			},
		},
		url: 'https://www.googleapis.com/drive/v3/files',
		category: 'rate_limited',
	},
	{
		name: 'Google 401 UNAUTHENTICATED',
		response: {
			status: 401,
			headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
			body: Buffer.from(
				'{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}',
			),
		},
		url: 'https://sheets.googleapis.com/v4/spreadsheets/abc',
		category: 'access_token_rejected',
		provider: 'google',
	},
	{
		name: 'successful response',
		response: { status: 200, body: { id: 42, status: 'active', type: 'user' } },
		category: 'not_auth_related',
	},
	{ name: '404 from the API', response: { status: 404, body: { message: 'Not Found' } }, category: 'not_auth_related' },
];

// Language-model API keys: not OAuth, and not to be confused with a Google OAuth failure.
const MODEL_CASES: Case[] = [
	{
		name: 'OpenAI incorrect API key',
		evidence: {
			status: 401,
			body: {
				error: {
					message:
						'Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
					type: 'invalid_request_error',
					param: null,
					code: 'invalid_api_key',
				},
			},
			nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
		},
		category: 'model_api_key',
		provider: 'openai',
	},
	{
		name: 'OpenAI node with n8n 401 text only',
		evidence: {
			messages: ['Authorization failed - please check your credentials'],
			status: 401,
			nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
		},
		category: 'model_api_key',
		provider: 'openai',
	},
	{
		name: 'Gemini API_KEY_INVALID',
		evidence: {
			status: 400,
			body: {
				error: {
					code: 400,
					message: 'API key not valid. Please pass a valid API key.',
					status: 'INVALID_ARGUMENT',
					details: [
						{
							'@type': 'type.googleapis.com/google.rpc.ErrorInfo',
							reason: 'API_KEY_INVALID',
							domain: 'googleapis.com',
						},
					],
				},
			},
			nodeType: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini',
		},
		category: 'model_api_key',
		provider: 'google',
	},
	{
		name: 'Gemini key error as an n8n message',
		evidence: {
			messages: [
				'[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent: [400 Bad Request] API key not valid. Please pass a valid API key. [{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]',
			],
		},
		category: 'model_api_key',
		provider: 'google',
	},
	{
		name: 'Anthropic invalid x-api-key',
		evidence: {
			status: 401,
			body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
			url: 'https://api.anthropic.com/v1/messages',
		},
		category: 'model_api_key',
		provider: 'anthropic',
	},
	{
		name: 'Anthropic authentication_error in a model node',
		evidence: {
			status: 401,
			body: '{"type":"error","error":{"type":"authentication_error","message":"Authentication failed"}}',
			nodeType: '@n8n/n8n-nodes-langchain.lmChatAnthropic',
		},
		category: 'model_api_key',
		provider: 'anthropic',
	},
	{
		name: 'OpenAI rate limit is throttling, not a key problem',
		evidence: {
			status: 429,
			body: {
				error: {
					message: 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM).',
					type: 'tokens',
					code: 'rate_limit_exceeded',
				},
			},
			credentialType: 'openAiApi',
		},
		category: 'rate_limited',
		provider: 'openai',
	},
];

const NETWORK_CASES: Case[] = [
	{
		name: 'ECONNREFUSED code',
		evidence: { networkCode: 'ECONNREFUSED', messages: ['connect ECONNREFUSED 127.0.0.1:443'] },
		category: 'provider_unavailable',
	},
	{
		name: 'ETIMEDOUT in text',
		evidence: { messages: ['connect ETIMEDOUT 142.250.74.10:443'] },
		category: 'provider_unavailable',
	},
	{
		name: 'EAI_AGAIN resolving Google',
		evidence: { messages: ['getaddrinfo EAI_AGAIN oauth2.googleapis.com'] },
		category: 'provider_unavailable',
		provider: 'google',
	},
	{ name: 'socket hang up', evidence: { messages: ['socket hang up'] }, category: 'provider_unavailable' },
	{
		name: 'axios timeout',
		evidence: { messages: ['timeout of 300000ms exceeded'], networkCode: 'ECONNABORTED' },
		category: 'provider_unavailable',
	},
	{
		name: 'ECONNRESET n8n text',
		evidence: { messages: ['The connection to the server was closed unexpectedly, perhaps it is offline.'] },
		category: 'provider_unavailable',
	},
	{ name: 'clock: jsonwebtoken NotBeforeError', evidence: { messages: ['jwt not active'] }, category: 'clock_skew' },
];

const ALL_CASES = [...N8N_CASES, ...SEED_CASES, ...TOKEN_ENDPOINT_CASES, ...MODEL_CASES, ...NETWORK_CASES];

describe('classify', () => {
	it('has a large table of realistic cases', () => {
		expect(ALL_CASES.length + API_CASES.length).toBeGreaterThanOrEqual(60);
	});

	it.each(ALL_CASES)('$name → $category', ({ evidence, category, provider, oauthError, httpCode }) => {
		const result = classify(evidence);
		expect(result.category).toBe(category);
		if (provider !== undefined) expect(result.provider).toBe(provider);
		if (oauthError !== undefined) expect(result.oauthError).toBe(oauthError);
		if (httpCode !== undefined) expect(result.httpCode).toBe(httpCode);
	});

	it.each(ALL_CASES)('$name: the reason is one plain sentence', ({ evidence }) => {
		const { reason } = classify(evidence);
		expect(reason).toMatch(/^[A-Zn].*\.$/s);
		expect(reason).not.toMatch(/\n/);
		expect(reason.length).toBeLessThan(300);
	});

	it('takes action, retryability and severity from the §5.1 table', () => {
		expect(classify(TOKEN_ENDPOINT_CASES[0].evidence)).toMatchObject({
			category: 'refresh_token_invalid',
			action: 'reconnect',
			retryable: false,
			severity: 'critical',
		});
		expect(classify({ status: 429 })).toMatchObject({ action: 'retry_later', retryable: true, severity: 'warning' });
		expect(classify({ messages: ['Cannot read properties of undefined'] })).toMatchObject({
			action: 'none',
			retryable: false,
			severity: 'info',
		});
	});

	it('names the deciding evidence in the reason', () => {
		expect(classify(TOKEN_ENDPOINT_CASES[0].evidence).reason).toBe(
			'Google\'s token endpoint answered HTTP 400 with error code "invalid_grant": the refresh token is invalid, expired or revoked.',
		);
		expect(
			classify(tokenEndpoint(MICROSOFT_TOKEN_URL, 400, microsoftBody('invalid_grant', 65001, 'No consent.'))).reason,
		).toContain('AADSTS65001');
		expect(classify({ networkCode: 'ECONNREFUSED', url: GOOGLE_TOKEN_URL }).reason).toContain('ECONNREFUSED');
	});

	it('prefers the failing URL over the node when naming the provider', () => {
		const result = classify({
			status: 400,
			body: { error: 'invalid_grant' },
			url: GOOGLE_TOKEN_URL,
			nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
		});
		expect(result).toMatchObject({ category: 'refresh_token_invalid', provider: 'google' });
	});

	it('scans only a bounded prefix of huge texts', () => {
		const padding = 'x'.repeat(50_000);
		expect(classify({ messages: [`${padding} invalid_grant`] }).category).toBe('not_auth_related');
		expect(classify({ messages: [`invalid_grant ${padding}`] }).category).toBe('refresh_token_invalid');
	});

	it('survives hostile bodies (cycles, deep nesting, odd types)', () => {
		const cyclic: Record<string, unknown> = { error: 'invalid_grant' };
		cyclic.self = cyclic;
		let deep: Record<string, unknown> = { error: 'invalid_token' };
		for (let level = 0; level < 1000; level++) deep = { nested: deep };
		expect(classify({ status: 400, body: cyclic, phase: 'token_endpoint' }).category).toBe('refresh_token_invalid');
		expect(classify({ status: 500, body: deep }).category).toBe('provider_unavailable');
		expect(classify({ body: 42 }).category).toBe('not_auth_related');
		expect(classify({}).category).toBe('not_auth_related');
	});
});

describe('classifyApiResponse', () => {
	it.each(API_CASES)('$name → $category', ({ response, url, category, provider, oauthError }) => {
		const result = classifyApiResponse(response, url);
		expect(result.category).toBe(category);
		expect(result.httpCode).toBe(response.status);
		if (provider !== undefined) expect(result.provider).toBe(provider);
		if (oauthError !== undefined) expect(result.oauthError).toBe(oauthError);
	});

	it('does not read prose in a successful body as an error', () => {
		const article = { ok: true, text: 'Too many requests? Your access token has expired — here is how to reconnect.' };
		expect(classifyApiResponse({ status: 200, body: article }).category).toBe('not_auth_related');
	});
});

describe('classifyTokenEndpointFailure', () => {
	const url = 'https://auth.example.com/oauth/token';
	it.each([
		[{ kind: 'oauth_error', status: 400, oauthError: 'invalid_grant' }, 'refresh_token_invalid'],
		[
			{ kind: 'oauth_error', status: 401, oauthError: 'invalid_client', errorDescription: 'bad secret' },
			'client_misconfigured',
		],
		[
			{ kind: 'html_body', status: 200, contentType: 'text/html', bodySnippet: '<html>Maintenance</html>' },
			'provider_unavailable',
		],
		[
			{ kind: 'html_body', status: 502, contentType: 'text/html', bodySnippet: '<html>502</html>' },
			'provider_unavailable',
		],
		[
			{ kind: 'html_body', status: 400, contentType: 'text/html', bodySnippet: '<html>Blocked by WAF</html>' },
			'provider_unavailable',
		],
		[
			{ kind: 'html_body', status: 404, contentType: 'text/html', bodySnippet: '<html>Not Found</html>' },
			'client_misconfigured',
		],
		[{ kind: 'non_json_body', status: 429, contentType: 'text/plain', bodySnippet: 'slow down' }, 'rate_limited'],
		[{ kind: 'non_json_body', status: 301, contentType: 'text/plain', bodySnippet: 'Moved' }, 'client_misconfigured'],
		[{ kind: 'missing_access_token', status: 200, bodySnippet: '{"token_type":"bearer"}' }, 'provider_unavailable'],
		[
			{ kind: 'missing_access_token', status: 200, bodySnippet: '{"error":"bad_refresh_token"}' },
			'refresh_token_invalid',
		],
		[{ kind: 'http_error', status: 401 }, 'refresh_token_invalid'],
		[{ kind: 'http_error', status: 405 }, 'client_misconfigured'],
		[{ kind: 'http_error', status: 500, bodySnippet: 'oops' }, 'provider_unavailable'],
		[{ kind: 'network', code: 'ECONNRESET' }, 'provider_unavailable'],
		[{ kind: 'network' }, 'provider_unavailable'],
	] as const)('%j → %s', (failure, category) => {
		const result = classifyTokenEndpointFailure(failure, url);
		expect(result.category).toBe(category);
	});

	it('names the provider from the token URL', () => {
		expect(
			classifyTokenEndpointFailure(
				{ kind: 'oauth_error', status: 400, oauthError: 'invalid_grant' },
				'https://api.box.com/oauth2/token',
			).provider,
		).toBe('box');
	});
});

describe('redaction of the reason', () => {
	const JWT =
		'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJDQU5BUlktand0LXN1YmplY3QiLCJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJlLWNhbmFyeS1zaWduYXR1cmUtdmFsdWU';
	const OPAQUE = 'CANARY-7f3a9c2e41d8';
	const CANARIES = [JWT, OPAQUE, 'c2lnbmF0dXJlLWNhbmFyeS1zaWduYXR1cmUtdmFsdWU', 'CANARY'];

	const planted: ErrorEvidence[] = [
		{
			status: 401,
			wwwAuthenticate: `Bearer error="invalid_token", error_description="token ${JWT} expired"`,
			messages: [`Authorization: Bearer ${JWT}`, `refresh_token=${OPAQUE}`],
			url: `https://api.example.com/data?access_token=${OPAQUE}`,
		},
		{
			status: 400,
			oauthError: OPAQUE,
			errorDescription: `The refresh token ${OPAQUE} is invalid`,
			body: { error: OPAQUE, access_token: JWT, refresh_token: OPAQUE },
			url: 'https://auth.example.com/oauth/token',
			phase: 'token_endpoint',
		},
		{
			messages: [
				`400 - "{\\"error\\":\\"invalid_grant\\",\\"refresh_token\\":\\"${OPAQUE}\\",\\"id_token\\":\\"${JWT}\\"}"`,
			],
		},
		{ status: 401, body: `Incorrect API key provided: ${OPAQUE}`, nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi' },
		{ messages: [`connect ECONNREFUSED ${OPAQUE}`], networkCode: OPAQUE },
		{ messages: [`${JWT} ${OPAQUE}`], failureCause: OPAQUE, credentialType: OPAQUE, nodeType: JWT },
		{ status: 200, body: { ok: false, error: JWT }, url: 'https://slack.com/api/chat.postMessage' },
		{ status: 429, body: Buffer.from(`{"error":"${OPAQUE}","token":"${JWT}"}`) },
	];

	it.each(planted.map((evidence, index) => [index, evidence] as const))(
		'case %i never echoes a planted token',
		(_index, evidence) => {
			const output = JSON.stringify(classify(evidence));
			for (const canary of CANARIES) expect(output).not.toContain(canary);
		},
	);

	it('never echoes planted tokens through the builders', () => {
		const outputs = [
			classifyApiResponse(
				{
					status: 401,
					headers: { 'www-authenticate': `Bearer error="${OPAQUE}"` },
					body: { error: OPAQUE, detail: JWT },
				},
				`https://api.example.com/?token=${OPAQUE}`,
			),
			classifyTokenEndpointFailure(
				{
					kind: 'oauth_error',
					status: 400,
					oauthError: OPAQUE,
					errorDescription: JWT,
					bodySnippet: `{"error":"${OPAQUE}"}`,
				},
				'https://auth.example.com/token',
			),
		].map((result) => JSON.stringify(result));
		for (const output of outputs) for (const canary of CANARIES) expect(output).not.toContain(canary);
	});
});
