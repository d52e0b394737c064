/**
 * Request With Auto-Refresh: an HTTP request signed with the stored access token that survives token
 * expiry. Before sending it refreshes when the expiry is known and close; after an expiry signal
 * (status list, body rule) it refreshes exactly once — shared by every item and execution that saw
 * the same token fail — and replays exactly once. Never a loop, never a replay of a single-use body.
 *
 * The request is signed here for both families, because n8n's httpRequestWithAuthentication sends no
 * Authorization header at all for the bare generic `oAuth2Api` type (docs/ARCHITECTURE.md#what-n8n-does). The token comes
 * from credentialAccess.adapter; this file never reads credentials itself, and signedSend.adapter sends.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';

import type { SharedRefresh } from '../refresh/sharedRefresh.adapter';
import type { CredentialToken, SelectedCredential } from '../refresh/tokenState';
import { readCredentialToken } from '../refresh/credentialAccess.adapter';
import { refreshShared } from '../refresh/sharedRefresh.adapter';
import { typedUrlBoundaryFor } from '../security/domainRestriction.adapter';
import { TokenGuardError } from '../errors/errors';
import type { ExpiryRules, ExpiryVerdict } from './expirySignal';
import {
	credentialExpiryStatusCodes,
	decideProactiveRefresh,
	detectExpirySignal,
	proactiveMarginMs,
} from './expirySignal';
import { classificationFor } from '../classify/taxonomy';
import type { RetryPolicy } from './retry';
import type { HttpHeaders } from '../types';
import { asResponseLike, isSingleUseBody, sendWithRetry } from './signedSend.adapter';

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

/** What one request has done so far: the token it holds, its refreshes, its attempts. */
interface RequestProgress {
	token: CredentialToken;
	steps: RefreshStep[];
	reason: AutoRefreshOutcome['reason'];
	/** The secrets of the token the request started with, for redaction. */
	readonly secrets: string[];
	attempts: number;
	waitedMs: number;
}

/** One shared refresh of the token this request holds; a failed refresh throws after being reported. */
async function refreshStep(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	settings: AutoRefreshSettings,
	progress: RequestProgress,
	why: RefreshReason,
	timeLeftMs: number | null,
): Promise<void> {
	const stale = progress.token;
	const shared = await refreshShared(ctx, selected, stale.state.tokenFingerprint, { policy: settings.policy });
	const step: RefreshStep = {
		reason: why,
		shared,
		timeLeftMs,
		staleFingerprint: stale.state.tokenFingerprint,
		staleExpiresAtMs: stale.state.expiry.expiresAtMs,
	};
	progress.steps.push(step);
	await settings.onRefreshStep?.(step, progress.secrets);
	if (!shared.outcome.ok) throw shared.outcome.error;
	settings.tokens?.offer(shared.outcome.value.token, stale.state.tokenFingerprint);
	progress.token = shared.outcome.value.token;
	progress.reason = why;
}

/** Refreshes before sending when there is no access token yet, or it expires within the margin. */
async function refreshBeforeSending(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	settings: AutoRefreshSettings,
	progress: RequestProgress,
): Promise<void> {
	const { token } = progress;
	if (token.accessToken === '') {
		// The manual credential before its first refresh, or a client-credentials token not fetched yet.
		await refreshStep(ctx, selected, settings, progress, 'proactive', null);
	} else if (settings.proactiveMarginMs > 0) {
		const marginMs = proactiveMarginMs(settings.proactiveMarginMs, token.state.lifetimeMs);
		const decision = decideProactiveRefresh({ expiry: token.state.expiry, nowMs: Date.now(), marginMs });
		if (decision.refresh) await refreshStep(ctx, selected, settings, progress, 'proactive', decision.timeLeftMs);
	}
}

/** The node's expiry rules plus the credential's own expired-status codes (n8n refreshes on them as well). */
function expiryRulesFor(rules: ExpiryRules, token: CredentialToken): ExpiryRules {
	const declared = credentialExpiryStatusCodes(token.data.tokenExpiredStatusCode);
	return declared.every((code) => rules.statusCodes.includes(code))
		? rules
		: { ...rules, statusCodes: [...new Set([...rules.statusCodes, ...declared])] };
}

/** A refreshed token cannot save a request whose body was a one-time stream: it was consumed by the first send. */
function notReplayable(
	selected: SelectedCredential,
	detail: string,
	statusCode: number,
	progress: RequestProgress,
): TokenGuardError {
	return new TokenGuardError(
		classificationFor(
			'access_token_rejected',
			selected.info.provider,
			`The API signalled an expired token (${detail}).`,
			statusCode,
		),
		'The access token had expired. It has been refreshed, but this request was not sent again: its body was a one-time stream (binary data) that cannot be replayed. Run the item again.',
		{ attempts: progress.attempts, waitedMs: progress.waitedMs },
	);
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
	const first = settings.tokens
		? await settings.tokens.get()
		: await readCredentialToken(ctx, selected, settings.itemIndex);
	const secrets = first.state.secrets;
	// Checked before any refresh: a URL the credential may not reach gets neither a token nor a refresh.
	const boundary = typedUrlBoundaryFor(ctx.getNode(), selected, first.data, request.url);
	const progress: RequestProgress = {
		token: first,
		steps: [],
		reason: 'not-needed',
		secrets,
		attempts: 0,
		waitedMs: 0,
	};
	await refreshBeforeSending(ctx, selected, settings, progress);

	const send = async (): Promise<ApiResponse> => {
		const result = await sendWithRetry(ctx, request, progress.token.accessToken, boundary, settings.policy, secrets);
		progress.attempts += result.attempts;
		progress.waitedMs += result.waitedMs;
		return result.response;
	};
	const rules = expiryRulesFor(settings.rules, progress.token);

	let response = await send();
	let verdict = detectExpirySignal(asResponseLike(response), rules);
	let rejectedAfterRefresh = false;
	const signal = verdict.expired ? verdict.via : undefined;
	if (verdict.expired) {
		await refreshStep(ctx, selected, settings, progress, 'expiry-signal', null);
		if (isSingleUseBody(request.body)) throw notReplayable(selected, verdict.detail, response.statusCode, progress);
		response = await send();
		verdict = detectExpirySignal(asResponseLike(response), rules);
		rejectedAfterRefresh = verdict.expired;
	}

	const { token, steps, reason, attempts, waitedMs } = progress;
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
