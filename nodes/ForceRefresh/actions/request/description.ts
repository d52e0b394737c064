/** Request With Auto-Refresh: the UI properties, and the option lists a value from an expression is checked against. */
import type { INodeProperties } from 'n8n-workflow';

import type { ResponseFormat } from '../../../shared/http/authorizedRequest.adapter';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../../shared/oauth/expiry';
import type { Choice } from '../../../shared/parameters/parameters';

const show = (extra: Record<string, unknown[]> = {}) => ({ show: { operation: ['request'], ...extra } });

const nameValueCollection = (
	displayName: string,
	name: string,
	shownWhen: Record<string, unknown[]>,
	placeholder: string,
): INodeProperties => ({
	displayName,
	name,
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	placeholder,
	default: { parameters: [] },
	displayOptions: show(shownWhen),
	options: [
		{
			name: 'parameters',
			displayName: 'Parameter',
			values: [
				{ displayName: 'Name', name: 'name', type: 'string', default: '' },
				{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			],
		},
	],
});

export const DEFAULT_CONCURRENCY = 10;

// One list per options parameter: the UI shows it, and a value an expression produced is checked against it.
// OPTIONS is not in n8n's IHttpRequestMethods type, though n8n's request helper sends it.
export const METHODS: ReadonlyArray<Choice<string>> = (
	['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const
).map((method) => ({
	name: method,
	value: method,
}));

export type BodyType = 'binary' | 'form' | 'json' | 'none' | 'raw';

export const BODY_TYPES: ReadonlyArray<Choice<BodyType> & { description: string }> = [
	{
		name: 'Binary File',
		value: 'binary',
		description: 'Binary data of the input item, sent once (never replayed when streamed)',
	},
	{ name: 'Form URL-Encoded', value: 'form', description: 'Name/value pairs as application/x-www-form-urlencoded' },
	{ name: 'JSON', value: 'json', description: 'A JSON document' },
	{ name: 'None', value: 'none', description: 'No body' },
	{ name: 'Raw', value: 'raw', description: 'Text with a content type you choose' },
];

export const RESPONSE_FORMATS: ReadonlyArray<Choice<ResponseFormat> & { description: string }> = [
	{ name: 'Autodetect', value: 'autodetect', description: 'JSON when the Content-Type says JSON, text otherwise' },
	{ name: 'JSON', value: 'json', description: 'Parse the body as JSON; fail when it is not' },
	{ name: 'Text', value: 'text', description: 'Keep the body as text' },
];

export const description: INodeProperties[] = [
	{
		displayName: 'Method',
		name: 'method',
		type: 'options',
		options: [...METHODS],
		default: 'GET',
		description: 'The HTTP method to use',
		displayOptions: show(),
	},
	{
		displayName: 'URL',
		name: 'url',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. https://www.googleapis.com/oauth2/v3/userinfo',
		description: 'The API URL to call. The credential\'s access token is sent as "Authorization: Bearer …".',
		displayOptions: show(),
	},
	{
		displayName: 'Send Query Parameters',
		name: 'sendQuery',
		type: 'boolean',
		default: false,
		description: 'Whether the request has query parameters',
		displayOptions: show(),
	},
	nameValueCollection('Query Parameters', 'queryParameters', { sendQuery: [true] }, 'Add Parameter'),
	{
		displayName: 'Send Headers',
		name: 'sendHeaders',
		type: 'boolean',
		default: false,
		description:
			"Whether the request has headers. An Authorization header is always replaced by the credential's token.",
		displayOptions: show(),
	},
	nameValueCollection('Header Parameters', 'headerParameters', { sendHeaders: [true] }, 'Add Header'),
	{
		displayName: 'Body Content Type',
		name: 'bodyType',
		type: 'options',
		options: [...BODY_TYPES],
		default: 'none',
		description: 'What the request body contains',
		displayOptions: show(),
	},
	{
		displayName: 'JSON Body',
		name: 'jsonBody',
		type: 'json',
		default: '{}',
		description: 'The JSON document to send',
		displayOptions: show({ bodyType: ['json'] }),
	},
	nameValueCollection('Form Body', 'formBody', { bodyType: ['form'] }, 'Add Field'),
	{
		displayName: 'Raw Body',
		name: 'rawBody',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'The text to send as the body',
		displayOptions: show({ bodyType: ['raw'] }),
	},
	{
		displayName: 'Raw Content Type',
		name: 'rawContentType',
		type: 'string',
		default: 'text/plain',
		placeholder: 'e.g. application/xml',
		description: 'The Content-Type header of the raw body',
		displayOptions: show({ bodyType: ['raw'] }),
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: "The name of the input item's binary field whose file is sent as the body",
		displayOptions: show({ bodyType: ['binary'] }),
	},
	{
		displayName: 'Response Format',
		name: 'responseFormat',
		type: 'options',
		options: [...RESPONSE_FORMATS],
		default: 'autodetect',
		description: 'How to read the response body',
		displayOptions: show(),
	},
	{
		displayName: 'Expiry Status Codes',
		name: 'expiryStatusCodes',
		type: 'string',
		default: '401',
		placeholder: 'e.g. 401, 403',
		description:
			'HTTP status codes that mean "access token expired": the token is refreshed once and the request sent once more. Add 403 for Atlassian-style gateways. A 403 whose WWW-Authenticate says insufficient_scope never counts.',
		displayOptions: show(),
	},
	{
		displayName: 'Expired When (Body Rule)',
		name: 'expiredWhen',
		type: 'string',
		default: '',
		placeholder: 'e.g. ok = false and error in token_expired,invalid_auth',
		description:
			'For APIs that answer 200 with an error body. Conditions like error = token_expired, error in a,b or errors[*].code in 601,602, joined with "and"; or a /regular expression/ over the body text. Empty: status codes only.',
		displayOptions: show(),
	},
	{
		displayName: 'Refresh Before Expiry (Seconds)',
		name: 'proactiveMarginSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULT_EXPIRY_MARGIN_SECONDS,
		description:
			"When the token's expiry is known and this close, refresh before sending, so the API never sees an expired token. Never more than half the token's lifetime. 0 turns it off.",
		displayOptions: show(),
	},
	{
		displayName: 'Max Attempts',
		name: 'maxAttempts',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 4,
		description:
			'Attempts per request (and per refresh) when the answer is 429, 5xx or a connection failure, the first one included. Writes (POST, PATCH) are repeated only after 429/503 or a refused connection.',
		displayOptions: show(),
	},
	{
		displayName: 'Max Total Wait (Seconds)',
		name: 'maxTotalWaitSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 30,
		description:
			'Upper bound on the time spent waiting between attempts of one request. A Retry-After longer than what is left is not waited for: the request fails as rate limited instead.',
		displayOptions: show(),
	},
	{
		displayName: 'Concurrency',
		name: 'concurrency',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_CONCURRENCY,
		description:
			'How many items are sent at the same time. Items that hit an expired token together share one refresh.',
		displayOptions: show(),
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		displayOptions: show(),
		options: [
			{
				displayName: 'Full Response',
				name: 'fullResponse',
				type: 'boolean',
				default: false,
				description: 'Whether to output body, statusCode and headers instead of the body alone',
			},
			{
				displayName: 'Never Error',
				name: 'neverError',
				type: 'boolean',
				default: false,
				description:
					'Whether to output the response even when it is not 2xx or the token is still rejected after the refresh; tokenGuard.category then says what went wrong',
			},
			{
				displayName: 'Timeout (Ms)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10000,
				description: 'How long one attempt may take, in milliseconds',
			},
		],
	},
];
