/**
 * The one place the manual refresh-token credential family performs a refresh (docs/ARCHITECTURE.md#credential-families, family 2):
 * the credential's preAuthentication hook and the nodes both come through here. n8n provides no
 * lock on that path, so refreshes of the same refresh token share one in-flight request.
 */
import type { IHttpRequestOptions } from 'n8n-workflow';

import { classify, classifyTokenEndpointFailure } from '../classify/classifier';
import { TokenGuardError } from '../errors/errors';
import type { RefreshGrantConfig, TokenEndpointFailure, TokenSet } from '../oauth/refreshGrant';
import { redactedSnippet, redactText } from '../security/redact';
import { networkCodeOf, readHeader } from '../errors/facts';
import { buildRefreshRequest, parseTokenResponse } from '../oauth/refreshGrant';
import type { AttemptOutcome, RetryPolicy } from '../http/retry';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_POLICY, runWithRetry, secondsText } from '../http/retry';
import { RecentMemory } from './recentMemory';
import { SingleFlight, singleFlightKey } from './singleFlight';
import type { Category, Classification, HttpHeaders, HttpResponseLike } from '../types';

export type HttpRequestFunction = (options: IHttpRequestOptions) => Promise<unknown>;

export interface RefreshOptions {
	policy?: RetryPolicy;
	now?: () => number;
	/** How to wait between attempts: n8n's `sleep` in the credential, a recorder in tests. */
	sleep: (ms: number) => Promise<void>;
	random?: () => number;
}

export interface RefreshOutcome {
	tokens: TokenSet;
	attempts: number;
	waitedMs: number;
	/** True when this caller joined a refresh another caller had already started. */
	shared: boolean;
}

type NetworkFailure = { kind: 'network'; code: string };
/** The request threw without a connection error code: it never reached the token endpoint. */
type RequestFailure = { kind: 'request'; message: string };
type RefreshFailure = TokenEndpointFailure | NetworkFailure | RequestFailure;

const inFlightRefreshes = new SingleFlight<Omit<RefreshOutcome, 'shared'>>();

/**
 * How long a finished refresh is remembered under the refresh token it consumed. A caller that read
 * the credential just before n8n persisted the rotated token still holds the consumed one; sending it
 * again is a reuse that providers with reuse detection (Box, Atlassian, RFC 9700) punish by revoking
 * the whole grant. Within this window such a caller gets the result the first caller received.
 */
export const ROTATION_MEMORY_MS = 60_000;
const recentRefreshes = new RecentMemory<Omit<RefreshOutcome, 'shared'>>({
	maxEntries: 1000,
	ttlMs: ROTATION_MEMORY_MS,
});

/** A remembered result only helps while its access token is still usable. */
const stillUsable =
	(nowMs: number) =>
	(result: Omit<RefreshOutcome, 'shared'>): boolean =>
		result.tokens.expiresAtMs === null || result.tokens.expiresAtMs > nowMs;

/** Forgets remembered refreshes (tests, and a user who explicitly wants a brand-new exchange). */
export function forgetRecentRefreshes(): void {
	recentRefreshes.clear();
}

/**
 * Everything that changes the token endpoint's answer, hashed: a caller whose client secret, scope,
 * audience or extra parameters differ must never be handed another caller's tokens.
 */
export function refreshGrantKey(config: RefreshGrantConfig): string {
	const extraParams = Object.entries(config.extraParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return singleFlightKey(
		config.tokenUrl,
		config.clientId,
		config.clientSecret ?? '',
		config.clientAuth,
		config.refreshToken,
		config.scope ?? '',
		config.audience ?? '',
		JSON.stringify(extraParams),
	);
}

/**
 * Exchanges the refresh token for new tokens, retrying transient failures per `policy`.
 * Concurrent calls with the same grant (refreshGrantKey) share one exchange.
 * Throws TokenGuardError (classified, secret-free message) when the endpoint finally refuses, stays
 * unreachable or the request cannot be sent; every caller of a shared exchange receives the same
 * error object.
 */
export async function performRefreshGrant(
	httpRequest: HttpRequestFunction,
	config: RefreshGrantConfig,
	options: RefreshOptions,
): Promise<RefreshOutcome> {
	const now = options.now ?? (() => Date.now());
	const key = refreshGrantKey(config);
	const nowMs = now();
	const remembered = recentRefreshes.get(key, nowMs, stillUsable(nowMs));
	if (remembered) return { ...remembered, attempts: 0, waitedMs: 0, shared: true };

	let startedHere = false;
	const result = await inFlightRefreshes.run(key, async () => {
		startedHere = true;
		const fresh = await refreshWithRetry(httpRequest, config, options);
		recentRefreshes.set(key, fresh, now());
		return fresh;
	});
	return { ...result, shared: !startedHere };
}

async function refreshWithRetry(
	httpRequest: HttpRequestFunction,
	config: RefreshGrantConfig,
	options: RefreshOptions,
): Promise<Omit<RefreshOutcome, 'shared'>> {
	const now = options.now ?? (() => Date.now());
	const policy = options.policy ?? DEFAULT_RETRY_POLICY;
	const request = buildRefreshRequest(config);

	const attempt = async (): Promise<AttemptOutcome<TokenSet>> => {
		let response: HttpResponseLike;
		try {
			response = toHttpResponse(
				await httpRequest({
					method: request.method,
					url: request.url,
					headers: request.headers,
					body: request.body,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					json: false,
					timeout: policy.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
				}),
			);
		} catch (error) {
			// Returned, not thrown: the failure is classified once, after the retry loop, like any other.
			return requestFailure(error);
		}
		const parsed = parseTokenResponse(response, { previousRefreshToken: config.refreshToken, nowMs: now() });
		if (parsed.ok) return { kind: 'success', value: parsed.value };
		const retryAfter = readHeader(response.headers, 'retry-after');
		return {
			kind: 'failure',
			status: response.status,
			...(parsed.error.oauthError === undefined ? {} : { oauthError: parsed.error.oauthError }),
			...(retryAfter === undefined ? {} : { retryAfter }),
			error: parsed.error,
		};
	};

	const run = await runWithRetry(attempt, policy, {
		sleep: options.sleep,
		now,
		random: options.random ?? Math.random,
	});
	const stats = { attempts: run.attempts, waitedMs: run.waitedMs };
	if (run.outcome.kind === 'success') return { tokens: run.outcome.value, ...stats };

	const knownSecrets = [config.refreshToken, config.clientSecret ?? ''];
	const failure = run.outcome.error as RefreshFailure;
	const classification =
		failure.kind === 'request'
			? classify({
					messages: [redactText(failure.message, knownSecrets)],
					url: config.tokenUrl,
					phase: 'token_endpoint',
				})
			: classifyTokenEndpointFailure(failure, config.tokenUrl);
	throw new TokenGuardError(classification, refreshFailureMessage(classification, failure, stats, knownSecrets), stats);
}

/**
 * A thrown request: a connection failure (system/axios code, retryable per retry.ts), or an error
 * raised before anything was sent (n8n's allowed-domain check, an invalid URL), which is not retried.
 */
function requestFailure(error: unknown): AttemptOutcome<TokenSet> {
	const code = networkCodeOf(error);
	if (code !== undefined) {
		const failure: NetworkFailure = { kind: 'network', code };
		return { kind: 'failure', networkCode: code, error: failure };
	}
	const message = error instanceof Error ? error.message : String(error);
	const failure: RequestFailure = { kind: 'request', message };
	return { kind: 'failure', error: failure };
}

/** n8n's full response ({ body, headers, statusCode }) as the engine's HttpResponseLike. */
function toHttpResponse(raw: unknown): HttpResponseLike {
	if (typeof raw === 'object' && raw !== null) {
		const full = raw as { statusCode?: unknown; status?: unknown; headers?: unknown; body?: unknown };
		const status = typeof full.statusCode === 'number' ? full.statusCode : full.status;
		if (typeof status === 'number') {
			const headers = typeof full.headers === 'object' && full.headers !== null ? (full.headers as HttpHeaders) : {};
			return { status, headers, body: full.body };
		}
	}
	// A helper that ignored returnFullResponse handed back the bare body of a successful call.
	return { status: 200, headers: {}, body: raw };
}

const HEADLINES: Record<Category, string> = {
	refresh_token_invalid: 'Token endpoint rejected the refresh token',
	refresh_token_missing: 'Token endpoint needs a refresh token and none was sent',
	not_connected: 'The credential is not connected',
	consent_required: 'Token endpoint requires the user to sign in or consent again',
	scope_insufficient: 'Token endpoint rejected the requested scope',
	client_misconfigured: 'Token endpoint rejected the client configuration',
	access_token_rejected: 'The refreshed access token was rejected',
	clock_skew: 'Token endpoint rejected the request because of a clock difference',
	rate_limited: 'Token endpoint is rate limiting refreshes',
	provider_unavailable: 'Token endpoint is unavailable',
	model_api_key: 'The API key was rejected',
	not_auth_related: 'Token refresh failed',
};

const ADVICE: Record<Category, string> = {
	refresh_token_invalid: 'the grant was revoked, expired or rotated away. Reconnect the credential.',
	refresh_token_missing: 'reconnect the credential so the provider issues a refresh token (offline access).',
	not_connected: 'connect the credential first.',
	consent_required: 'reconnect the credential and complete the sign-in or consent prompt.',
	scope_insufficient: 'remove the scope setting or request only scopes that were originally granted.',
	client_misconfigured: 'check the token URL, client ID, client secret and client authentication method.',
	access_token_rejected: 'refresh again, and check that the token is meant for this API.',
	clock_skew: "check this server's clock (NTP).",
	rate_limited: 'try again later.',
	provider_unavailable: 'try again later.',
	model_api_key: 'check the API key.',
	not_auth_related: 'check the token URL and what the token endpoint answers.',
};

/** One plain message naming the category and the evidence; never a secret. */
function refreshFailureMessage(
	classification: Classification,
	failure: RefreshFailure,
	stats: { attempts: number; waitedMs: number },
	knownSecrets: string[],
): string {
	const evidence =
		failure.kind === 'network'
			? [failure.code]
			: failure.kind === 'request'
				? [`request not sent: ${redactedSnippet(failure.message, knownSecrets, 200)}`]
				: [
						failure.oauthError,
						`HTTP ${failure.status}`,
						failure.kind === 'html_body' ? 'HTML body' : undefined,
						failure.kind === 'non_json_body' ? 'non-JSON body' : undefined,
						failure.kind === 'missing_access_token' ? 'no access_token in the answer' : undefined,
						failure.status >= 300 && failure.status < 400
							? 'a redirect, which is not followed: set the Token URL to the final address'
							: undefined,
					];
	const evidenceText = evidence.filter((part): part is string => part !== undefined).join(', ');
	const attemptsText =
		stats.attempts > 1 ? ` after ${stats.attempts} attempts over ${secondsText(stats.waitedMs)}` : '';
	const description =
		'errorDescription' in failure && failure.errorDescription !== undefined
			? ` Provider said: "${redactText(failure.errorDescription, knownSecrets)}"`
			: '';
	const advice = ADVICE[classification.category];
	return redactText(
		`${HEADLINES[classification.category]} (${evidenceText})${attemptsText}: ${advice}${description}`,
		knownSecrets,
	);
}
