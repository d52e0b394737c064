import {
	type AttemptFailure,
	type AttemptOutcome,
	backoffDelayMs,
	decideRetry,
	DEFAULT_RETRY_POLICY,
	isRetryableNetworkError,
	isRetryableStatus,
	parseRetryAfter,
	type RetryPolicy,
	runWithRetry,
} from '../../nodes/shared/http/retry';

const NOW = Date.UTC(2015, 9, 21, 7, 28, 0); // Wed, 21 Oct 2015 07:28:00 GMT
const policy: RetryPolicy = { maxAttempts: 4, maxTotalWaitMs: 30_000, baseDelayMs: 500, maxDelayMs: 10_000 };
const failure = (fields: Partial<AttemptFailure>): AttemptFailure => ({
	kind: 'failure',
	error: new Error('x'),
	...fields,
});

describe('isRetryableStatus', () => {
	it.each([
		[408, true],
		[409, true],
		[423, true],
		[425, true],
		[429, true],
		[500, true],
		[502, true],
		[503, true],
		[504, true],
		[599, true],
		[200, false],
		[400, false],
		[401, false],
		[403, false],
		[404, false],
		[422, false],
		[600, false],
		[undefined, false],
	])('%p → %p', (status, expected) => {
		expect(isRetryableStatus(status)).toBe(expected);
	});
});

describe('isRetryableNetworkError', () => {
	it.each([
		['ECONNRESET', true],
		['ECONNREFUSED', true],
		['ETIMEDOUT', true],
		['ESOCKETTIMEDOUT', true],
		['ECONNABORTED', true],
		['EAI_AGAIN', true],
		['EPIPE', true],
		['EHOSTUNREACH', true],
		['econnreset', true],
		['ENOTFOUND', false],
		['EPROTO', false],
		['CERT_HAS_EXPIRED', false],
		['ERR_CANCELED', false],
		[undefined, false],
	])('%p → %p', (code, expected) => {
		expect(isRetryableNetworkError(code)).toBe(expected);
	});
});

describe('parseRetryAfter', () => {
	it.each<[string, string | string[] | number | undefined, number | null]>([
		['delay-seconds', '2', 2000],
		['delay-seconds with spaces', ' 120 ', 120_000],
		['zero', '0', 0],
		['number', 3, 3000],
		['fractional seconds (lenient)', '1.5', 1500],
		['array takes the first', ['7', '9'], 7000],
		['HTTP-date 10 s ahead', 'Wed, 21 Oct 2015 07:28:10 GMT', 10_000],
		['HTTP-date in the past is never negative', 'Wed, 21 Oct 2015 07:27:00 GMT', 0],
		['negative seconds', '-5', null],
		['negative number', -5, null],
		['NaN', Number.NaN, null],
		['garbage', 'soon', null],
		['empty', '', null],
		['missing', undefined, null],
	])('%s', (_name, value, expected) => {
		expect(parseRetryAfter(value, NOW)).toBe(expected);
	});
});

describe('backoffDelayMs (equal jitter)', () => {
	it.each([
		// attempt, random, expected: step = min(10 000, 500·2^(attempt-1)); delay = step/2 + step/2·random
		[1, 0, 250],
		[1, 1, 500],
		[2, 0.5, 750],
		[3, 0, 1000],
		[4, 1, 4000],
		[6, 0, 5000], // step capped at 10 000
		[10, 1, 10_000],
		[1, 7, 500], // out-of-range randomness is clamped
		[1, -3, 250],
	])('attempt %p, random %p → %p ms', (attempt, random, expected) => {
		expect(backoffDelayMs(attempt, policy, () => random)).toBe(expected);
	});
});

describe('decideRetry', () => {
	const decide = (outcome: AttemptFailure, attempt = 1, waitedMs = 0) =>
		decideRetry({ outcome, attempt, waitedMs, policy, nowMs: NOW, random: () => 0 });

	it.each<[string, AttemptFailure, number, number, ReturnType<typeof decideRetry>]>([
		['503 → backoff', failure({ status: 503 }), 1, 0, { retry: true, delayMs: 250 }],
		[
			'429 with Retry-After 2 → exactly 2 s',
			failure({ status: 429, retryAfter: '2' }),
			1,
			0,
			{ retry: true, delayMs: 2000 },
		],
		[
			'Retry-After beats a shorter backoff',
			failure({ status: 503, retryAfter: '12' }),
			1,
			0,
			{ retry: true, delayMs: 12_000 },
		],
		[
			'Retry-After as HTTP-date',
			failure({ status: 429, retryAfter: 'Wed, 21 Oct 2015 07:28:05 GMT' }),
			1,
			0,
			{ retry: true, delayMs: 5000 },
		],
		[
			'Retry-After beyond the total-wait cap → stop',
			failure({ status: 429, retryAfter: '31' }),
			1,
			0,
			{ retry: false, reason: 'max_total_wait' },
		],
		[
			'Retry-After that just fits the remaining budget',
			failure({ status: 429, retryAfter: '10' }),
			2,
			20_000,
			{ retry: true, delayMs: 10_000 },
		],
		[
			'Retry-After one ms over the remaining budget',
			failure({ status: 429, retryAfter: '10.001' }),
			2,
			20_000,
			{ retry: false, reason: 'max_total_wait' },
		],
		[
			'unparsable Retry-After falls back to backoff',
			failure({ status: 503, retryAfter: 'later' }),
			2,
			0,
			{ retry: true, delayMs: 500 },
		],
		['backoff is clamped to the remaining budget', failure({ status: 502 }), 3, 29_900, { retry: true, delayMs: 100 }],
		['budget exhausted', failure({ status: 502 }), 2, 30_000, { retry: false, reason: 'max_total_wait' }],
		['max attempts reached', failure({ status: 503 }), 4, 0, { retry: false, reason: 'max_attempts' }],
		['network reset → retry', failure({ networkCode: 'ECONNRESET' }), 1, 0, { retry: true, delayMs: 250 }],
		['DNS NXDOMAIN → no retry', failure({ networkCode: 'ENOTFOUND' }), 1, 0, { retry: false, reason: 'not_retryable' }],
		[
			'400 invalid_grant → no retry',
			failure({ status: 400, oauthError: 'invalid_grant' }),
			1,
			0,
			{ retry: false, reason: 'not_retryable' },
		],
		[
			'invalid_grant even with 503',
			failure({ status: 503, oauthError: 'invalid_grant' }),
			1,
			0,
			{ retry: false, reason: 'not_retryable' },
		],
		[
			'invalid_client even with 429 + Retry-After',
			failure({ status: 429, oauthError: 'invalid_client', retryAfter: '1' }),
			1,
			0,
			{ retry: false, reason: 'not_retryable' },
		],
		[
			'HubSpot BAD_REFRESH_TOKEN with 500',
			failure({ status: 500, oauthError: 'BAD_REFRESH_TOKEN' }),
			1,
			0,
			{ retry: false, reason: 'not_retryable' },
		],
		[
			'429 with a throttling error code is still retried',
			failure({ status: 429, oauthError: 'rate_limit_exceeded' }),
			1,
			0,
			{ retry: true, delayMs: 250 },
		],
		[
			'temporarily_unavailable with 400 → retry',
			failure({ status: 400, oauthError: 'temporarily_unavailable' }),
			1,
			0,
			{ retry: true, delayMs: 250 },
		],
		['401 → no retry', failure({ status: 401 }), 1, 0, { retry: false, reason: 'not_retryable' }],
		[
			'200 with an error body (GitHub) → no retry',
			failure({ status: 200, oauthError: 'bad_refresh_token' }),
			1,
			0,
			{ retry: false, reason: 'not_retryable' },
		],
		['nothing known about the failure → no retry', failure({}), 1, 0, { retry: false, reason: 'not_retryable' }],
	])('%s', (_name, outcome, attempt, waitedMs, expected) => {
		expect(decide(outcome, attempt, waitedMs)).toEqual(expected);
	});
});

describe('runWithRetry', () => {
	const fakeDeps = () => {
		const delays: number[] = [];
		return {
			delays,
			deps: {
				sleep: async (ms: number) => {
					delays.push(ms);
				},
				now: () => NOW,
				random: () => 1,
			},
		};
	};
	const scripted = (outcomes: Array<AttemptOutcome<string>>) => {
		const calls: number[] = [];
		const attempt = async (n: number) => {
			calls.push(n);
			return outcomes[Math.min(n, outcomes.length) - 1];
		};
		return { calls, attempt };
	};
	const ok = (value: string): AttemptOutcome<string> => ({ kind: 'success', value });

	it.each<
		[string, Array<AttemptOutcome<string>>, { kind: string; attempts: number; waitedMs: number; delays: number[] }]
	>([
		['success first time', [ok('a')], { kind: 'success', attempts: 1, waitedMs: 0, delays: [] }],
		[
			'503 then success',
			[failure({ status: 503 }), ok('a')],
			{ kind: 'success', attempts: 2, waitedMs: 500, delays: [500] },
		],
		[
			'429 Retry-After 2 then success',
			[failure({ status: 429, retryAfter: '2' }), ok('a')],
			{ kind: 'success', attempts: 2, waitedMs: 2000, delays: [2000] },
		],
		[
			'invalid_grant stops at once',
			[failure({ status: 400, oauthError: 'invalid_grant' })],
			{ kind: 'failure', attempts: 1, waitedMs: 0, delays: [] },
		],
		[
			'503 forever stops at maxAttempts',
			[failure({ status: 503 })],
			{ kind: 'failure', attempts: 4, waitedMs: 3500, delays: [500, 1000, 2000] },
		],
		[
			'Retry-After 20 twice stops at the wait cap',
			[failure({ status: 429, retryAfter: '20' })],
			{ kind: 'failure', attempts: 2, waitedMs: 20_000, delays: [20_000] },
		],
	])('%s', async (_name, outcomes, expected) => {
		const { delays, deps } = fakeDeps();
		const { calls, attempt } = scripted(outcomes);
		const run = await runWithRetry(attempt, policy, deps);
		expect({ kind: run.outcome.kind, attempts: run.attempts, waitedMs: run.waitedMs, delays }).toEqual(expected);
		expect(calls).toEqual(Array.from({ length: expected.attempts }, (_, i) => i + 1));
	});

	it('returns the last failure outcome unchanged', async () => {
		const last = failure({ status: 400, oauthError: 'invalid_grant' });
		const { deps } = fakeDeps();
		const run = await runWithRetry(async () => last, policy, deps);
		expect(run.outcome).toBe(last);
	});

	it('default policy: 4 attempts, 30 s total wait, 500 ms base, 10 s max delay, 10 s per attempt', () => {
		expect(DEFAULT_RETRY_POLICY).toEqual({
			maxAttempts: 4,
			maxTotalWaitMs: 30_000,
			baseDelayMs: 500,
			maxDelayMs: 10_000,
			attemptTimeoutMs: 10_000,
		});
	});

	it('time spent inside failed attempts counts against the total-wait cap (a hung endpoint stops early)', async () => {
		let clock = 0;
		const sleeps: number[] = [];
		const run = await runWithRetry(
			async () => {
				clock += 12_000; // each attempt hangs until a 12 s timeout
				return { kind: 'failure', networkCode: 'ECONNABORTED', error: new Error('timeout') };
			},
			{ maxAttempts: 10, maxTotalWaitMs: 30_000, baseDelayMs: 500, maxDelayMs: 10_000 },
			{
				now: () => clock,
				random: () => 0,
				sleep: async (ms) => {
					sleeps.push(ms);
					clock += ms;
				},
			},
		);
		expect(run.attempts).toBe(3);
		expect(clock).toBeLessThanOrEqual(30_000 + 12_000);
		expect(run.waitedMs).toBe(sleeps.reduce((sum, ms) => sum + ms, 0));
	});
});
