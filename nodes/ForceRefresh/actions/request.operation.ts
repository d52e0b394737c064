/**
 * Request With Auto-Refresh: the parts of n8n's HTTP Request node people use, signed with the
 * credential's access token, surviving token expiry (authorizedRequest.adapter does the protocol).
 * Items run concurrently up to a limit, so a burst of items that all hit an expired token shares one
 * refresh.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { AuthorizedRequest, AutoRefreshOutcome, RefreshStep, ResponseFormat } from '../../shared/http/authorizedRequest.adapter';
import { RunTokenCache, requestWithAutoRefresh } from '../../shared/http/authorizedRequest.adapter';
import { classifyApiResponse } from '../../shared/classify/classifier';
import type { SelectedCredential } from '../../shared/refresh/tokenState';
import { selectedCredential } from '../../shared/refresh/credentialAccess.adapter';
import { TokenGuardError } from '../../shared/errors/errors';
import type { Delivery } from '../../shared/events/eventSink.adapter';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../shared/oauth/expiry';
import type { ExpiryRules, RuleParseError } from '../../shared/http/expirySignal';
import { parseBodyRule, parseStatusCodes } from '../../shared/http/expirySignal';
import { classificationFor } from '../../shared/errors/classification';
import type { Choice, ParameterCheck, ParameterProblem } from '../../shared/parameters/parameters';
import { choice, numberAtLeast, textValue } from '../../shared/parameters/parameters';
import { checkedParameter, checkedValue } from '../../shared/parameters/parameters.adapter';
import { redactedSnippet, redactText } from '../../shared/security/redact';
import type { RetryPolicy } from '../../shared/http/retry';
import { DEFAULT_RETRY_POLICY } from '../../shared/http/retry';
import type { Category, Result } from '../../shared/types';
import { err, ok } from '../../shared/types';
import type { ItemFailure, TokenGuardInfo } from './common';
import {
	credentialLabel,
	emitRefreshFailed,
	emitRefreshSucceeded,
	emitTokenExpiring,
	errorItem,
	isoOrNull,
	mapWithConcurrency,
	nodeErrorFor,
} from './common';

const show = (extra: Record<string, unknown[]> = {}) => ({ show: { operation: ['request'], ...extra } });

const nameValueCollection = (displayName: string, name: string, shownWhen: Record<string, unknown[]>, placeholder: string): INodeProperties => ({
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
const METHODS: ReadonlyArray<Choice<string>> = (['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const).map((method) => ({
	name: method,
	value: method,
}));

type BodyType = 'binary' | 'form' | 'json' | 'none' | 'raw';

const BODY_TYPES: ReadonlyArray<Choice<BodyType> & { description: string }> = [
	{ name: 'Binary File', value: 'binary', description: 'Binary data of the input item, sent once (never replayed when streamed)' },
	{ name: 'Form URL-Encoded', value: 'form', description: 'Name/value pairs as application/x-www-form-urlencoded' },
	{ name: 'JSON', value: 'json', description: 'A JSON document' },
	{ name: 'None', value: 'none', description: 'No body' },
	{ name: 'Raw', value: 'raw', description: 'Text with a content type you choose' },
];

const RESPONSE_FORMATS: ReadonlyArray<Choice<ResponseFormat> & { description: string }> = [
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
		description: 'Whether the request has headers. An Authorization header is always replaced by the credential\'s token.',
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
		description: 'The name of the input item\'s binary field whose file is sent as the body',
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
			'When the token\'s expiry is known and this close, refresh before sending, so the API never sees an expired token. Never more than half the token\'s lifetime. 0 turns it off.',
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
		description: 'How many items are sent at the same time. Items that hit an expired token together share one refresh.',
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

type ParameterReader = (name: string, itemIndex: number, fallback?: unknown) => unknown;

const containsExpression = (value: unknown): boolean =>
	typeof value === 'string'
		? value.startsWith('=')
		: typeof value === 'object' && value !== null && Object.values(value).some(containsExpression);

/**
 * getNodeParameter per item, except that a parameter without any expression in it is the same for
 * every item and is read once per run: n8n resolves parameters on every call, which is most of the
 * per-item cost of a node that makes thousands of requests.
 */
function parameterReader(ctx: IExecuteFunctions): ParameterReader {
	const raw = ctx.getNode().parameters;
	const constant = new Map<string, unknown>();
	return (name, itemIndex, fallback) => {
		if (containsExpression(raw[name])) return ctx.getNodeParameter(name, itemIndex, fallback as never);
		if (!constant.has(name)) constant.set(name, ctx.getNodeParameter(name, 0, fallback as never));
		return constant.get(name);
	};
}

interface RequestOptions {
	fullResponse?: boolean;
	neverError?: boolean;
	timeout?: number;
}

interface RunSettings {
	rules: ExpiryRules;
	proactiveMarginMs: number;
	policy: RetryPolicy;
	concurrency: number;
	responseFormat: ResponseFormat;
	options: RequestOptions;
	parameter: ParameterReader;
	tokens: RunTokenCache;
}

/** A run setting: a number of `min` or more, read from the first item. */
function runNumber(ctx: IExecuteFunctions, name: string, displayName: string, min: number, fallback: number): number {
	return checkedParameter(ctx, 0, { name, displayName, fallback }, numberAtLeast(min, String(fallback)));
}

/**
 * The rule parsers say "<problem>; write it like …" (or "<problem>. Write …"): split into the problem
 * and the fix so the rejection reads like every other one.
 */
function ruleProblem(error: RuleParseError): ParameterProblem {
	const [problem, ...fix] = error.message.split(/;\s+|\.\s+(?=Write\b)/);
	const joined = fix.join('; ');
	return { problem, fix: joined === '' ? 'See the field\'s description for how to write it' : joined.charAt(0).toUpperCase() + joined.slice(1) };
}

/** A rule typed as text (a number from an expression counts as its text), read by `parse`. */
const ruleText =
	<T>(parse: (text: string) => Result<T, RuleParseError>, fix: string): ParameterCheck<T> =>
	(value) => {
		const source = textValue(fix)(value);
		if (!source.ok) return source;
		const parsed = parse(source.value);
		return parsed.ok ? parsed : err(ruleProblem(parsed.error));
	};

const timeoutMs: ParameterCheck<number | undefined> = (value) => (value === undefined ? ok(undefined) : numberAtLeast(1, '10000')(value));

/** Settings that apply to the whole run, read from the first item. */
function readRunSettings(ctx: IExecuteFunctions, selected: SelectedCredential): RunSettings {
	const statusCodes = checkedParameter(
		ctx,
		0,
		{ name: 'expiryStatusCodes', displayName: 'Expiry Status Codes', fallback: '401' },
		ruleText(parseStatusCodes, 'Enter status codes like 401, 403'),
	);
	const bodyRule = checkedParameter(
		ctx,
		0,
		{ name: 'expiredWhen', displayName: 'Expired When (Body Rule)', fallback: '' },
		ruleText(parseBodyRule, 'Enter a condition like error = token_expired, or leave it empty'),
	);
	const options = ctx.getNodeParameter('options', 0, {}) as RequestOptions;
	const timeout = checkedValue(ctx, 0, 'Timeout (Ms)', options.timeout, timeoutMs);
	return {
		rules: { statusCodes, bodyRule },
		proactiveMarginMs: Math.round(runNumber(ctx, 'proactiveMarginSeconds', 'Refresh Before Expiry (Seconds)', 0, DEFAULT_EXPIRY_MARGIN_SECONDS) * 1000),
		policy: {
			...DEFAULT_RETRY_POLICY,
			maxAttempts: Math.floor(runNumber(ctx, 'maxAttempts', 'Max Attempts', 1, DEFAULT_RETRY_POLICY.maxAttempts)),
			maxTotalWaitMs: Math.round(runNumber(ctx, 'maxTotalWaitSeconds', 'Max Total Wait (Seconds)', 0, DEFAULT_RETRY_POLICY.maxTotalWaitMs / 1000) * 1000),
		},
		concurrency: Math.floor(runNumber(ctx, 'concurrency', 'Concurrency', 1, DEFAULT_CONCURRENCY)),
		responseFormat: checkedParameter(ctx, 0, { name: 'responseFormat', displayName: 'Response Format', fallback: 'autodetect' }, choice(RESPONSE_FORMATS)),
		options: timeout === undefined ? options : { ...options, timeout },
		parameter: parameterReader(ctx),
		tokens: new RunTokenCache(ctx, selected),
	};
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Name/value rows; rows without a name are skipped, an object value is sent as its JSON text. */
function pairs(parameter: ParameterReader, name: string, itemIndex: number): Array<[string, string]> {
	const collection = parameter(name, itemIndex, {});
	const rows = isRecord(collection) && Array.isArray(collection.parameters) ? (collection.parameters as unknown[]) : [];
	return rows
		.filter((row): row is { name: string; value?: unknown } => isRecord(row) && typeof row.name === 'string' && row.name.trim() !== '')
		.map((row) => [row.name.trim(), row.value === undefined || row.value === null ? '' : typeof row.value === 'object' ? JSON.stringify(row.value) : String(row.value)]);
}

/** The API address: required, absolute, http(s). */
const apiUrl: ParameterCheck<string> = (value) => {
	const url = typeof value === 'string' ? value.trim() : '';
	if (url === '') return err({ problem: 'is empty', fix: 'Enter the API address, e.g. https://api.example.com/v1/me' });
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return err({ problem: 'is not an absolute URL', fix: 'It must start with https:// (or http://) and name the host, e.g. https://api.example.com/v1/me' });
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		return err({ problem: `must use https:// or http://, not ${parsed.protocol}//`, fix: 'Enter an address like https://api.example.com/v1/me' });
	}
	return ok(url);
};

/** JSON Body: a JSON document as text, or what an expression produced (sent as its JSON). */
const jsonBody: ParameterCheck<unknown> = (value) => {
	if (typeof value !== 'string') return ok(value);
	if (value.trim() === '') return ok({});
	try {
		return ok(JSON.parse(value) as unknown);
	} catch (error) {
		return err({
			problem: `is not valid JSON (${(error as Error).message})`,
			fix: 'Enter a JSON object or array, e.g. {"name": "value"}, or switch Body Content Type',
		});
	}
};

const BINARY_FIELD_FIX = 'Enter the name of the input item\'s binary field, e.g. data';

const binaryFieldName: ParameterCheck<string> = (value) => {
	const name = textValue(BINARY_FIELD_FIX)(value);
	if (!name.ok) return name;
	const trimmed = name.value.trim();
	return trimmed === '' ? err({ problem: 'is empty', fix: BINARY_FIELD_FIX }) : ok(trimmed);
};

async function bodyOf(ctx: IExecuteFunctions, parameter: ParameterReader, itemIndex: number, headers: IDataObject): Promise<AuthorizedRequest['body']> {
	const bodyType = checkedValue(ctx, itemIndex, 'Body Content Type', parameter('bodyType', itemIndex, 'none'), choice(BODY_TYPES));
	const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
	const setContentType = (value: string) => {
		if (!hasContentType) headers['Content-Type'] = value;
	};
	switch (bodyType) {
		case 'json': {
			const value = checkedValue(ctx, itemIndex, 'JSON Body', parameter('jsonBody', itemIndex, '{}'), jsonBody);
			setContentType('application/json');
			return JSON.stringify(value);
		}
		case 'form':
			setContentType('application/x-www-form-urlencoded');
			return new URLSearchParams(pairs(parameter, 'formBody', itemIndex)).toString();
		case 'raw':
			setContentType(
				checkedValue(ctx, itemIndex, 'Raw Content Type', parameter('rawContentType', itemIndex, 'text/plain'), textValue('Enter a content type, e.g. application/xml')).trim() ||
					'text/plain',
			);
			return checkedValue(ctx, itemIndex, 'Raw Body', parameter('rawBody', itemIndex, ''), textValue('Enter the text to send, or use JSON as Body Content Type for an object'));
		case 'binary': {
			const field = checkedValue(ctx, itemIndex, 'Input Binary Field', parameter('binaryPropertyName', itemIndex, 'data'), binaryFieldName);
			const binary = ctx.helpers.assertBinaryData(itemIndex, field);
			setContentType(binary.mimeType || 'application/octet-stream');
			// Stored outside memory (filesystem/S3 mode): streamed, so it cannot be sent twice.
			if (binary.id) return (await ctx.helpers.getBinaryStream(binary.id)) as unknown as AuthorizedRequest['body'];
			return await ctx.helpers.getBinaryDataBuffer(itemIndex, field);
		}
		default:
			return undefined;
	}
}

async function buildRequest(ctx: IExecuteFunctions, itemIndex: number, settings: RunSettings): Promise<AuthorizedRequest> {
	const { parameter } = settings;
	const url = checkedValue(ctx, itemIndex, 'URL', parameter('url', itemIndex), apiUrl);
	const method = checkedValue(ctx, itemIndex, 'Method', parameter('method', itemIndex, 'GET'), choice(METHODS)) as IHttpRequestMethods;
	const headers: IDataObject = {};
	if (parameter('sendHeaders', itemIndex, false) === true) {
		for (const [name, value] of pairs(parameter, 'headerParameters', itemIndex)) headers[name] = value;
	}
	const qs: IDataObject = {};
	if (parameter('sendQuery', itemIndex, false) === true) {
		for (const [name, value] of pairs(parameter, 'queryParameters', itemIndex)) qs[name] = value;
	}
	const body = await bodyOf(ctx, parameter, itemIndex, headers);
	return {
		method,
		url,
		headers,
		qs,
		...(body === undefined ? {} : { body }),
		responseFormat: settings.responseFormat,
		...(settings.options.timeout === undefined ? {} : { timeoutMs: settings.options.timeout }),
	};
}

const BODY_SNIPPET_LENGTH = 300;

function snippet(body: unknown, secrets: string[]): string {
	const text = typeof body === 'string' ? body : JSON.stringify(body) ?? '';
	return redactedSnippet(text, secrets, BODY_SNIPPET_LENGTH, { singleLine: true });
}

/** A final answer that is not a success, as the error the item fails with (unless "Never Error"). */
function responseFailure(request: AuthorizedRequest, outcome: AutoRefreshOutcome, selected: SelectedCredential): TokenGuardError | undefined {
	const { response } = outcome;
	if (outcome.rejectedAfterRefresh) {
		const reason = outcome.verdict.expired ? outcome.verdict.detail : 'the API rejected the token';
		return new TokenGuardError(
			classificationFor('access_token_rejected', selected.info.provider, `The API still signalled an expired token after one refresh and one replay: ${reason}.`, response.statusCode),
			redactText(`${request.method} ${request.url} still rejected the access token after it was refreshed and the request sent once more (HTTP ${response.statusCode}): ${snippet(response.body, outcome.secrets)}`, outcome.secrets),
			{ attempts: outcome.attempts, waitedMs: outcome.waitedMs },
		);
	}
	if (response.statusCode >= 200 && response.statusCode < 300) return undefined;
	const classification = classifyApiResponse({ status: response.statusCode, headers: response.headers, body: response.body }, request.url);
	const provider = classification.provider === 'unknown' ? selected.info.provider : classification.provider;
	return new TokenGuardError(
		{ ...classification, provider },
		redactText(`${request.method} ${request.url} answered HTTP ${response.statusCode}: ${snippet(response.body, outcome.secrets)}`, outcome.secrets),
		{ attempts: outcome.attempts, waitedMs: outcome.waitedMs },
	);
}

function outputJson(outcome: AutoRefreshOutcome, fullResponse: boolean, tokenGuard: TokenGuardInfo): IDataObject {
	const { response } = outcome;
	const info = tokenGuard as unknown as IDataObject;
	if (fullResponse) {
		return { body: response.body as IDataObject, statusCode: response.statusCode, headers: response.headers as IDataObject, tokenGuard: info };
	}
	const body = response.body;
	if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { ...(body as IDataObject), tokenGuard: info };
	if (body === '' || body === undefined || body === null) return { tokenGuard: info };
	return { data: body as IDataObject, tokenGuard: info };
}

/** Events for one shared refresh, sent by the caller that ran it (joiners share its outcome silently). */
async function reportStep(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	step: RefreshStep,
	itemIndex: number,
	secrets: string[],
	marginMs: number,
): Promise<Delivery | undefined> {
	if (!step.shared.owner) return undefined;
	const details = { reason: step.reason, operation: 'request' } as const;
	const { outcome } = step.shared;
	if (!outcome.ok) return await emitRefreshFailed(ctx, selected, outcome.error, details, itemIndex, secrets);
	const { refresh } = outcome.value;
	if (refresh === undefined) return undefined;
	if (step.reason === 'proactive' && step.timeLeftMs !== null) {
		await emitTokenExpiring(
			ctx,
			selected,
			{ expiresAtMs: step.staleExpiresAtMs, timeLeftMs: step.timeLeftMs, marginMs, tokenFingerprint: step.staleFingerprint, operation: 'request' },
			itemIndex,
			secrets,
		);
	}
	return await emitRefreshSucceeded(ctx, selected, refresh, details, itemIndex, secrets);
}

async function runItem(
	ctx: IExecuteFunctions,
	itemIndex: number,
	selected: SelectedCredential,
	settings: RunSettings,
	runSecrets: Set<string>,
): Promise<INodeExecutionData> {
	const startedAt = Date.now();
	let delivery: Delivery | undefined;
	let category: Category | undefined;
	try {
		const request = await buildRequest(ctx, itemIndex, settings);
		const outcome = await requestWithAutoRefresh(ctx, selected, request, {
			rules: settings.rules,
			proactiveMarginMs: settings.proactiveMarginMs,
			policy: settings.policy,
			itemIndex,
			tokens: settings.tokens,
			onRefreshStep: async (step, secrets) => {
				for (const secret of secrets) runSecrets.add(secret);
				delivery = (await reportStep(ctx, selected, step, itemIndex, secrets, settings.proactiveMarginMs)) ?? delivery;
			},
		});
		for (const secret of outcome.secrets) runSecrets.add(secret);
		const failure = responseFailure(request, outcome, selected);
		if (failure !== undefined) {
			if (settings.options.neverError !== true) throw failure;
			category = failure.classification.category;
		}
		const tokenGuard: TokenGuardInfo = {
			refreshed: outcome.refreshed,
			reason: outcome.reason,
			attempts: outcome.attempts,
			expiresAt: isoOrNull(outcome.token.expiresAtMs),
			tokenFingerprint: outcome.token.fingerprint,
			durationMs: Date.now() - startedAt,
			credential: credentialLabel(selected),
			statusCode: outcome.response.statusCode,
			waitedMs: outcome.waitedMs,
			...(outcome.signal === undefined ? {} : { expirySignal: outcome.signal }),
			...(category === undefined ? {} : { category }),
			...(delivery === undefined ? {} : { delivery }),
		};
		return { json: outputJson(outcome, settings.options.fullResponse === true, tokenGuard), pairedItem: { item: itemIndex } };
	} catch (error) {
		const failure: ItemFailure = nodeErrorFor(ctx, error, selected, itemIndex, [...runSecrets]);
		if (!ctx.continueOnFail()) throw failure.error;
		const stats = (error as { stats?: { attempts?: number; waitedMs?: number } }).stats;
		return errorItem(failure, itemIndex, {
			refreshed: false,
			reason: 'not-needed',
			attempts: stats?.attempts ?? 0,
			expiresAt: null,
			tokenFingerprint: 'none',
			durationMs: Date.now() - startedAt,
			credential: credentialLabel(selected),
			...(stats?.waitedMs === undefined ? {} : { waitedMs: stats.waitedMs }),
			...(delivery === undefined ? {} : { delivery }),
		});
	}
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	let selected: SelectedCredential;
	let settings: RunSettings;
	try {
		selected = selectedCredential(this, 0);
		settings = readRunSettings(this, selected);
	} catch (error) {
		const failure = nodeErrorFor(this, error, undefined, 0, []);
		if (!this.continueOnFail()) throw failure.error;
		const tokenGuard = {
			refreshed: false,
			reason: 'not-needed' as const,
			attempts: 0,
			expiresAt: null,
			tokenFingerprint: 'none',
			durationMs: 0,
			credential: { type: 'unknown', name: null },
		};
		return [items.map((_item, index) => errorItem(failure, index, tokenGuard))];
	}
	const runSecrets = new Set<string>();
	const results = await mapWithConcurrency(items.length, settings.concurrency, async (index) => await runItem(this, index, selected, settings, runSecrets));
	return [results];
}
