/**
 * Request With Auto-Refresh: reading and checking the parameters, the run's settings (read once from
 * the first item) and each item's request.
 */
import { isRecord } from '../../../shared/errors/facts';
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import type { AuthorizedRequest, ResponseFormat } from '../../../shared/http/authorizedRequest.adapter';
import { RunTokenCache } from '../../../shared/http/authorizedRequest.adapter';
import type { SelectedCredential } from '../../../shared/refresh/tokenState';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../../shared/oauth/expiry';
import type { ExpiryRules, RuleParseError } from '../../../shared/http/expirySignal';
import { parseBodyRule, parseStatusCodes } from '../../../shared/http/expirySignal';
import type { ParameterCheck, ParameterProblem } from '../../../shared/parameters/parameters';
import { choice, numberAtLeast, textValue } from '../../../shared/parameters/parameters';
import { checkedParameter, checkedValue } from '../../../shared/parameters/parameters.adapter';
import type { RetryPolicy } from '../../../shared/http/retry';
import { DEFAULT_RETRY_POLICY } from '../../../shared/http/retry';
import type { Result } from '../../../shared/types';
import { err, ok } from '../../../shared/types';
import { BODY_TYPES, DEFAULT_CONCURRENCY, METHODS, RESPONSE_FORMATS } from './description';

export type ParameterReader = (name: string, itemIndex: number, fallback?: unknown) => unknown;

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

export interface RequestOptions {
	fullResponse?: boolean;
	neverError?: boolean;
	timeout?: number;
}

export interface RunSettings {
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
	return {
		problem,
		fix:
			joined === ''
				? "See the field's description for how to write it"
				: joined.charAt(0).toUpperCase() + joined.slice(1),
	};
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

const timeoutMs: ParameterCheck<number | undefined> = (value) =>
	value === undefined ? ok(undefined) : numberAtLeast(1, '10000')(value);

/** Settings that apply to the whole run, read from the first item. */
export function readRunSettings(ctx: IExecuteFunctions, selected: SelectedCredential): RunSettings {
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
		proactiveMarginMs: Math.round(
			runNumber(ctx, 'proactiveMarginSeconds', 'Refresh Before Expiry (Seconds)', 0, DEFAULT_EXPIRY_MARGIN_SECONDS) *
				1000,
		),
		policy: {
			...DEFAULT_RETRY_POLICY,
			maxAttempts: Math.floor(runNumber(ctx, 'maxAttempts', 'Max Attempts', 1, DEFAULT_RETRY_POLICY.maxAttempts)),
			maxTotalWaitMs: Math.round(
				runNumber(
					ctx,
					'maxTotalWaitSeconds',
					'Max Total Wait (Seconds)',
					0,
					DEFAULT_RETRY_POLICY.maxTotalWaitMs / 1000,
				) * 1000,
			),
		},
		concurrency: Math.floor(runNumber(ctx, 'concurrency', 'Concurrency', 1, DEFAULT_CONCURRENCY)),
		responseFormat: checkedParameter(
			ctx,
			0,
			{ name: 'responseFormat', displayName: 'Response Format', fallback: 'autodetect' },
			choice(RESPONSE_FORMATS),
		),
		options: timeout === undefined ? options : { ...options, timeout },
		parameter: parameterReader(ctx),
		tokens: new RunTokenCache(ctx, selected),
	};
}

/** Name/value rows; rows without a name are skipped, an object value is sent as its JSON text. */
function pairs(parameter: ParameterReader, name: string, itemIndex: number): Array<[string, string]> {
	const collection = parameter(name, itemIndex, {});
	const rows = isRecord(collection) && Array.isArray(collection.parameters) ? (collection.parameters as unknown[]) : [];
	return rows
		.filter(
			(row): row is { name: string; value?: unknown } =>
				isRecord(row) && typeof row.name === 'string' && row.name.trim() !== '',
		)
		.map((row) => [
			row.name.trim(),
			row.value === undefined || row.value === null
				? ''
				: typeof row.value === 'object'
					? JSON.stringify(row.value)
					: String(row.value),
		]);
}

/** The API address: required, absolute, http(s). */
const apiUrl: ParameterCheck<string> = (value) => {
	const url = typeof value === 'string' ? value.trim() : '';
	if (url === '') return err({ problem: 'is empty', fix: 'Enter the API address, e.g. https://api.example.com/v1/me' });
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return err({
			problem: 'is not an absolute URL',
			fix: 'It must start with https:// (or http://) and name the host, e.g. https://api.example.com/v1/me',
		});
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		return err({
			problem: `must use https:// or http://, not ${parsed.protocol}//`,
			fix: 'Enter an address like https://api.example.com/v1/me',
		});
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

const BINARY_FIELD_FIX = "Enter the name of the input item's binary field, e.g. data";

const binaryFieldName: ParameterCheck<string> = (value) => {
	const name = textValue(BINARY_FIELD_FIX)(value);
	if (!name.ok) return name;
	const trimmed = name.value.trim();
	return trimmed === '' ? err({ problem: 'is empty', fix: BINARY_FIELD_FIX }) : ok(trimmed);
};

/** The input item's binary field, streamed when n8n keeps it outside memory (so it cannot be sent twice). */
async function binaryBody(
	ctx: IExecuteFunctions,
	parameter: ParameterReader,
	itemIndex: number,
	setContentType: (value: string) => void,
): Promise<AuthorizedRequest['body']> {
	const field = checkedValue(
		ctx,
		itemIndex,
		'Input Binary Field',
		parameter('binaryPropertyName', itemIndex, 'data'),
		binaryFieldName,
	);
	const binary = ctx.helpers.assertBinaryData(itemIndex, field);
	setContentType(binary.mimeType || 'application/octet-stream');
	if (binary.id) return (await ctx.helpers.getBinaryStream(binary.id)) as unknown as AuthorizedRequest['body'];
	return await ctx.helpers.getBinaryDataBuffer(itemIndex, field);
}

async function bodyOf(
	ctx: IExecuteFunctions,
	parameter: ParameterReader,
	itemIndex: number,
	headers: IDataObject,
): Promise<AuthorizedRequest['body']> {
	const bodyType = checkedValue(
		ctx,
		itemIndex,
		'Body Content Type',
		parameter('bodyType', itemIndex, 'none'),
		choice(BODY_TYPES),
	);
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
				checkedValue(
					ctx,
					itemIndex,
					'Raw Content Type',
					parameter('rawContentType', itemIndex, 'text/plain'),
					textValue('Enter a content type, e.g. application/xml'),
				).trim() || 'text/plain',
			);
			return checkedValue(
				ctx,
				itemIndex,
				'Raw Body',
				parameter('rawBody', itemIndex, ''),
				textValue('Enter the text to send, or use JSON as Body Content Type for an object'),
			);
		case 'binary':
			return await binaryBody(ctx, parameter, itemIndex, setContentType);
		default:
			return undefined;
	}
}

export async function buildRequest(
	ctx: IExecuteFunctions,
	itemIndex: number,
	settings: RunSettings,
): Promise<AuthorizedRequest> {
	const { parameter } = settings;
	const url = checkedValue(ctx, itemIndex, 'URL', parameter('url', itemIndex), apiUrl);
	const method = checkedValue(
		ctx,
		itemIndex,
		'Method',
		parameter('method', itemIndex, 'GET'),
		choice(METHODS),
	) as IHttpRequestMethods;
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
