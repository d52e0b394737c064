import type { IHttpRequestOptions } from 'n8n-workflow';

import { isTokenGuardError, TokenGuardError } from '../../nodes/shared/errors/errors';
import { performRefreshGrant, ROTATION_MEMORY_MS, type RefreshOptions } from '../../nodes/shared/refresh/manualGrant';
import type { RefreshGrantConfig } from '../../nodes/shared/oauth/refreshGrant';
import type { RetryPolicy } from '../../nodes/shared/http/retry';

const SECRET = 'client-secret-CANARY-4b1f9e2a';
const NOW = 1_735_689_600_000;
const policy: RetryPolicy = { maxAttempts: 4, maxTotalWaitMs: 30_000, baseDelayMs: 500, maxDelayMs: 10_000 };

let tokenCounter = 0;
/** A fresh refresh token per test: the adapter's single-flight map is module-wide. */
const configFor = (overrides: Partial<RefreshGrantConfig> = {}): RefreshGrantConfig => ({
	tokenUrl: 'http://127.0.0.1:9/token',
	clientId: 'client-1',
	clientSecret: SECRET,
	clientAuth: 'body',
	refreshToken: `refresh-CANARY-${++tokenCounter}-8c2d7e`,
	...overrides,
});

type FakeAnswer = { statusCode: number; headers?: Record<string, string>; body?: unknown } | { throws: unknown };

/** Answers scripted per call (the last one repeats); records every request and every sleep. */
function fakeEndpoint(answers: FakeAnswer[], gate?: Promise<void>) {
	const requests: IHttpRequestOptions[] = [];
	const sleeps: number[] = [];
	const httpRequest = async (options: IHttpRequestOptions) => {
		requests.push(options);
		if (gate) await gate;
		const answer = answers[Math.min(requests.length, answers.length) - 1];
		if ('throws' in answer) throw answer.throws;
		return { headers: {}, ...answer, statusMessage: '' };
	};
	const options: RefreshOptions = {
		policy,
		now: () => NOW,
		random: () => 0,
		sleep: async (ms: number) => {
			sleeps.push(ms);
		},
	};
	return { requests, sleeps, httpRequest, options };
}

const json = { 'content-type': 'application/json' };
const tokenAnswer = (body: Record<string, unknown> = {}): FakeAnswer => ({
	statusCode: 200,
	headers: json,
	body: { access_token: 'access-new', token_type: 'Bearer', expires_in: 3600, ...body },
});
const networkError = (code: string, wrapped = false) =>
	wrapped
		? Object.assign(new Error('socket hang up'), { cause: { code } })
		: Object.assign(new Error(`connect ${code}`), { code });

const rejectionOf = async (promise: Promise<unknown>): Promise<TokenGuardError> => {
	try {
		await promise;
	} catch (error) {
		if (isTokenGuardError(error)) return error;
		throw error;
	}
	throw new Error('expected a rejection');
};

describe('performRefreshGrant', () => {
	it('sends the grant through n8n with full-response, no-throw, raw-body options', async () => {
		const endpoint = fakeEndpoint([tokenAnswer()]);
		const config = configFor();
		await performRefreshGrant(endpoint.httpRequest, config, endpoint.options);
		expect(endpoint.requests).toHaveLength(1);
		const [request] = endpoint.requests;
		expect(request).toMatchObject({
			method: 'POST',
			url: 'http://127.0.0.1:9/token',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			json: false,
			headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
		});
		expect(Object.fromEntries(new URLSearchParams(request.body as string))).toEqual({
			grant_type: 'refresh_token',
			refresh_token: config.refreshToken,
			client_id: 'client-1',
			client_secret: SECRET,
		});
	});

	it('returns the new tokens, keeping a rotated refresh token', async () => {
		const endpoint = fakeEndpoint([tokenAnswer({ refresh_token: 'rotated-1' })]);
		const outcome = await performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options);
		expect(outcome).toEqual({
			tokens: {
				accessToken: 'access-new',
				refreshToken: 'rotated-1',
				refreshTokenRotated: true,
				tokenType: 'Bearer',
				expiresAtMs: NOW + 3_600_000,
				expiresInSeconds: 3600,
			},
			attempts: 1,
			waitedMs: 0,
			shared: false,
		});
	});

	it('50 concurrent calls for one refresh token make 1 request and share its result', async () => {
		let open!: () => void;
		const endpoint = fakeEndpoint(
			[tokenAnswer({ refresh_token: 'rotated-2' })],
			new Promise<void>((resolve) => (open = resolve)),
		);
		const config = configFor();
		const calls = Array.from({ length: 50 }, () => performRefreshGrant(endpoint.httpRequest, config, endpoint.options));
		open();
		const outcomes = await Promise.all(calls);
		expect(endpoint.requests).toHaveLength(1);
		expect(outcomes.filter((outcome) => !outcome.shared)).toHaveLength(1);
		expect(outcomes.filter((outcome) => outcome.shared)).toHaveLength(49);
		expect(new Set(outcomes.map((outcome) => outcome.tokens.refreshToken))).toEqual(new Set(['rotated-2']));
	});

	it('a late caller still holding the consumed refresh token gets the remembered result, not a second exchange', async () => {
		const endpoint = fakeEndpoint([tokenAnswer({ refresh_token: 'rotated-late' })]);
		const config = configFor();
		const first = await performRefreshGrant(endpoint.httpRequest, config, endpoint.options);
		const late = await performRefreshGrant(endpoint.httpRequest, config, endpoint.options);
		expect(endpoint.requests).toHaveLength(1);
		expect(first.shared).toBe(false);
		expect(late).toMatchObject({ shared: true, attempts: 0 });
		expect(late.tokens.refreshToken).toBe('rotated-late');
	});

	it.each([
		['after the memory window', ROTATION_MEMORY_MS, 3600],
		['once the remembered access token has expired', 1_000, 1],
	])('the remembered result is dropped %s', async (_label, laterByMs, expiresIn) => {
		const endpoint = fakeEndpoint([tokenAnswer({ expires_in: expiresIn })]);
		const config = configFor();
		await performRefreshGrant(endpoint.httpRequest, config, endpoint.options);
		await performRefreshGrant(endpoint.httpRequest, config, { ...endpoint.options, now: () => NOW + laterByMs });
		expect(endpoint.requests).toHaveLength(2);
	});

	it.each<[string, Partial<RefreshGrantConfig>]>([
		['a wrong client secret', { clientSecret: 'wrong-secret-CANARY' }],
		['another client authentication', { clientAuth: 'basic' }],
		['another token URL', { tokenUrl: 'http://127.0.0.1:9/other-token' }],
		['another scope', { scope: 'admin' }],
		['another audience', { audience: 'https://other.example' }],
		['other extra parameters', { extraParams: { resource: 'https://other.example' } }],
	])('a caller with %s never receives the tokens remembered for the same refresh token', async (_label, difference) => {
		const endpoint = fakeEndpoint([
			tokenAnswer({ refresh_token: 'rotated-for-the-right-client' }),
			{ statusCode: 401, headers: json, body: { error: 'invalid_client' } },
		]);
		const config = configFor();
		await performRefreshGrant(endpoint.httpRequest, config, endpoint.options);
		const impostor = await rejectionOf(
			performRefreshGrant(endpoint.httpRequest, { ...config, ...difference }, endpoint.options),
		);
		expect(endpoint.requests).toHaveLength(2);
		expect(impostor.classification.category).toBe('client_misconfigured');
	});

	it('different refresh tokens are not merged', async () => {
		const endpoint = fakeEndpoint([tokenAnswer()]);
		await Promise.all([
			performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options),
			performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options),
		]);
		expect(endpoint.requests).toHaveLength(2);
	});

	it('a failed shared refresh rejects all 50 callers with the same TokenGuardError, then frees the key', async () => {
		let open!: () => void;
		const endpoint = fakeEndpoint(
			[
				{
					statusCode: 400,
					headers: json,
					body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
				},
			],
			new Promise<void>((resolve) => (open = resolve)),
		);
		const config = configFor();
		const calls = Array.from({ length: 50 }, () => performRefreshGrant(endpoint.httpRequest, config, endpoint.options));
		open();
		const settled = await Promise.allSettled(calls);
		const reasons = settled.map((result) => (result.status === 'rejected' ? result.reason : undefined));
		expect(reasons[0]).toBeInstanceOf(TokenGuardError);
		expect(reasons.every((reason) => reason === reasons[0])).toBe(true);
		expect(endpoint.requests).toHaveLength(1);

		await expect(performRefreshGrant(endpoint.httpRequest, config, endpoint.options)).rejects.toBeInstanceOf(
			TokenGuardError,
		);
		expect(endpoint.requests).toHaveLength(2);
	});

	it.each<[string, FakeAnswer[], { attempts: number; sleeps: number[] }]>([
		[
			'503 then success',
			[{ statusCode: 503, body: 'Service Unavailable' }, tokenAnswer()],
			{ attempts: 2, sleeps: [250] },
		],
		[
			'429 Retry-After 2 then success',
			[{ statusCode: 429, headers: { 'retry-after': '2' } }, tokenAnswer()],
			{ attempts: 2, sleeps: [2000] },
		],
		[
			'ECONNRESET then success',
			[{ throws: networkError('ECONNRESET') }, tokenAnswer()],
			{ attempts: 2, sleeps: [250] },
		],
		[
			'wrapped ETIMEDOUT (cause.code) then success',
			[{ throws: networkError('ETIMEDOUT', true) }, tokenAnswer()],
			{ attempts: 2, sleeps: [250] },
		],
		[
			'HTML 502, 504, then success',
			[
				{ statusCode: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad Gateway</h1>' },
				{ statusCode: 504 },
				tokenAnswer(),
			],
			{ attempts: 3, sleeps: [250, 500] },
		],
	])('retries transient failures: %s', async (_name, answers, expected) => {
		const endpoint = fakeEndpoint(answers);
		const outcome = await performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options);
		expect(outcome.tokens.accessToken).toBe('access-new');
		expect(outcome.attempts).toBe(expected.attempts);
		expect(endpoint.requests).toHaveLength(expected.attempts);
		expect(endpoint.sleeps).toEqual(expected.sleeps);
		expect(outcome.waitedMs).toBe(expected.sleeps.reduce((sum, ms) => sum + ms, 0));
	});

	it.each<[string, FakeAnswer[], { category: string; attempts: number; waitedMs: number; message: RegExp }]>([
		[
			'invalid_grant: one attempt, reconnect',
			[{ statusCode: 400, headers: json, body: { error: 'invalid_grant' } }],
			{
				category: 'refresh_token_invalid',
				attempts: 1,
				waitedMs: 0,
				message: /refresh token \(invalid_grant, HTTP 400\).*Reconnect the credential/,
			},
		],
		[
			'invalid_client: one attempt, fix the client',
			[{ statusCode: 401, headers: json, body: { error: 'invalid_client' } }],
			{
				category: 'client_misconfigured',
				attempts: 1,
				waitedMs: 0,
				message: /client configuration \(invalid_client, HTTP 401\)/,
			},
		],
		[
			'503 on every attempt: gives up after 4',
			[{ statusCode: 503 }],
			{
				category: 'provider_unavailable',
				attempts: 4,
				waitedMs: 1750,
				message: /unavailable \(HTTP 503\) after 4 attempts over 1\.8 s: try again later/,
			},
		],
		[
			'429 whose Retry-After exceeds the wait cap: no wait at all',
			[{ statusCode: 429, headers: { 'retry-after': '120' } }],
			{ category: 'rate_limited', attempts: 1, waitedMs: 0, message: /rate limiting refreshes \(HTTP 429\)/ },
		],
		[
			'connection refused on every attempt',
			[{ throws: networkError('ECONNREFUSED') }],
			{ category: 'provider_unavailable', attempts: 4, waitedMs: 1750, message: /unavailable \(ECONNREFUSED\)/ },
		],
	])('gives up with a classified TokenGuardError: %s', async (_name, answers, expected) => {
		const endpoint = fakeEndpoint(answers);
		const error = await rejectionOf(performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options));
		expect(error.classification.category).toBe(expected.category);
		expect(error.stats).toEqual({ attempts: expected.attempts, waitedMs: expected.waitedMs });
		expect(endpoint.requests).toHaveLength(expected.attempts);
		expect(error.message).toMatch(expected.message);
	});

	it('an error thrown before the request is sent is not retried and still becomes a TokenGuardError', async () => {
		const endpoint = fakeEndpoint([
			{ throws: new Error('Domain not allowed: 127.0.0.1 is not in the allowed domains list') },
		]);
		const error = await rejectionOf(performRefreshGrant(endpoint.httpRequest, configFor(), endpoint.options));
		expect(error.stats.attempts).toBe(1);
		expect(error.message).toContain('request not sent: Domain not allowed');
	});

	it('messages never carry the refresh token or client secret, even when the endpoint echoes them', async () => {
		const config = configFor();
		const echo = `refresh_token=${config.refreshToken} client_secret=${SECRET}`;
		const cases: FakeAnswer[] = [
			{ statusCode: 400, headers: json, body: { error: 'invalid_grant', error_description: echo } },
			{ statusCode: 500, headers: { 'content-type': 'text/plain' }, body: echo },
			{ throws: new Error(echo) },
		];
		for (const answer of cases) {
			const endpoint = fakeEndpoint([answer]);
			const error = await rejectionOf(
				performRefreshGrant(endpoint.httpRequest, configFor({ refreshToken: config.refreshToken }), {
					...endpoint.options,
					policy: { ...policy, maxAttempts: 1 },
				}),
			);
			const visible = `${error.message} ${JSON.stringify(error.classification)}`;
			expect(visible).not.toContain('CANARY');
		}
	});
});
