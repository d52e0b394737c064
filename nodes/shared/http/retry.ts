/**
 * When to try a token or API call again, and how long to wait first. The decisions are pure;
 * `runWithRetry` is the one loop that applies them, with sleep, clock and randomness injected.
 */
import { parseHttpDate } from '../oauth/clock';

export interface RetryPolicy {
	/** Attempts in total, including the first one. */
	maxAttempts: number;
	/**
	 * Upper bound on how long retrying may keep the caller waiting: the waits plus the time the failed
	 * attempts themselves took (a hung endpoint counts). A wait that would exceed it is not taken.
	 */
	maxTotalWaitMs: number;
	/** Per-attempt request timeout for adapters; without one, n8n's default is 300 s per request. */
	attemptTimeoutMs?: number;
	/** First backoff step; it doubles per attempt. */
	baseDelayMs: number;
	/** Cap on a single computed backoff (a server's Retry-After is bounded by maxTotalWaitMs only). */
	maxDelayMs: number;
}

/** A token endpoint or API that has not answered in 10 s is treated as down for that attempt. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Four attempts ride out a provider restart or a short throttle window (axios-auth-refresh also
 * stops after three retries) while staying well under Zoho's 10 refreshes per 10 minutes.
 * 30 s of waiting in total keeps a workflow execution from hanging on an outage: beyond that the
 * failure is reported as provider_unavailable / rate_limited and the error workflow takes over.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
	maxAttempts: 4,
	maxTotalWaitMs: 30_000,
	baseDelayMs: 500,
	maxDelayMs: 10_000,
	attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
});

/**
 * 408 timeout, 409/423 transient conflicts and locks, 425 too early, 429 throttled, and every 5xx
 * (docs/ARCHITECTURE.md#what-n8n-does).
 */
export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 409, 423, 425, 429]);

export const isRetryableStatus = (status: number | undefined): boolean =>
	typeof status === 'number' && (RETRYABLE_STATUS.has(status) || (status >= 500 && status <= 599));

/**
 * Failures of the connection, not answers from the server: a retry can reach a healthy instance.
 * ENOTFOUND is deliberately absent: getaddrinfo reports a definitive "no such host" with it (a typo
 * in the token URL stays a typo), while a temporarily failing resolver gives EAI_AGAIN.
 * TLS errors (EPROTO, certificate codes) are absent too: they are configuration, not weather.
 */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED', // axios: request timeout
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ENETDOWN',
	'EHOSTDOWN',
	'UND_ERR_SOCKET',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_HEADERS_TIMEOUT',
]);

export const isRetryableNetworkError = (code: string | undefined): boolean =>
	typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code.toUpperCase());

/**
 * Codes with which the server understood the request and refused it. Repeating the same refresh
 * token cannot change that answer, and with rotation, replaying a refused token is what makes an
 * authorization server revoke the whole grant (RFC 9700 §4.14). So these are never retried, even
 * when a misbehaving server pairs them with a 5xx or 429. Provider spellings are included
 * (GitHub bad_refresh_token, HubSpot BAD_REFRESH_TOKEN, Slack invalid_refresh_token, Zoho invalid_code).
 */
export const NEVER_RETRY_OAUTH_ERRORS: ReadonlySet<string> = new Set([
	'invalid_grant',
	'invalid_client',
	'unauthorized_client',
	'unsupported_grant_type',
	'invalid_scope',
	'invalid_request',
	'interaction_required',
	'consent_required',
	'login_required',
	'bad_refresh_token',
	'invalid_refresh_token',
	'invalid_code',
]);

/** OAuth codes that name a transient server condition (RFC 6749 §4.1.2.1), whatever the status. */
export const TRANSIENT_OAUTH_ERRORS: ReadonlySet<string> = new Set(['temporarily_unavailable', 'server_error']);

const normalizeOAuthError = (code: string | undefined): string | undefined => code?.trim().toLowerCase();

export const isNeverRetryOAuthError = (code: string | undefined): boolean => {
	const normalized = normalizeOAuthError(code);
	return normalized !== undefined && NEVER_RETRY_OAUTH_ERRORS.has(normalized);
};

/**
 * A Retry-After value (RFC 9110 §10.2.3: delay-seconds or HTTP-date) as a wait in ms.
 * A date in the past means "now" (0). Anything unparsable or negative is null.
 */
export function parseRetryAfter(value: string | string[] | number | undefined, nowMs: number): number | null {
	const raw = Array.isArray(value) ? value[0] : value;
	if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? Math.round(raw * 1000) : null;
	if (typeof raw !== 'string') return null;
	const text = raw.trim();
	if (text === '') return null;
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const dateMs = parseHttpDate(text);
	return dateMs === null ? null : Math.max(0, dateMs - nowMs);
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half is random. The fixed half
 * guarantees the provider gets some time to recover; the random half spreads callers that failed
 * together. `attempt` is the number of attempts already made (1-based).
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
	const exponent = Math.max(0, Math.floor(attempt) - 1);
	const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
	const unit = Math.min(Math.max(random(), 0), 1);
	return Math.round(step / 2 + (step / 2) * unit);
}

export interface AttemptSuccess<T> {
	kind: 'success';
	value: T;
}

export interface AttemptFailure {
	kind: 'failure';
	status?: number;
	networkCode?: string;
	oauthError?: string;
	retryAfter?: string | string[];
	error: unknown;
}

export type AttemptOutcome<T> = AttemptSuccess<T> | AttemptFailure;

export type RetryDecision =
	{ retry: true; delayMs: number } | { retry: false; reason: 'not_retryable' | 'max_attempts' | 'max_total_wait' };

/** Whether the failure is the kind that waiting can fix. An explicit refusal code always wins. */
export function isRetryableFailure(failure: AttemptFailure): boolean {
	if (isNeverRetryOAuthError(failure.oauthError)) return false;
	if (isRetryableStatus(failure.status)) return true;
	if (isRetryableNetworkError(failure.networkCode)) return true;
	const oauthError = normalizeOAuthError(failure.oauthError);
	return oauthError !== undefined && TRANSIENT_OAUTH_ERRORS.has(oauthError);
}

export function decideRetry(input: {
	outcome: AttemptFailure;
	attempt: number;
	waitedMs: number;
	policy: RetryPolicy;
	nowMs: number;
	random: () => number;
}): RetryDecision {
	const { outcome, attempt, waitedMs, policy, nowMs, random } = input;
	if (!isRetryableFailure(outcome)) return { retry: false, reason: 'not_retryable' };
	if (attempt >= policy.maxAttempts) return { retry: false, reason: 'max_attempts' };

	const remainingMs = policy.maxTotalWaitMs - waitedMs;
	const retryAfterMs = parseRetryAfter(outcome.retryAfter, nowMs);
	if (retryAfterMs !== null) {
		// The server said how long; retrying sooner would be refused again, so no shortcut.
		return retryAfterMs <= remainingMs
			? { retry: true, delayMs: retryAfterMs }
			: { retry: false, reason: 'max_total_wait' };
	}
	if (remainingMs <= 0) return { retry: false, reason: 'max_total_wait' };
	return { retry: true, delayMs: Math.min(backoffDelayMs(attempt, policy, random), remainingMs) };
}

export interface RetryDeps {
	sleep: (ms: number) => Promise<void>;
	now: () => number;
	random: () => number;
}

export interface RetryRun<T> {
	outcome: AttemptOutcome<T>;
	attempts: number;
	waitedMs: number;
}

/**
 * Runs `attempt(1)`, `attempt(2)`, … until success or a decision not to retry, and returns the last
 * outcome. `waitedMs` is the sum of the waits it asked `sleep` for; the policy's total-wait cap is
 * checked against the larger of that and the time elapsed since the first attempt started.
 */
export async function runWithRetry<T>(
	attempt: (n: number) => Promise<AttemptOutcome<T>>,
	policy: RetryPolicy,
	deps: RetryDeps,
): Promise<RetryRun<T>> {
	let waitedMs = 0;
	const startedAtMs = deps.now();
	for (let n = 1; ; n++) {
		const outcome = await attempt(n);
		if (outcome.kind === 'success') return { outcome, attempts: n, waitedMs };
		const nowMs = deps.now();
		const spentMs = Math.max(waitedMs, nowMs - startedAtMs);
		const decision = decideRetry({ outcome, attempt: n, waitedMs: spentMs, policy, nowMs, random: deps.random });
		if (!decision.retry) return { outcome, attempts: n, waitedMs };
		await deps.sleep(decision.delayMs);
		waitedMs += decision.delayMs;
	}
}

/** A wait or a timeout for a message, to a tenth of a second: "2.5 s". */
export const secondsText = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
