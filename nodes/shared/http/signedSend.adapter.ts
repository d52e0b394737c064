/**
 * Sending one signed request for Request With Auto-Refresh (authorizedRequest.adapter): the bearer
 * header set here, the answer decoded in the chosen format, transient failures retried per the
 * policy, and a stalled body after the Timeout treated as a timeout. No refresh happens here.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import type { BoundaryOptions } from '../security/domainRestriction.adapter';
import { TokenGuardError } from '../errors/errors';
import { classifyError } from '../errors/classification';
import { classificationFor } from '../classify/taxonomy';
import { networkCodeOf, readHeader } from '../errors/facts';
import { redactText } from '../security/redact';
import type { HttpHeaders, HttpResponseLike } from '../types';
import type { ApiResponse, AuthorizedRequest, ResponseFormat } from './authorizedRequest.adapter';
import { isTransientApiFailure, parseJsonBody } from './expirySignal';
import type { AttemptOutcome, RetryPolicy } from './retry';
import { runWithRetry } from './retry';

/** A FormData or stream body is consumed by the first send (n8n-core's hasSingleUseBody). */
export function isSingleUseBody(body: unknown): boolean {
	if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return false;
	const candidate = body as { pipe?: unknown; getHeaders?: unknown; getBoundary?: unknown };
	return typeof candidate.pipe === 'function' || typeof candidate.getBoundary === 'function';
}

function withoutAuthorization(headers: IDataObject | undefined): IDataObject {
	const result: IDataObject = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (name.toLowerCase() !== 'authorization') result[name] = value;
	}
	return result;
}

function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) as unknown };
	} catch {
		// Reported by the caller, which knows the response format the user asked for.
		return { ok: false };
	}
}

/** Bodies arrive as bytes so one code path decodes every format. */
function decodeBody(raw: unknown, headers: HttpHeaders, format: ResponseFormat): unknown {
	const text = Buffer.isBuffer(raw)
		? raw.toString('utf8')
		: raw instanceof ArrayBuffer
			? Buffer.from(raw).toString('utf8')
			: raw;
	if (typeof text !== 'string') return text ?? '';
	if (format === 'text' || text === '') return text;
	const contentType = (readHeader(headers, 'content-type') ?? '').toLowerCase();
	if (format === 'autodetect') return contentType.includes('json') ? parseJsonBody(text) : text;
	const parsed = parseJsonText(text);
	if (parsed.ok) return parsed.value;
	throw new TokenGuardError(
		classificationFor('not_auth_related', 'unknown', 'The API answered with a body that is not JSON.'),
		`The response body is not valid JSON (content-type: ${contentType || 'none'}). Set "Response Format" to Text or Autodetect.`,
	);
}

interface RawResponse {
	statusCode: number;
	headers?: HttpHeaders;
	body?: unknown;
}

/**
 * One signed send within the credential's boundary (allowed domains on every hop, no token across
 * origins). Network failures throw; every HTTP status comes back as a response.
 */
async function sendSigned(
	ctx: IExecuteFunctions,
	request: AuthorizedRequest,
	accessToken: string,
	boundary: BoundaryOptions,
): Promise<RawResponse> {
	const options: IHttpRequestOptions = {
		...boundary,
		method: request.method,
		url: request.url,
		headers: { ...withoutAuthorization(request.headers), Authorization: `Bearer ${accessToken}` },
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		encoding: 'arraybuffer',
		json: false,
	};
	if (request.qs !== undefined && Object.keys(request.qs).length > 0) options.qs = request.qs;
	if (request.body !== undefined) options.body = request.body;
	if (request.timeoutMs !== undefined) options.timeout = request.timeoutMs;
	const cancel = ctx.getExecutionCancelSignal?.();
	if (cancel !== undefined) options.abortSignal = cancel;
	return (await ctx.helpers.httpRequest(options)) as RawResponse;
}

function toApiResponse(raw: RawResponse, format: ResponseFormat): ApiResponse {
	const headers = raw.headers ?? {};
	return { statusCode: raw.statusCode, headers, body: decodeBody(raw.body, headers, format) };
}

export const asResponseLike = (response: ApiResponse): HttpResponseLike => ({
	status: response.statusCode,
	headers: response.headers,
	body: response.body,
});

interface SendResult {
	response: ApiResponse;
	attempts: number;
	waitedMs: number;
}

/**
 * Sends with retries for transient failures only (429 and 503 for every method; other 5xx and lost
 * connections only for idempotent methods, so a write is never repeated). A single-use body is sent
 * once. When the retries run out, the last response is returned for the caller to classify; a
 * connection that never answered throws.
 */
export async function sendWithRetry(
	ctx: IExecuteFunctions,
	request: AuthorizedRequest,
	accessToken: string,
	boundary: BoundaryOptions,
	policy: RetryPolicy,
	secrets: string[],
): Promise<SendResult> {
	const effectivePolicy = isSingleUseBody(request.body) ? { ...policy, maxAttempts: 1 } : policy;
	const run = await runWithRetry<ApiResponse>(
		async (): Promise<AttemptOutcome<ApiResponse>> => {
			let raw: RawResponse;
			const startedAt = Date.now();
			try {
				raw = await sendSigned(ctx, request, accessToken, boundary);
			} catch (error) {
				const cancelled = ctx.getExecutionCancelSignal?.()?.aborted === true;
				return connectionFailure(request, cancelled ? error : asTimeout(request, error, Date.now() - startedAt));
			}
			const response = toApiResponse(raw, request.responseFormat);
			if (!isTransientApiFailure(request.method, { status: response.statusCode }))
				return { kind: 'success', value: response };
			const retryAfter = readHeader(response.headers, 'retry-after');
			return {
				kind: 'failure',
				status: response.statusCode,
				...(retryAfter === undefined ? {} : { retryAfter }),
				error: response,
			};
		},
		effectivePolicy,
		{ sleep, now: () => Date.now(), random: Math.random },
	);
	const stats = { attempts: run.attempts, waitedMs: run.waitedMs };
	if (run.outcome.kind === 'success') return { response: run.outcome.value, ...stats };
	const last = run.outcome.error;
	if (isApiResponse(last)) return { response: last, ...stats };
	const classification = classifyError(last, { url: request.url, phase: 'api' });
	const retried = run.attempts > 1 ? ` (after ${run.attempts} attempts)` : '';
	throw new TokenGuardError(classification, `${requestFailureMessage(request, last, secrets)}${retried}`, stats);
}

/**
 * A send that threw. Only a connection failure worth repeating for this method carries its network
 * code, which is what makes the retry loop try again; anything else ends the loop.
 */
function connectionFailure(request: AuthorizedRequest, error: unknown): AttemptOutcome<ApiResponse> {
	const networkCode = networkCodeOf(error);
	const transient = networkCode !== undefined && isTransientApiFailure(request.method, { networkCode });
	return { kind: 'failure', ...(transient ? { networkCode } : {}), error };
}

/** Codes a stalled response body surfaces with: axios' own, not a connection code. */
const STALLED_BODY_CODES: ReadonlySet<string> = new Set(['ERR_BAD_RESPONSE', 'ERR_CANCELED', 'ABORT_ERR']);

/**
 * axios enforces the Timeout as socket inactivity: when a body stops arriving half-way, the timeout
 * aborts the response stream and the error says "stream has been aborted" with no timeout code. An
 * attempt that failed that way once the Timeout had passed is a timeout (ETIMEDOUT), so it is
 * classified and retried like one.
 */
export function asTimeout(request: Pick<AuthorizedRequest, 'timeoutMs'>, error: unknown, elapsedMs: number): unknown {
	const timeoutMs = request.timeoutMs;
	if (timeoutMs === undefined || elapsedMs < timeoutMs) return error;
	const code = (error as { code?: unknown } | null)?.code;
	if (typeof code === 'string' && !STALLED_BODY_CODES.has(code)) return error;
	const message = error instanceof Error ? error.message : String(error);
	return Object.assign(new Error(`no complete answer within the ${timeoutMs} ms Timeout (ETIMEDOUT: ${message})`), {
		code: 'ETIMEDOUT',
		cause: error,
	});
}

function isApiResponse(value: unknown): value is ApiResponse {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as ApiResponse).statusCode === 'number' &&
		'headers' in value
	);
}

function requestFailureMessage(request: AuthorizedRequest, error: unknown, secrets: string[]): string {
	const message = error instanceof Error ? error.message : String(error);
	// The URL can carry an API key in its query; redact it like any other secret-looking text.
	return redactText(`${request.method} ${request.url} failed: ${message}`, secrets);
}
