/**
 * Rotation chaos (issue 7): per credential family, 20 executions of Force Refresh run in parallel on
 * one credential, 50 items each, through 10 access-token expiries, against oidc-provider with refresh
 * token rotation and reuse detection (its store consumes atomically, so any double spend of a refresh
 * token is caught and revokes the whole grant). Each execution draws its own operation (mostly
 * Request With Auto-Refresh, some Refresh Now and Refresh If Expiring), proactive margin, item
 * concurrency, start delay and event delivery from a seeded PRNG, so refreshes race the way they do
 * in production, and reproducibly.
 *
 * forceRefreshRotation.test.ts proves the same property with 3 items per execution and no mixed
 * operations; this file holds it at the numbers.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { forgetRefreshMemory } from '../../../nodes/shared/refresh/sharedRefresh.adapter';
import { forgetRecentRefreshes } from '../../../nodes/shared/refresh/manualGrant';
import { ALL_CATEGORIES } from '../../../nodes/shared/classify/taxonomy';
import { startFaultServer } from '../../servers/faultServer';
import type { FaultServerHandle } from '../../servers/faultServer';
import { startOidcServer } from '../../servers/oidcServer';
import type { OidcServerHandle } from '../../servers/oidcServer';
import type { StoredRef } from '../forceRefreshSupport';
import {
	addConnectCredential,
	addManualCredential,
	newHelper,
	runForceRefresh,
	tokenGuardOf,
	waitMs,
} from '../forceRefreshSupport';
import { SecretScanner, integerBetween, pick, seededRandom } from './reliabilitySupport';

jest.setTimeout(150_000);

const EXECUTIONS = 20;
const ITEMS_PER_EXECUTION = 50;
const CYCLES = 10;
const ACCESS_TOKEN_TTL_SECONDS = 2;
const WEBHOOK_TYPE = 'tokenGuardWebhookApi';
const API_KEY_HEADER = 'x-api-key';

type Family = 'connect' | 'manual';
type Operation = 'request' | 'refresh' | 'refreshIfExpiring';

const scanner = new SecretScanner();
const CLIENT_SECRET = scanner.canary('oidc-client-secret');
// A Standard Webhooks secret (whsec_ + base64 of a 51-byte canary key): the key text carries the marker too.
const SIGNING_SECRET = scanner.plant(
	'webhook-signing-secret',
	`whsec_${Buffer.from(scanner.canary('webhook-signing-key')).toString('base64')}`,
);
const RECEIVER_KEY = scanner.canary('webhook-header');
scanner.allowInHeader(API_KEY_HEADER, RECEIVER_KEY);

let server: OidcServerHandle;
let receiver: FaultServerHandle;
beforeAll(async () => {
	[server, receiver] = await Promise.all([
		startOidcServer({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS, clientSecret: CLIENT_SECRET }),
		startFaultServer(),
	]);
});
afterAll(async () => await Promise.all([server?.stop(), receiver?.stop()]));

interface ExecutionPlan {
	operation: Operation;
	proactiveMarginSeconds: number;
	concurrency: number;
	startDelayMs: number;
	sendEvents: boolean;
}

function planExecution(random: () => number): ExecutionPlan {
	const roll = random();
	return {
		operation: roll < 0.1 ? 'refresh' : roll < 0.2 ? 'refreshIfExpiring' : 'request',
		proactiveMarginSeconds: pick(random, [0, 300]),
		concurrency: pick(random, [1, 5, 10, 50]),
		startDelayMs: integerBetween(random, 0, 300),
		sendEvents: random() < 0.3,
	};
}

function parametersFor(plan: ExecutionPlan): INodeParameters {
	const common = { operation: plan.operation, sendEvents: plan.sendEvents };
	if (plan.operation === 'request')
		return {
			...common,
			url: server.apiUrl('me'),
			proactiveMarginSeconds: plan.proactiveMarginSeconds,
			concurrency: plan.concurrency,
		};
	if (plan.operation === 'refreshIfExpiring') return { ...common, marginSeconds: 300 };
	return common;
}

/** 'ok', or the error item's category ('unclassified' when it has none from the taxonomy). */
function verdictOf(item: INodeExecutionData, operation: Operation): string {
	const tokenGuard = tokenGuardOf(item);
	if (item.json.error !== undefined)
		return ALL_CATEGORIES.includes(tokenGuard?.category as never) ? String(tokenGuard.category) : 'unclassified';
	if (operation === 'request')
		return tokenGuard?.statusCode === 200 ? 'ok' : `request answered ${String(tokenGuard?.statusCode)}`;
	return typeof tokenGuard?.refreshed === 'boolean' ? 'ok' : 'no tokenGuard verdict';
}

const storedRefreshToken = (data: IDataObject, family: Family): string =>
	(family === 'connect' ? (data.oauthTokenData as IDataObject).refresh_token : data.refreshToken) as string;

describe.each<[Family, number]>([
	['connect', 7001],
	['manual', 7002],
])('%s family', (family, seed) => {
	it(`${EXECUTIONS} parallel executions × ${ITEMS_PER_EXECUTION} items × ${CYCLES} expiry cycles → 0 invalid_grant, 0 lost refresh tokens, every item ok or classified`, async () => {
		forgetRecentRefreshes();
		forgetRefreshMemory();
		await server.resetStats();
		receiver.reset();
		const random = seededRandom(seed);
		const helper = newHelper();
		const grant = await server.mintGrant();
		scanner.plant(`${family} minted access token`, grant.accessToken);
		scanner.plant(`${family} minted refresh token`, grant.refreshToken);
		const credential: StoredRef =
			family === 'connect'
				? addConnectCredential(helper, server, grant, {
						tokenData: { expires_in: ACCESS_TOKEN_TTL_SECONDS, id_token: scanner.canary('connect id_token') },
					})
				: addManualCredential(helper, server, grant);
		const sink = helper.addCredential({
			id: `sink-${family}`,
			name: 'Chaos alerts',
			type: WEBHOOK_TYPE,
			data: {
				url: `${receiver.url}/events`,
				signingSecret: SIGNING_SECRET,
				headers: JSON.stringify({ 'X-Api-Key': RECEIVER_KEY }),
			},
		});

		const verdicts: Record<string, number> = {};
		const executionErrors: string[] = [];
		const operations = new Set<Operation>();
		for (let cycle = 0; cycle < CYCLES; cycle++) {
			await waitMs(ACCESS_TOKEN_TTL_SECONDS * 1000 + 150);
			const plans = Array.from({ length: EXECUTIONS }, () => planExecution(random));
			const runs = await Promise.all(
				plans.map(async (plan, execution) => {
					await waitMs(plan.startDelayMs);
					operations.add(plan.operation);
					const result = await runForceRefresh(helper, credential, parametersFor(plan), {
						itemCount: ITEMS_PER_EXECUTION,
						continueOnFail: true,
						executionId: `chaos-${family}-${cycle}-${execution}`,
						credentials: { [credential.type]: credential.ref, [WEBHOOK_TYPE]: sink },
					});
					return { plan, result };
				}),
			);
			for (const { plan, result } of runs) {
				scanner.recordRun(`${family} cycle ${result.execution.id} (${plan.operation})`, result);
				if (result.error) executionErrors.push(result.error.message);
				const items = result.outputs[0] ?? [];
				if (items.length !== ITEMS_PER_EXECUTION)
					executionErrors.push(`${result.execution.id}: ${items.length} items out`);
				for (const item of items) {
					const verdict = verdictOf(item, plan.operation);
					verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
				}
			}
		}

		scanner.watchCredentials(helper, [credential.ref.id, sink.id]);
		scanner.recordDeliveries(`${family} webhook delivery`, receiver.requests);

		const stats = await server.stats();
		expect(stats.grantErrors).toEqual([]);
		expect(Object.keys(stats.tokenRequests.byStatus)).toEqual(['200']);
		expect(executionErrors).toEqual([]);
		// Every item either succeeded or carries a category of the taxonomy; none is a dead refresh token.
		expect(verdicts.unclassified ?? 0).toBe(0);
		expect(verdicts.refresh_token_invalid ?? 0).toBe(0);
		expect(
			Object.keys(verdicts).filter((verdict) => verdict !== 'ok' && !ALL_CATEGORIES.includes(verdict as never)),
		).toEqual([]);
		expect(
			(verdicts.ok ?? 0) +
				Object.entries(verdicts)
					.filter(([verdict]) => verdict !== 'ok')
					.reduce((sum, [, count]) => sum + count, 0),
		).toBe(EXECUTIONS * ITEMS_PER_EXECUTION * CYCLES);
		expect(operations).toEqual(new Set<Operation>(['request', 'refresh', 'refreshIfExpiring']));
		// The chaos really rotated: at least one refresh per expiry, and events reached the receiver.
		expect(stats.tokenRequests.refresh_token).toBeGreaterThanOrEqual(CYCLES);
		expect(receiver.requests.length).toBeGreaterThan(0);

		// No lost refresh token: the last one n8n persisted still refreshes, straight at the server.
		const finalRefreshToken = storedRefreshToken(helper.storedData(credential.ref.id) as IDataObject, family);
		expect(finalRefreshToken).not.toBe(grant.refreshToken);
		const check = await server.refresh(finalRefreshToken);
		scanner.plant(`${family} direct-check access token`, check.json.access_token ?? '');
		scanner.plant(`${family} direct-check refresh token`, check.json.refresh_token ?? '');
		expect([check.status, check.json.error]).toEqual([200, undefined]);
		expect(verdicts).toEqual({ ok: EXECUTIONS * ITEMS_PER_EXECUTION * CYCLES });
	});
});

afterAll(() => {
	// Both families' outputs, errors, run data, logs and webhook bodies against every secret planted,
	// minted or rotated in during this file.
	expect(scanner.surfaceCount).toBeGreaterThan(0);
	expect(scanner.leaks()).toEqual([]);
});
