/**
 * Real-world failures as Token Health receives them: n8n 2.x errors (docs/ARCHITECTURE.md#what-n8n-does)
 * shaped as Error Trigger items, older n8n RFC texts, provider bodies, the seeds' cases, language-model
 * key errors, network errors and failures that have nothing to do with authentication. Shared by the
 * integration table and the benchmark.
 */
import type { IDataObject } from 'n8n-workflow';

import type { Category, Provider } from '../../nodes/shared/types';

export interface PayloadCase {
	name: string;
	json: IDataObject;
	category: Category;
	isOAuthIssue?: boolean;
	provider?: Provider;
	credentialId?: string | null;
}

interface ErrorShape {
	message: string;
	name?: string;
	description?: string | null;
	httpCode?: string | null;
	messages?: string[];
	failure?: { cause: string };
	code?: string;
	nodeType?: string;
	nodeName?: string;
	credentials?: Record<string, { id: string; name: string }>;
	context?: IDataObject;
	cause?: IDataObject;
}

let executionCounter = 100;

/** What n8n 2.x puts in `execution.error` for a NodeApiError/NodeOperationError (docs/ARCHITECTURE.md#what-n8n-does). */
export function nodeError(shape: ErrorShape): IDataObject {
	return {
		level: 'warning',
		shouldReport: true,
		description: shape.description ?? null,
		tags: { reWrapped: true },
		timestamp: 1795392053149,
		context: shape.context ?? {},
		functionality: 'regular',
		name: shape.name ?? 'NodeApiError',
		node: {
			id: 'n1',
			name: shape.nodeName ?? 'Failing Node',
			type: shape.nodeType ?? 'n8n-nodes-base.httpRequest',
			typeVersion: 4,
			position: [0, 0],
			// Parameters are the user's, not evidence: this text must never sway the verdict.
			parameters: { url: 'https://example.com', jsonBody: '{"note":"rate limit exceeded; token expired"}' },
			...(shape.credentials ? { credentials: shape.credentials } : {}),
		},
		messages: shape.messages ?? [],
		...(shape.failure ? { failure: shape.failure } : {}),
		...(shape.code ? { code: shape.code } : {}),
		...(shape.cause ? { cause: shape.cause } : {}),
		httpCode: shape.httpCode === undefined ? null : shape.httpCode,
		message: shape.message,
		stack: `${shape.name ?? 'NodeApiError'}: ${shape.message}\n    at ExecuteContext.execute (/usr/lib/node_modules/n8n/dist/x.js:1:1)`,
	};
}

/** The Error Trigger's `execution` variant. */
export function errorTriggerItem(
	error: IDataObject | string,
	workflow = { id: 'wf-1', name: 'CRM sync' },
): IDataObject {
	const id = String(executionCounter++);
	return {
		execution: {
			id,
			url: `https://n8n.example.com/workflow/${workflow.id}/executions/${id}`,
			error,
			lastNodeExecuted: 'Failing Node',
			mode: 'trigger',
		},
		workflow,
	};
}

const gmail = { gmailOAuth2: { id: 'cred-gmail', name: 'Gmail account' } };
const sheets = { googleSheetsOAuth2Api: { id: 'cred-sheets', name: 'Sheets' } };
const outlook = { microsoftOutlookOAuth2Api: { id: 'cred-outlook', name: 'Outlook' } };
const salesforce = { salesforceOAuth2Api: { id: 'cred-sf', name: 'Salesforce prod' } };
const hubspot = { hubspotOAuth2Api: { id: 'cred-hs', name: 'HubSpot' } };
const generic = { oAuth2Api: { id: 'cred-generic', name: 'Generic OAuth2' } };

const RFC_INVALID_GRANT =
	'The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

export const PAYLOADS: PayloadCase[] = [
	// ---- n8n 2.x refresh and request errors (docs/ARCHITECTURE.md#what-n8n-does) ----
	{
		name: 'n8n 2.x: credential needs to be reconnected (invalid_grant on refresh)',
		json: errorTriggerItem(
			nodeError({
				message: 'The credential "Gmail account" needs to be reconnected.',
				description:
					'Access could not be refreshed because the connected account has revoked access, the refresh token expired, or the account password or permissions changed. Open the credential and reconnect it to continue.',
				messages: ['The credential "Gmail account" needs to be reconnected.'],
				failure: { cause: 'credential-invalid' },
				nodeType: 'n8n-nodes-base.gmail',
				credentials: gmail,
			}),
		),
		category: 'refresh_token_invalid',
		isOAuthIssue: true,
		provider: 'google',
		credentialId: 'cred-gmail',
	},
	{
		name: 'n8n < 2.27: RFC 6749 invalid_grant text',
		json: errorTriggerItem(
			nodeError({ message: RFC_INVALID_GRANT, nodeType: 'n8n-nodes-base.googleSheets', credentials: sheets }),
		),
		category: 'refresh_token_invalid',
		provider: 'google',
		credentialId: 'cred-sheets',
	},
	{
		name: 'n8n: client authentication failed (invalid_client)',
		json: errorTriggerItem(
			nodeError({
				message:
					'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).',
				credentials: generic,
			}),
		),
		category: 'client_misconfigured',
		credentialId: 'cred-generic',
	},
	{
		name: 'n8n: no refresh token stored',
		json: errorTriggerItem(
			nodeError({
				message: 'OAuth access token expired and no refresh token is available. Please reconnect the credentials.',
				credentials: outlook,
			}),
		),
		category: 'refresh_token_missing',
		provider: 'microsoft',
	},
	{
		name: 'n8n: credential never connected',
		json: errorTriggerItem(
			nodeError({ name: 'NodeOperationError', message: 'OAuth credentials not connected', credentials: hubspot }),
		),
		category: 'not_connected',
		provider: 'hubspot',
	},
	{
		name: 'n8n: token endpoint answered an HTML page',
		json: errorTriggerItem(
			nodeError({
				message:
					'Expected JSON response from OAuth2 token endpoint (content-type: text/html) but received: <html><head><title>502 Bad Gateway</title></head></html>',
				credentials: generic,
			}),
		),
		category: 'provider_unavailable',
		isOAuthIssue: true,
	},
	{
		name: 'n8n: client-credentials token fetch failed',
		json: errorTriggerItem(
			nodeError({
				message: 'Failed to acquire OAuth2 access token: Client authentication failed (e.g., unknown client).',
				credentials: generic,
			}),
		),
		category: 'client_misconfigured',
	},
	{
		name: 'n8n: 401 after refresh and retry',
		json: errorTriggerItem(
			nodeError({
				message: 'Authorization failed - please check your credentials',
				httpCode: '401',
				description: 'Invalid Credentials',
				credentials: sheets,
			}),
		),
		category: 'access_token_rejected',
		provider: 'google',
	},
	{
		name: 'n8n: 403 with Google insufficient scopes',
		json: errorTriggerItem(
			nodeError({
				message: 'Forbidden - perhaps check your credentials?',
				httpCode: '403',
				description: 'Request had insufficient authentication scopes.',
				credentials: sheets,
			}),
		),
		category: 'scope_insufficient',
		provider: 'google',
	},
	{
		name: 'n8n: 429 from an API',
		json: errorTriggerItem(
			nodeError({
				message: 'The service is receiving too many requests from you',
				httpCode: '429',
				credentials: hubspot,
			}),
		),
		category: 'rate_limited',
		isOAuthIssue: false,
	},
	{
		name: 'n8n: ECONNREFUSED',
		json: errorTriggerItem(
			nodeError({ message: 'The service refused the connection - perhaps it is offline', code: 'ECONNREFUSED' }),
		),
		category: 'provider_unavailable',
		isOAuthIssue: false,
	},
	{
		name: 'n8n: 500 from an API',
		json: errorTriggerItem(
			nodeError({
				message: 'The service failed to process your request',
				httpCode: '500',
				description: 'Internal error',
			}),
		),
		category: 'provider_unavailable',
	},
	{
		name: 'n8n: RFC invalid_scope text',
		json: errorTriggerItem(
			nodeError({ message: 'The requested scope is invalid, unknown, or malformed.', credentials: generic }),
		),
		category: 'scope_insufficient',
	},
	{
		name: 'n8n: RFC unauthorized_client text',
		json: errorTriggerItem(
			nodeError({
				message: 'The client is not authorized to request an authorization code using this method.',
				credentials: generic,
			}),
		),
		category: 'client_misconfigured',
	},
	{
		name: 'n8n: RFC access_denied text',
		json: errorTriggerItem(
			nodeError({ message: 'The resource owner or authorization server denied the request.', credentials: generic }),
		),
		category: 'consent_required',
	},
	{
		name: 'n8n: RFC temporarily_unavailable text',
		json: errorTriggerItem(
			nodeError({
				message:
					'The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server.',
				credentials: generic,
			}),
		),
		category: 'provider_unavailable',
	},
	// ---- provider bodies ----
	{
		name: 'Google (n8n 1.x format): 400 - invalid_grant "Token has been expired or revoked."',
		json: errorTriggerItem(
			nodeError({
				message: '400 - {"error":"invalid_grant","error_description":"Token has been expired or revoked."}',
				nodeType: 'n8n-nodes-base.googleSheets',
				credentials: sheets,
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'Google Workspace invalid_rapt',
		json: errorTriggerItem(
			nodeError({
				message:
					'{"error":"invalid_grant","error_description":"reauth related error (invalid_rapt)","error_subtype":"invalid_rapt"}',
				credentials: gmail,
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'google',
	},
	{
		name: 'Microsoft AADSTS700082 (90 days inactive)',
		json: errorTriggerItem(
			nodeError({
				message:
					'{"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-01-01T00:00:00Z and was inactive for 90.00:00:00.","error_codes":[700082]}',
				credentials: outlook,
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS65001 (consent)',
		json: errorTriggerItem(
			nodeError({
				message:
					"AADSTS65001: The user or administrator has not consented to use the application with ID 'abc' named 'n8n'.",
				credentials: outlook,
			}),
		),
		category: 'consent_required',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS7000222 (client secret expired)',
		json: errorTriggerItem(
			nodeError({
				message: "AADSTS7000222: The provided client secret keys for app 'abc' are expired.",
				credentials: outlook,
			}),
		),
		category: 'client_misconfigured',
		provider: 'microsoft',
	},
	{
		name: 'Microsoft AADSTS50076 (MFA)',
		json: errorTriggerItem(
			nodeError({
				message:
					'AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.',
				credentials: outlook,
			}),
		),
		category: 'consent_required',
	},
	{
		name: 'Microsoft AADSTS700024 (assertion time range)',
		json: errorTriggerItem(
			nodeError({
				message: 'AADSTS700024: Client assertion is not within its valid time range.',
				credentials: outlook,
			}),
		),
		category: 'clock_skew',
	},
	{
		name: 'Microsoft Graph 401 "Access token has expired or is not yet valid."',
		json: errorTriggerItem(
			nodeError({
				message: 'Authorization failed - please check your credentials',
				httpCode: '401',
				description: 'Access token has expired or is not yet valid.',
				messages: [
					'401 - {"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}',
				],
				credentials: outlook,
			}),
		),
		category: 'access_token_rejected',
		provider: 'microsoft',
	},
	{
		name: 'Salesforce INVALID_SESSION_ID',
		json: errorTriggerItem(
			nodeError({
				message: '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]',
				httpCode: '401',
				credentials: salesforce,
			}),
		),
		category: 'access_token_rejected',
		provider: 'salesforce',
	},
	{
		name: 'Salesforce invalid_grant "expired access/refresh token"',
		json: errorTriggerItem(
			nodeError({
				message: '{"error":"invalid_grant","error_description":"expired access/refresh token"}',
				credentials: salesforce,
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'salesforce',
	},
	{
		name: 'HubSpot BAD_REFRESH_TOKEN',
		json: errorTriggerItem(
			nodeError({
				message: '{"status":"BAD_REFRESH_TOKEN","message":"missing or invalid refresh token","correlationId":"4b2f"}',
				credentials: hubspot,
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'hubspot',
	},
	{
		name: 'HubSpot MISSING_SCOPES',
		json: errorTriggerItem(
			nodeError({
				message: 'Forbidden - perhaps check your credentials?',
				httpCode: '403',
				description: "This app hasn't been granted all required scopes to make this call.",
				context: {
					data: {
						status: 'error',
						category: 'MISSING_SCOPES',
						message: "This app hasn't been granted all required scopes to make this call.",
					},
				},
				credentials: hubspot,
			}),
		),
		category: 'scope_insufficient',
		provider: 'hubspot',
	},
	{
		name: 'Slack {"ok":false,"error":"token_expired"}',
		json: errorTriggerItem(
			nodeError({
				message: '{"ok":false,"error":"token_expired"}',
				credentials: { slackOAuth2Api: { id: 'cred-slack', name: 'Slack' } },
			}),
		),
		category: 'access_token_rejected',
		provider: 'slack',
	},
	{
		name: 'Slack token_revoked',
		json: errorTriggerItem(
			nodeError({
				message: 'An API error occurred: token_revoked',
				credentials: { slackOAuth2Api: { id: 'cred-slack', name: 'Slack' } },
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'slack',
	},
	{
		name: 'Zoho invalid_code',
		json: errorTriggerItem(
			nodeError({
				message: '{"error":"invalid_code"}',
				credentials: { zohoOAuth2Api: { id: 'cred-zoho', name: 'Zoho CRM' } },
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'zoho',
	},
	{
		name: 'Zoho token throttle',
		json: errorTriggerItem(
			nodeError({
				message:
					'{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}',
				credentials: { zohoOAuth2Api: { id: 'cred-zoho', name: 'Zoho CRM' } },
			}),
		),
		category: 'rate_limited',
		provider: 'zoho',
	},
	{
		name: 'Xero invalid_grant at identity.xero.com/connect/token',
		json: errorTriggerItem(
			nodeError({
				message: 'invalid_grant: POST https://identity.xero.com/connect/token failed',
				credentials: { xeroOAuth2Api: { id: 'cred-xero', name: 'Xero' } },
			}),
		),
		category: 'refresh_token_invalid',
		isOAuthIssue: true,
		provider: 'xero',
	},
	{
		name: 'Box "Refresh token has expired"',
		json: errorTriggerItem(
			nodeError({
				message: '{"error":"invalid_grant","error_description":"Refresh token has expired"}',
				credentials: { boxOAuth2Api: { id: 'cred-box', name: 'Box' } },
			}),
		),
		category: 'refresh_token_invalid',
		provider: 'box',
	},
	{
		name: 'RFC 6750 WWW-Authenticate invalid_token',
		json: errorTriggerItem(
			nodeError({
				message: 'Authorization failed - please check your credentials',
				httpCode: '401',
				description:
					'www-authenticate: Bearer realm="api", error="invalid_token", error_description="The access token expired"',
				credentials: generic,
			}),
		),
		category: 'access_token_rejected',
	},
	{
		name: 'RFC 6750 WWW-Authenticate insufficient_scope',
		json: errorTriggerItem(
			nodeError({
				message: 'Forbidden - perhaps check your credentials?',
				httpCode: '403',
				description:
					'Bearer realm="api", error="insufficient_scope", error_description="needs files.write", scope="files.write"',
				credentials: generic,
			}),
		),
		category: 'scope_insufficient',
	},
	// ---- the seeds ----
	{
		name: 'Seed 000: Dify Gmail plugin refresh failure blamed on Gemini',
		json: errorTriggerItem(
			nodeError({
				name: 'NodeOperationError',
				message:
					'Error refreshing credentials: req_id: 75b762d516 PluginInvokeError: {"args":{},"error_type":"ToolProviderOAuthError","message":"Network error during token refresh: 400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token"}',
				nodeName: 'Google Gemini Chat Model',
				nodeType: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini',
				credentials: { googlePalmApi: { id: 'cred-gemini', name: 'Gemini key' } },
			}),
		),
		category: 'refresh_token_invalid',
		isOAuthIssue: true,
		provider: 'google',
		credentialId: null,
	},
	{
		name: 'Seed 000: same failure reported by the Gmail tool node',
		json: errorTriggerItem(
			nodeError({
				message:
					'Network error during token refresh: 400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token',
				nodeName: 'Gmail Tool',
				nodeType: 'n8n-nodes-base.gmailTool',
				credentials: gmail,
			}),
		),
		category: 'refresh_token_invalid',
		isOAuthIssue: true,
		provider: 'google',
		credentialId: 'cred-gmail',
	},
	{
		name: 'Seed 001: Sentry-style "Error: invalid_grant – token revoked"',
		json: { error: 'Error: invalid_grant – token revoked' },
		category: 'refresh_token_invalid',
	},
	{
		name: 'Seed 001: refresh throttled at the token endpoint (429)',
		json: errorTriggerItem(
			nodeError({ message: '429 Too Many Requests for url: https://oauth2.googleapis.com/token', credentials: sheets }),
		),
		category: 'rate_limited',
		isOAuthIssue: true,
		provider: 'google',
	},
	{
		name: 'Seed 003: redirect_uri_mismatch',
		json: { error: { message: 'Error 400: redirect_uri_mismatch', httpCode: '400' } },
		category: 'client_misconfigured',
	},
	// ---- language-model API keys ----
	{
		name: 'OpenAI "Incorrect API key provided"',
		json: errorTriggerItem(
			nodeError({
				message:
					'Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
				httpCode: '401',
				nodeName: 'OpenAI Chat Model',
				nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				credentials: { openAiApi: { id: 'cred-openai', name: 'OpenAI' } },
			}),
		),
		category: 'model_api_key',
		isOAuthIssue: false,
		provider: 'openai',
		credentialId: 'cred-openai',
	},
	{
		name: 'Gemini "API key not valid"',
		json: errorTriggerItem(
			nodeError({
				message:
					'[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent: [400 Bad Request] API key not valid. Please pass a valid API key. [{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]',
				nodeName: 'Google Gemini Chat Model',
				nodeType: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini',
				credentials: { googlePalmApi: { id: 'cred-gemini', name: 'Gemini key' } },
			}),
		),
		category: 'model_api_key',
		isOAuthIssue: false,
		provider: 'google',
		credentialId: 'cred-gemini',
	},
	{
		name: 'Anthropic authentication_error',
		json: errorTriggerItem(
			nodeError({
				message: '401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
				nodeType: '@n8n/n8n-nodes-langchain.lmChatAnthropic',
				credentials: { anthropicApi: { id: 'cred-anthropic', name: 'Anthropic' } },
			}),
		),
		category: 'model_api_key',
		provider: 'anthropic',
	},
	{
		// OpenAI's error-code guide: this 429 means the account ran out of credits or hit its monthly spend limit;
		// waiting does not help, the key's billing does (real-world corpus: saas-openai-insufficient-quota-*).
		name: 'OpenAI quota exceeded (out of credit)',
		json: errorTriggerItem(
			nodeError({
				message: '429 You exceeded your current quota, please check your plan and billing details.',
				nodeType: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				credentials: { openAiApi: { id: 'cred-openai', name: 'OpenAI' } },
			}),
		),
		category: 'model_api_key',
		isOAuthIssue: false,
	},
	// ---- network ----
	{
		name: 'Network: ETIMEDOUT',
		json: errorTriggerItem(nodeError({ message: 'connect ETIMEDOUT 10.0.0.5:443', code: 'ETIMEDOUT' })),
		category: 'provider_unavailable',
	},
	{
		name: 'Network: DNS failure',
		json: { error: { message: 'getaddrinfo ENOTFOUND api.example.invalid', code: 'ENOTFOUND' } },
		category: 'provider_unavailable',
	},
	{
		name: 'Network: axios timeout',
		json: { error: 'timeout of 30000ms exceeded' },
		category: 'provider_unavailable',
	},
	// ---- other shapes ----
	{
		name: 'Trigger variant: activation failed because the credential needs reconnecting',
		json: {
			trigger: {
				error: {
					context: {},
					name: 'WorkflowActivationError',
					cause: {
						message: 'The credential "Gmail account" needs to be reconnected.',
						failure: { cause: 'credential-invalid' },
					},
					timestamp: 1795392053149,
					message: '',
					node: { name: 'Gmail Trigger', type: 'n8n-nodes-base.gmailTrigger', credentials: gmail },
				},
				mode: 'trigger',
			},
			workflow: { id: 'wf-2', name: 'Inbox watcher' },
		},
		category: 'refresh_token_invalid',
		provider: 'google',
		credentialId: 'cred-gmail',
	},
	{
		name: 'Continue On Fail item: { error: "Authorization failed…" }',
		json: { error: 'Authorization failed - please check your credentials' },
		category: 'access_token_rejected',
	},
	{
		name: 'Error output item with an error object (429)',
		json: { error: { message: 'The service is receiving too many requests from you', httpCode: '429' }, id: 42 },
		category: 'rate_limited',
	},
	// ---- not authentication ----
	{
		name: 'Not auth: 400 bad parameters',
		json: errorTriggerItem(
			nodeError({
				message: 'Bad request - please check your parameters',
				httpCode: '400',
				description: "Invalid value for 'range'",
			}),
		),
		category: 'not_auth_related',
		isOAuthIssue: false,
	},
	{
		name: 'Not auth: 404',
		json: errorTriggerItem(
			nodeError({ message: 'The resource you are requesting could not be found', httpCode: '404' }),
		),
		category: 'not_auth_related',
	},
	{
		name: 'Not auth: Code node exception',
		json: errorTriggerItem(
			nodeError({
				name: 'NodeOperationError',
				message: "Cannot read properties of undefined (reading 'map') [line 3]",
				nodeType: 'n8n-nodes-base.code',
			}),
		),
		category: 'not_auth_related',
	},
	{
		name: 'Not auth: docs sample "Example Error Message"',
		json: {
			execution: {
				id: '231',
				url: 'https://n8n.example.com/execution/231',
				retryOf: '34',
				error: { message: 'Example Error Message', stack: 'Stacktrace' },
				lastNodeExecuted: 'Node With Error',
				mode: 'manual',
			},
			workflow: { id: '1', name: 'Example Workflow' },
		},
		category: 'not_auth_related',
	},
];
