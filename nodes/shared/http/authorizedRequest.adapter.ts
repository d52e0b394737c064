/**
 * Request With Auto-Refresh: an HTTP request signed with the stored access token that survives token
 * expiry. Before sending it refreshes when the expiry is known and close; after an expiry signal
 * (status list, body rule) it refreshes exactly once — shared by every item and execution that saw
 * the same token fail — and replays exactly once. Never a loop, never a replay of a single-use body.
 *
 * The request is signed here for both families, because n8n's httpRequestWithAuthentication sends no
 * Authorization header at all for the bare generic `oAuth2Api` type (docs/ARCHITECTURE.md#what-n8n-does). The token comes
 * from credentialAccess.adapter; this file never reads credentials itself.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import type { SharedRefresh } from '../refresh/sharedRefresh.adapter';
import type { CredentialToken, SelectedCredential } from '../refresh/tokenState';
import { readCredentialToken } from '../refresh/credentialAccess.adapter';
import { refreshShared } from '../refresh/sharedRefresh.adapter';
import type { BoundaryOptions } from '../security/domainRestriction.adapter';
import { typedUrlBoundaryFor } from '../security/domainRestriction.adapter';
import { TokenGuardError } from '../errors/errors';
import type { ExpiryRules, ExpiryVerdict } from './expirySignal';
import {
	credentialExpiryStatusCodes,
	decideProactiveRefresh,
	detectExpirySignal,
	isTransientApiFailure,
	parseJsonBody,
	proactiveMarginMs,
} from './expirySignal';
import { classificationFor, classifyError } from '../errors/classification';
import { redactText } from '../security/redact';
import { readHeader } from '../errors/facts';
import type { AttemptOutcome, RetryPolicy } from './retry';
import { runWithRetry } from './retry';
import type { HttpHeaders, HttpResponseLike } from '../types';

export type ResponseFormat = 'autodetect' | 'json' | 'text';

export interface AuthorizedRequest {
	method: IHttpRequestMethods;
	url: string;
	qs?: IDataObject;
	/** Any Authorization header here is replaced by the credential's token. */
	headers?: IDataObject;
	body?: IHttpRequestOptions['body'];
	responseFormat: ResponseFormat;
	timeoutMs?: number;
}

export interface ApiResponse {
	statusCode: number;
	headers: HttpHeaders;
	/** Parsed per the response format: JSON value, text, or '' for an empty body. */
	body: unknown;
}

/**
 * The credential's token for one run of the node, read once and shared by its items, as n8n's own
 * nodes read credentials once per run. A shared refresh puts its new token here. A token another
 * execution replaced meanwhile is still caught: the API refuses it, and the refresh flight re-reads
 * the credential and takes the newer token over without a token call.
 */
export class RunTokenCache {
	private firstRead: Promise<CredentialToken> | undefined;

	private held: CredentialToken | undefined;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly selected: SelectedCredential,
	) {}

	async get(): Promise<CredentialToken> {
		if (this.held !== undefined) return this.held;
		this.firstRead ??= readCredentialToken(this.ctx, this.selected).then((token) => (this.held ??= token));
		return await this.firstRead;
	}

	/** Keeps the newest token: refreshes finishing out of order must not bring an older one back. */
	offer(token: CredentialToken, replaced: string): void {
		if (this.held === undefined || this.held.state.tokenFingerprint === replaced) this.held = token;
	}
}

export interface AutoRefreshSettings {
	rules: ExpiryRules;
	/** Refresh before sending when the token expires within this many ms (0 turns it off). */
	proactiveMarginMs: number;
	/** Limits for 429/5xx/network retries of the API request and of a refresh. */
	policy: RetryPolicy;
	itemIndex: number;
	/** The run's token; without one, the credential is read for this request alone. */
	tokens?: RunTokenCache;
	/** Called after each shared refresh, success or not, before the request goes on (events). */
	onRefreshStep?: (step: RefreshStep, secrets: string[]) => Promise<void>;
}

export type RefreshReason = 'proactive' | 'expiry-signal';

/** One shared refresh this item waited for; the flight's owner reports it as events. */
export interface RefreshStep {
	reason: RefreshReason;
	shared: SharedRefresh;
	/** Milliseconds the old token had left when a proactive refresh was decided (null: unknown/empty). */
	timeLeftMs: number | null;
	/** The token that was replaced. */
	staleFingerprint: string;
	staleExpiresAtMs: number | null;
}

export interface AutoRefreshOutcome {
	response: ApiResponse;
	/** The verdict on the final response. */
	verdict: ExpiryVerdict;
	reason: RefreshReason | 'not-needed';
	/** What signalled expiry on the first response, when something did. */
	signal?: 'status' | 'body';
	refreshed: boolean;
	/** True when the API still signalled expiry after the refresh and the one replay. */
	rejectedAfterRefresh: boolean;
	/** HTTP requests sent to the API for this item, retries and the replay included. */
	attempts: number;
	waitedMs: number;
	token: { fingerprint: string; expiresAtMs: number | null };
	steps: RefreshStep[];
	secrets: string[];
}

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
	const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw instanceof ArrayBuffer ? Buffer.from(raw).toString('utf8') : raw;
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
async function sendSigned(ctx: IExecuteFunctions, request: AuthorizedRequest, accessToken: string, boundary: BoundaryOptions): Promise<RawResponse> {
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

const asResponseLike = (response: ApiResponse): HttpResponseLike => ({
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
async function sendWithRetry(
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
			if (!isTransientApiFailure(request.method, { status: response.statusCode })) return { kind: 'success', value: response };
			const retryAfter = readHeader(response.headers, 'retry-after');
			return { kind: 'failure', status: response.statusCode, ...(retryAfter === undefined ? {} : { retryAfter }), error: response };
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
	return Object.assign(new Error(`no complete answer within the ${timeoutMs} ms Timeout (ETIMEDOUT: ${message})`), { code: 'ETIMEDOUT', cause: error });
}

function isApiResponse(value: unknown): value is ApiResponse {
	return typeof value === 'object' && value !== null && typeof (value as ApiResponse).statusCode === 'number' && 'headers' in value;
}

function networkCodeOf(error: unknown): string | undefined {
	for (let link: unknown = error, depth = 0; typeof link === 'object' && link !== null && depth < 5; link = (link as { cause?: unknown }).cause, depth++) {
		const code = (link as { code?: unknown }).code;
		if (typeof code === 'string' && /^(?:E[A-Z_]{3,}|UND_ERR_[A-Z_]+)$/.test(code)) return code;
	}
	return undefined;
}

function requestFailureMessage(request: AuthorizedRequest, error: unknown, secrets: string[]): string {
	const message = error instanceof Error ? error.message : String(error);
	// The URL can carry an API key in its query; redact it like any other secret-looking text.
	return redactText(`${request.method} ${request.url} failed: ${message}`, secrets);
}

/**
 * Sends the request, refreshing proactively and once after an expiry signal. Throws TokenGuardError
 * when a refresh fails, the connection fails, or a single-use body cannot be replayed; every other
 * answer — including a second expiry signal — comes back for the operation to report.
 */
export async function requestWithAutoRefresh(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	request: AuthorizedRequest,
	settings: AutoRefreshSettings,
): Promise<AutoRefreshOutcome> {
	const steps: RefreshStep[] = [];
	let token: CredentialToken = settings.tokens ? await settings.tokens.get() : await readCredentialToken(ctx, selected, settings.itemIndex);
	const secrets = token.state.secrets;
	// Checked before any refresh: a URL the credential may not reach gets neither a token nor a refresh.
	const boundary = typedUrlBoundaryFor(ctx.getNode(), selected, token.data, request.url);
	let reason: AutoRefreshOutcome['reason'] = 'not-needed';

	const refresh = async (why: RefreshReason, timeLeftMs: number | null): Promise<void> => {
		const shared = await refreshShared(ctx, selected, token.state.tokenFingerprint, { policy: settings.policy });
		const step: RefreshStep = {
			reason: why,
			shared,
			timeLeftMs,
			staleFingerprint: token.state.tokenFingerprint,
			staleExpiresAtMs: token.state.expiry.expiresAtMs,
		};
		steps.push(step);
		await settings.onRefreshStep?.(step, secrets);
		if (!shared.outcome.ok) throw shared.outcome.error;
		settings.tokens?.offer(shared.outcome.value.token, token.state.tokenFingerprint);
		token = shared.outcome.value.token;
		reason = why;
	};

	const marginMs = proactiveMarginMs(settings.proactiveMarginMs, token.state.lifetimeMs);
	if (token.accessToken === '') {
		// The manual credential before its first refresh, or a client-credentials token not fetched yet.
		await refresh('proactive', null);
	} else if (settings.proactiveMarginMs > 0) {
		const decision = decideProactiveRefresh({ expiry: token.state.expiry, nowMs: Date.now(), marginMs });
		if (decision.refresh) await refresh('proactive', decision.timeLeftMs);
	}

	let attempts = 0;
	let waitedMs = 0;
	const send = async (): Promise<ApiResponse> => {
		const result = await sendWithRetry(ctx, request, token.accessToken, boundary, settings.policy, secrets);
		attempts += result.attempts;
		waitedMs += result.waitedMs;
		return result.response;
	};

	// The credential's own expired-status codes count too (n8n refreshes on them as well).
	const declared = credentialExpiryStatusCodes(token.data.tokenExpiredStatusCode);
	const rules: ExpiryRules = declared.every((code) => settings.rules.statusCodes.includes(code))
		? settings.rules
		: { ...settings.rules, statusCodes: [...new Set([...settings.rules.statusCodes, ...declared])] };

	let response = await send();
	let verdict = detectExpirySignal(asResponseLike(response), rules);
	let rejectedAfterRefresh = false;
	const signal = verdict.expired ? verdict.via : undefined;
	if (verdict.expired) {
		await refresh('expiry-signal', null);
		if (isSingleUseBody(request.body)) {
			throw new TokenGuardError(
				classificationFor('access_token_rejected', selected.info.provider, `The API signalled an expired token (${verdict.detail}).`, response.statusCode),
				'The access token had expired. It has been refreshed, but this request was not sent again: its body was a one-time stream (binary data) that cannot be replayed. Run the item again.',
				{ attempts, waitedMs },
			);
		}
		response = await send();
		verdict = detectExpirySignal(asResponseLike(response), rules);
		rejectedAfterRefresh = verdict.expired;
	}

	return {
		response,
		verdict,
		reason,
		...(signal === undefined ? {} : { signal }),
		refreshed: steps.length > 0,
		rejectedAfterRefresh,
		attempts,
		waitedMs,
		token: { fingerprint: token.state.tokenFingerprint, expiresAtMs: token.state.expiry.expiresAtMs },
		steps,
		secrets,
	};
}
