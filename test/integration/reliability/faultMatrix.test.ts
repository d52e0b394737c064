/**
 * Fault matrix (issue 7): Force Refresh → Request With Auto-Refresh against a token endpoint and an API
 * that misbehave on every answer, with small caps set on the node (Max Attempts 3, Max Total Wait 3 s,
 * Timeout 1 s). Each row checks the category the item fails with, that only transient faults were
 * retried (and no more than Max Attempts), that the waiting stayed within the cap and the whole item
 * within cap + one attempt timeout, and that the error names the credential and says what to do.
 *
 * The token endpoint side runs for both credential families: the Connect-button family through n8n's
 * refreshOAuth2Token, the manual family through its preAuthentication. tokenEndpointFaults.test.ts
 * covers the manual family under the default policy and recovery after one fault; this file holds
 * both families to the node's own caps. Rows run concurrently, each with its own servers.
 *
 * Answers that quote secrets back (refresh token, client secret, bearer token) are part of the
 * matrix: the scan at the end of the file must find none of them in outputs, errors, events or logs.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { Category } from '../../../nodes/shared/types';
import type { HarnessCredentialsHelper, RunResult } from '../../harness';
import { startFaultServer } from '../../servers/faultServer';
import type { Fault, FaultServerHandle } from '../../servers/faultServer';
import { CONNECT_TYPE, MANUAL_TYPE, newHelper, runForceRefresh } from '../forceRefreshSupport';
import type { StoredRef } from '../forceRefreshSupport';
import { SecretScanner, withinBound } from './reliabilitySupport';

const MAX_ATTEMPTS = 3;
const MAX_TOTAL_WAIT_MS = 3_000;
/** The node's Timeout (Ms) option for API attempts. */
const API_TIMEOUT_MS = 1_000;
/** What a token endpoint attempt may take before it counts as down (retry.ts DEFAULT_ATTEMPT_TIMEOUT_MS). */
const TOKEN_ATTEMPT_TIMEOUT_MS = 10_000;
/** Scheduling and loopback round trips on a busy 2-core machine. */
const SLACK_MS = 2_000;
const WEBHOOK_TYPE = 'tokenGuardWebhookApi';
const SLACK_BODY_RULE = 'ok = false and error in token_expired,invalid_auth';

jest.setTimeout(90_000);

const scanner = new SecretScanner();
// A Standard Webhooks secret (whsec_ + base64 of a 51-byte canary key): the key text carries the marker too.
const SIGNING_SECRET = scanner.plant(
	'webhook-signing-secret',
	`whsec_${Buffer.from(scanner.canary('webhook-signing-key')).toString('base64')}`,
);

type Family = 'connect' | 'manual';

/** The secrets of one row's credential, so a fault can quote them back. */
interface RowSecrets {
	refreshToken: string;
	clientSecret: string;
	accessToken: string;
}

interface FaultRow {
	name: string;
	fault: (secrets: RowSecrets) => Fault;
	/** undefined: the item must succeed. */
	category?: Category;
	/** 'retried': MAX_ATTEMPTS attempts; 'once': a single attempt. */
	attempts: 'retried' | 'once';
	/** The row hangs: the bound includes one attempt timeout. */
	hangs?: boolean;
	/** Exact waiting the row implies, when the server said how long (Retry-After). */
	waitedMs?: number;
	/** Extra node parameters for the row. */
	parameters?: INodeParameters;
}

const retryAfterDateSoon = (): Date => new Date(Date.now() + 2_000);

/** Persistent faults at the token endpoint (every attempt gets the same answer). */
const TOKEN_ENDPOINT_ROWS: FaultRow[] = [
	{
		name: '429 Retry-After: 1 (seconds)',
		fault: () => ({ kind: 'retryAfterSeconds', status: 429, seconds: 1 }),
		category: 'rate_limited',
		attempts: 'retried',
		waitedMs: 2_000,
	},
	{
		name: '429 Retry-After: HTTP-date ~2 s ahead',
		fault: () => ({ kind: 'retryAfterDate', status: 429, date: retryAfterDateSoon() }),
		category: 'rate_limited',
		attempts: 'retried',
	},
	{
		name: '429 Retry-After: 120 s, beyond the cap',
		fault: () => ({ kind: 'retryAfterSeconds', status: 429, seconds: 120 }),
		category: 'rate_limited',
		attempts: 'once',
		waitedMs: 0,
	},
	{
		name: '500 JSON',
		fault: () => ({ kind: 'json', status: 500, body: { error: 'server_error' } }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '502 HTML',
		fault: () => ({ kind: 'html', status: 502 }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '503 text',
		fault: () => ({ kind: 'text', status: 503, body: 'Service Unavailable', contentType: 'text/plain' }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '504 HTML',
		fault: () => ({ kind: 'html', status: 504 }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{ name: 'connection reset', fault: () => ({ kind: 'reset' }), category: 'provider_unavailable', attempts: 'retried' },
	{
		name: 'timeout (never answers)',
		fault: () => ({ kind: 'hang' }),
		category: 'provider_unavailable',
		attempts: 'once',
		hangs: true,
	},
	{
		name: 'slow body (a token trickling in over ~1 s)',
		fault: () => ({
			kind: 'slowBody',
			status: 200,
			body: { access_token: `at-slow-${Date.now()}`, token_type: 'Bearer', expires_in: 3600 },
			chunkDelayMs: 300,
			chunks: 4,
		}),
		attempts: 'once',
	},
	{
		name: 'HTML body with 200 (a login page quoting the request)',
		fault: (secrets) => ({
			kind: 'html',
			status: 200,
			body: `<html><body>Sign in<br>refresh_token=${secrets.refreshToken}&client_secret=${secrets.clientSecret}</body></html>`,
		}),
		category: 'provider_unavailable',
		attempts: 'once',
	},
	{
		name: 'JSON without access_token',
		fault: (secrets) => ({
			kind: 'json',
			status: 200,
			body: { token_type: 'Bearer', expires_in: 3600, echo: secrets.refreshToken },
		}),
		category: 'provider_unavailable',
		attempts: 'once',
	},
	{
		name: '200 with an error body (bad_refresh_token)',
		fault: (secrets) => ({
			kind: 'json',
			status: 200,
			body: {
				error: 'bad_refresh_token',
				error_description: `The refresh token ${secrets.refreshToken} is incorrect or expired.`,
			},
		}),
		category: 'refresh_token_invalid',
		attempts: 'once',
	},
	{
		name: 'invalid_grant',
		fault: (secrets) => ({
			kind: 'oauthError',
			error: 'invalid_grant',
			description: `refresh token ${secrets.refreshToken} was revoked`,
		}),
		category: 'refresh_token_invalid',
		attempts: 'once',
	},
	{
		name: 'invalid_client',
		fault: (secrets) => ({
			kind: 'oauthError',
			error: 'invalid_client',
			description: `client secret ${secrets.clientSecret} is wrong`,
		}),
		category: 'client_misconfigured',
		attempts: 'once',
	},
	{
		name: 'invalid_scope',
		fault: () => ({ kind: 'oauthError', error: 'invalid_scope', description: 'scope api:write was never granted' }),
		category: 'scope_insufficient',
		attempts: 'once',
	},
];

/** Persistent faults at the API (the token is valid; refreshes succeed). */
const API_ROWS: FaultRow[] = [
	{
		name: '429 Retry-After: 1 (seconds)',
		fault: () => ({ kind: 'retryAfterSeconds', status: 429, seconds: 1 }),
		category: 'rate_limited',
		attempts: 'retried',
		waitedMs: 2_000,
	},
	{
		name: '429 Retry-After: HTTP-date ~2 s ahead',
		fault: () => ({ kind: 'retryAfterDate', status: 429, date: retryAfterDateSoon() }),
		category: 'rate_limited',
		attempts: 'retried',
	},
	{
		name: '429 Retry-After: HTTP-date 120 s ahead, beyond the cap',
		fault: () => ({ kind: 'retryAfterDate', status: 429, date: new Date(Date.now() + 120_000) }),
		category: 'rate_limited',
		attempts: 'once',
		waitedMs: 0,
	},
	{
		name: '500 JSON',
		fault: () => ({ kind: 'json', status: 500, body: { error: 'internal' } }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '502 HTML',
		fault: () => ({ kind: 'html', status: 502 }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '503 text',
		fault: () => ({ kind: 'text', status: 503, body: 'Service Unavailable', contentType: 'text/plain' }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{
		name: '504 HTML',
		fault: () => ({ kind: 'html', status: 504 }),
		category: 'provider_unavailable',
		attempts: 'retried',
	},
	{ name: 'connection reset', fault: () => ({ kind: 'reset' }), category: 'provider_unavailable', attempts: 'retried' },
	{
		name: 'timeout (never answers)',
		fault: () => ({ kind: 'hang' }),
		category: 'provider_unavailable',
		attempts: 'retried',
		hangs: true,
	},
	{
		name: 'slow body stalling longer than the timeout',
		fault: () => ({
			kind: 'slowBody',
			status: 200,
			body: { ok: true, padding: 'x'.repeat(64) },
			chunkDelayMs: API_TIMEOUT_MS + 500,
			chunks: 3,
		}),
		category: 'provider_unavailable',
		attempts: 'retried',
		hangs: true,
	},
	{
		name: 'HTML body with 200 where JSON was asked for',
		fault: () => ({ kind: 'html', status: 200 }),
		category: 'not_auth_related',
		attempts: 'once',
		parameters: { responseFormat: 'json' },
	},
	{
		name: '200 with an error body (Slack token_expired; Expired When set) → one refresh, one replay',
		fault: (secrets) => ({
			kind: 'json',
			status: 200,
			body: { ok: false, error: 'token_expired', token: secrets.accessToken },
		}),
		category: 'access_token_rejected',
		attempts: 'once',
		parameters: { expiredWhen: SLACK_BODY_RULE },
	},
	{
		name: 'invalid_grant (400)',
		fault: () => ({ kind: 'oauthError', status: 400, error: 'invalid_grant', description: 'grant revoked' }),
		category: 'refresh_token_invalid',
		attempts: 'once',
	},
	{
		name: 'invalid_client (401) → one refresh, one replay',
		fault: (secrets) => ({
			kind: 'oauthError',
			error: 'invalid_client',
			description: `token ${secrets.accessToken} not accepted`,
		}),
		category: 'access_token_rejected',
		attempts: 'once',
	},
	{
		name: 'invalid_scope (400)',
		fault: () => ({ kind: 'oauthError', status: 400, error: 'invalid_scope', description: 'needs api:write' }),
		category: 'scope_insufficient',
		attempts: 'once',
	},
];

let rowCount = 0;
/** One webhook receiver for every row, started on first use: concurrent rows may start before beforeAll hooks settle. */
let receiverStarting: Promise<FaultServerHandle> | undefined;
const receiver = async (): Promise<FaultServerHandle> => await (receiverStarting ??= startFaultServer());

interface Setup {
	helper: HarnessCredentialsHelper;
	credential: StoredRef;
	credentials: Record<string, { id: string; name: string }>;
	secrets: RowSecrets;
}

/** A credential with canary secrets whose token endpoint is `token`; `stale` makes the API refuse its access token. */
async function setup(family: Family, token: FaultServerHandle, name: string): Promise<Setup> {
	const { url: receiverUrl } = await receiver();
	const row = ++rowCount;
	const secrets: RowSecrets = {
		refreshToken: scanner.canary(`row${row}-refresh-token`),
		clientSecret: scanner.canary(`row${row}-client-secret`),
		accessToken: scanner.canary(`row${row}-access-token`),
	};
	const helper = newHelper();
	const id = `${family}-row-${row}`;
	const tokenUrl = `${token.url}/token`;
	const ref =
		family === 'connect'
			? helper.addCredential({
					id,
					name,
					type: CONNECT_TYPE,
					data: {
						grantType: 'authorizationCode',
						authUrl: `${token.url}/auth`,
						accessTokenUrl: tokenUrl,
						clientId: 'matrix-client',
						clientSecret: secrets.clientSecret,
						scope: 'api:read',
						authentication: 'header',
						oauthTokenData: {
							access_token: secrets.accessToken,
							refresh_token: secrets.refreshToken,
							token_type: 'Bearer',
							id_token: scanner.canary(`row${row}-id-token`),
						},
					},
				})
			: helper.addCredential({
					id,
					name,
					type: MANUAL_TYPE,
					data: {
						tokenUrl,
						clientId: 'matrix-client',
						clientSecret: secrets.clientSecret,
						clientAuthentication: 'header',
						refreshToken: secrets.refreshToken,
						accessToken: secrets.accessToken,
						expiresAt: '',
					},
				});
	const sink = helper.addCredential({
		id: `sink-${row}`,
		name: 'Matrix alerts',
		type: WEBHOOK_TYPE,
		data: { url: `${receiverUrl}/events`, signingSecret: SIGNING_SECRET },
	});
	const type = family === 'connect' ? CONNECT_TYPE : MANUAL_TYPE;
	return { helper, credential: { type, ref }, credentials: { [type]: ref, [WEBHOOK_TYPE]: sink }, secrets };
}

interface Observed {
	bounded: boolean;
	elapsedMs: number;
	item?: INodeExecutionData;
	result?: RunResult;
}

async function runRow(
	target: Setup,
	api: FaultServerHandle,
	row: FaultRow,
	servers: FaultServerHandle[],
	boundMs: number,
): Promise<Observed> {
	const running = runForceRefresh(
		target.helper,
		target.credential,
		{
			operation: 'request',
			url: `${api.url}/v1/me`,
			proactiveMarginSeconds: 0,
			maxAttempts: MAX_ATTEMPTS,
			maxTotalWaitSeconds: MAX_TOTAL_WAIT_MS / 1000,
			sendEvents: true,
			options: { timeout: API_TIMEOUT_MS },
			...row.parameters,
		},
		{ continueOnFail: true, credentials: target.credentials, executionId: `matrix-${row.name}` },
	);
	const bounded = await withinBound(running, boundMs);
	// Closing the servers resets hung sockets, so an unbounded run still ends before the file does.
	await Promise.all(servers.map(async (server) => await server.stop()));
	const result = bounded.value ?? (await running.catch(() => undefined));
	if (result) scanner.recordRun(`${row.name}`, result);
	scanner.watchCredentials(target.helper, [target.credential.ref.id]);
	return { bounded: bounded.settled, elapsedMs: bounded.elapsedMs, item: result?.outputs[0]?.[0], result };
}

const boundFor = (row: FaultRow, attemptTimeoutMs: number): number =>
	MAX_TOTAL_WAIT_MS + (row.hangs ? attemptTimeoutMs : 0) + SLACK_MS;

const tokenGuard = (item: INodeExecutionData | undefined): IDataObject => (item?.json.tokenGuard ?? {}) as IDataObject;

/** Category, attempts, waiting and the wording of the error, side by side so a failing row shows all of it. */
function verdict(observed: Observed, credentialName: string) {
	const json = observed.item?.json ?? {};
	const error = typeof json.error === 'string' ? json.error : undefined;
	const description = typeof json.description === 'string' ? json.description : '';
	return {
		bounded: observed.bounded,
		failed: error !== undefined,
		category: tokenGuard(observed.item).category,
		namesCredential:
			error === undefined || tokenGuard(observed.item).category === 'not_auth_related'
				? undefined
				: error.includes(`"${credentialName}"`),
		// These are generic credentials on 127.0.0.1: no provider may be guessed into the sentence.
		providerClaimed:
			error === undefined ? undefined : (/^The (?!credential\b)(\w+) credential/.exec(error)?.[1] ?? null),
		saysWhatToDo: error === undefined ? undefined : description.includes('What to do:'),
	};
}

function expectedVerdict(row: FaultRow) {
	const failed = row.category !== undefined;
	return {
		bounded: true,
		failed,
		category: row.category ?? null,
		// A failure outside authentication keeps its own message (it names the field instead).
		namesCredential: failed && row.category !== 'not_auth_related' ? true : undefined,
		providerClaimed: failed ? null : undefined,
		saysWhatToDo: failed ? true : undefined,
	};
}

describe.each<Family>(['connect', 'manual'])(
	'token endpoint, %s family (Max Attempts 3, Max Total Wait 3 s)',
	(family) => {
		it.concurrent.each(TOKEN_ENDPOINT_ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
			const [token, api] = await Promise.all([startFaultServer(), startFaultServer()]);
			const credentialName = `Matrix ${family}`;
			const target = await setup(family, token, credentialName);
			token.setDefault(row.fault(target.secrets));
			// The stored access token is refused once; a refreshed one is accepted.
			api.enqueue({
				kind: 'json',
				status: 401,
				body: { error: 'invalid_token' },
				headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
			});

			const observed = await runRow(target, api, row, [token, api], boundFor(row, TOKEN_ATTEMPT_TIMEOUT_MS));
			// Refresh grants only: after a manual refresh n8n also GETs the token URL once (the carrier request).
			const tokenCalls = token.requests.filter((request) => request.method === 'POST').length;
			const [stale, replay] = api.requests.map((request) => request.headers.authorization);
			const expectedCalls = row.attempts === 'retried' ? MAX_ATTEMPTS : 1;
			const expected = expectedVerdict(row);
			const succeeded = row.category === undefined;
			expect({
				...verdict(observed, credentialName),
				tokenCalls,
				apiCalls: api.requests.length,
				replayWithNewToken: replay === undefined ? undefined : replay !== stale,
			}).toEqual({
				...expected,
				replayWithNewToken: succeeded ? true : undefined,
				// The Connect family's refresh goes through n8n's client-oauth2, whose errors carry no
				// response headers: a Retry-After cannot be seen there, so it is retried on backoff instead.
				tokenCalls: family === 'connect' && row.waitedMs === 0 ? tokenCalls : expectedCalls,
				// The API saw the stale token once; the replay goes out only with a new token.
				apiCalls: succeeded ? 2 : 1,
			});
			if (family === 'connect' && row.waitedMs === 0) expect(tokenCalls).toBeLessThanOrEqual(MAX_ATTEMPTS);
			const waited = Number(tokenGuard(observed.item).waitedMs ?? 0);
			expect(waited).toBeLessThanOrEqual(MAX_TOTAL_WAIT_MS);
			if (row.waitedMs !== undefined && family === 'manual') expect(waited).toBe(row.waitedMs);
			expect(observed.elapsedMs).toBeLessThan(boundFor(row, TOKEN_ATTEMPT_TIMEOUT_MS));
		});
	},
);

describe('API (Max Attempts 3, Max Total Wait 3 s, Timeout 1 s)', () => {
	it.concurrent.each(API_ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
		const [token, api] = await Promise.all([startFaultServer(), startFaultServer()]);
		const credentialName = 'Matrix API';
		const target = await setup('connect', token, credentialName);
		token.setDefault({ kind: 'token' });
		api.setDefault(row.fault(target.secrets));

		const observed = await runRow(target, api, row, [token, api], boundFor(row, API_TIMEOUT_MS));
		const refreshes = row.category === 'access_token_rejected' ? 1 : 0;
		const observedSends = api.requests.length - refreshes;
		// A hanging attempt spends 1 s of the 3 s cap itself, so the cap may stop it after 2 attempts.
		const sends =
			row.attempts === 'once'
				? 1
				: row.hangs && observedSends >= 2 && observedSends <= MAX_ATTEMPTS
					? observedSends
					: MAX_ATTEMPTS;
		expect({
			...verdict(observed, credentialName),
			tokenCalls: token.requests.length,
			apiCalls: api.requests.length,
			attempts: tokenGuard(observed.item).attempts,
		}).toEqual({
			...expectedVerdict(row),
			tokenCalls: refreshes,
			// An expiry signal costs one refresh and exactly one replay, never a loop.
			apiCalls: sends + refreshes,
			attempts: sends + refreshes,
		});
		const waited = Number(tokenGuard(observed.item).waitedMs ?? 0);
		expect(waited).toBeLessThanOrEqual(MAX_TOTAL_WAIT_MS);
		if (row.waitedMs !== undefined) expect(waited).toBe(row.waitedMs);
		expect(observed.elapsedMs).toBeLessThan(boundFor(row, API_TIMEOUT_MS));
		if (row.category === 'not_auth_related') expect(String(observed.item?.json.error)).toMatch(/Response Format/);
	});
});

afterAll(async () => {
	const sink = await receiver();
	scanner.recordDeliveries('webhook delivery', sink.requests);
	await sink.stop();
	expect(sink.requests.length).toBeGreaterThan(0);
	expect(scanner.leaks()).toEqual([]);
});
