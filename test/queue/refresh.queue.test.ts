/**
 * Both credential families across queue-mode workers: n8n 2.40.7 main + 2 workers, Redis, Postgres, and the
 * oidc-provider server with refresh-token rotation and reuse detection (a reused refresh token revokes the
 * grant). 20 production webhook calls arrive at once, each an execution of 50 items through Force Refresh's
 * Request With Auto-Refresh, on a credential whose stored access token the API refuses (expired). The
 * executions spread over both workers (read from the execution data: each worker marks its runs), and yet the
 * token endpoint sees exactly one refresh, no invalid_grant, every item gets its answer, and the refresh token
 * n8n stored last still works. This rests on n8n's cross-process refresh lease (Redis) and the node reading the
 * stored credential back before it refreshes.
 *
 * The same burst through n8n's own HTTP Request node (n8n's generic OAuth2 credential, its own grant) is run
 * and reported next to it, asserting only what is stable: every execution finished.
 *
 * The manual refresh-token family (n8n does not lock its preAuthentication refresh) gets the same burst; what it
 * does is measured and reported, with only the spread and the finished executions asserted.
 *
 * Last, a worker dies mid-refresh (SIGKILL of the worker whose refresh request is at the token endpoint):
 * before the provider saw the request, the other worker finishes the burst and no refresh token is lost; after
 * the provider answered (the refresh token is spent, the answer dies with the worker), what happens is reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../servers/httpClient';
import type { MintedGrant, OidcServerHandle, OidcServerStats } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import { exportCredentials } from '../e2e/n8n';
import { clientFor, connectCredential, manualCredential, storedRefreshToken } from '../e2e/support/credentials';
import type { CredentialRecord } from '../e2e/support/credentials';
import { queryDatabase, storedNodeOutput } from '../e2e/support/database';
import { withN8nLog } from '../e2e/support/logOnFailure';
import { callProductionWebhook } from '../e2e/support/n8nServer';
import { canary } from '../e2e/support/secrets';
import type { QueueCluster } from './support/queueCluster';
import { startQueueCluster } from './support/queueCluster';
import { finishedBurst, workerSpread } from './support/bursts';
import type { HoldMode, TokenProxy } from './support/tokenProxy';
import { startTokenProxy } from './support/tokenProxy';
import { burstBody, burstWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 4 * 60_000;
const EXECUTIONS = 20;
const ITEMS = 50;
const STALE_ACCESS_TOKEN = 'stale-access-token-the-api-refuses';

const OURS = { id: 'queueConnOurs001', name: 'Queue Token Guard OAuth2', type: 'tokenGuardOAuth2Api' as const };
const N8NS = { id: 'queueConnN8n0001', name: "Queue n8n's OAuth2", type: 'oAuth2Api' as const };
const OURS_WORKFLOW = { id: 'queueBurstOurs01', path: 'queue-burst-ours' };
const N8N_WORKFLOW = { id: 'queueBurstN8n001', path: 'queue-burst-n8n' };
const MANUAL = { id: 'queueManual00001', name: 'Queue manual refresh token' };
const MANUAL_WORKFLOW = { id: 'queueBurstManual', path: 'queue-burst-manual' };
/** Two credentials whose refresh goes through the token proxy, one per kill scenario. */
const KILLS: Record<
	HoldMode,
	{ id: string; name: string; type: 'tokenGuardOAuth2Api'; workflowId: string; path: string }
> = {
	'hold-request': {
		id: 'queueKillReq0001',
		name: 'Queue kill before the provider',
		type: 'tokenGuardOAuth2Api',
		workflowId: 'queueKillReqWf01',
		path: 'queue-kill-request',
	},
	'hold-response': {
		id: 'queueKillResp001',
		name: 'Queue kill after the provider',
		type: 'tokenGuardOAuth2Api',
		workflowId: 'queueKillRespWf1',
		path: 'queue-kill-response',
	},
};
// Twice a worker's concurrency (10): both workers take part of the burst.
const KILL_EXECUTIONS = 20;
const KILL_ITEMS = 10;
const CALL = 'Call API';

let oidc: OidcServerHandle;
let cluster: QueueCluster;
let proxy: TokenProxy;
const grants: Record<'ours' | 'n8n' | 'manual' | HoldMode, MintedGrant> = {} as never;
const report: Record<string, unknown> = {};

/** Stored as after Connect, with an access token the API refuses: the first request of the burst gets a 401. */
function expiredConnectCredential(
	grant: MintedGrant,
	record: { id: string; name: string; type: 'tokenGuardOAuth2Api' | 'oAuth2Api' },
): CredentialRecord {
	const credential = connectCredential(oidc, grant, record);
	const tokenData = credential.data.oauthTokenData as Record<string, unknown>;
	credential.data.oauthTokenData = { ...tokenData, access_token: STALE_ACCESS_TOKEN };
	return credential;
}

function delta(before: OidcServerStats, after: OidcServerStats) {
	const status = (code: string) =>
		(after.tokenRequests.byStatus[code] ?? 0) - (before.tokenRequests.byStatus[code] ?? 0);
	return {
		refreshCalls: after.tokenRequests.refresh_token - before.tokenRequests.refresh_token,
		tokenEndpoint400: status('400'),
		grantErrors: after.grantErrors.slice(before.grantErrors.length),
	};
}

async function storedRefresh(id: string): Promise<string> {
	const [credential] = await exportCredentials(cluster.userFolder, { decrypted: true, id });
	const token = storedRefreshToken(credential?.data);
	if (!token) throw new Error(`credential ${id} has no stored refresh token`);
	return token;
}

async function burst(path: string, executions = EXECUTIONS, items = ITEMS): Promise<number[]> {
	const responses = await Promise.all(
		Array.from({ length: executions }, (_, order) =>
			callProductionWebhook(cluster.main.baseUrl, path, burstBody(items, { order })),
		),
	);
	return responses.map((response) => response.status);
}

/** Request With Auto-Refresh on one credential; failed items continue, so a measurement sees every item. */
function requestNode(credential: { id: string; name: string; type: string }) {
	return {
		name: CALL,
		type: 'n8n-nodes-token-guard.forceRefresh',
		typeVersion: 1,
		onError: 'continueRegularOutput',
		parameters: { credentialType: credential.type, operation: 'request', method: 'GET', url: oidc.apiUrl('me') },
		credentials: { [credential.type]: { id: credential.id, name: credential.name } },
	};
}

async function isDead(worker: QueueCluster['workers'][number]): Promise<boolean> {
	return await Promise.race([worker.server.exited.then(() => true), sleep(50).then(() => false)]);
}

/** Execution id → status for one workflow (no run data). */
function statusesOf(workflowId: string): Map<string, string> {
	const rows = queryDatabase<{ id: number | string; status: string }>(
		cluster.userFolder,
		'SELECT id, status FROM execution_entity WHERE "workflowId" = ?',
		[workflowId],
	);
	return new Map(rows.map((row) => [String(row.id), row.status]));
}

beforeAll(async () => {
	oidc = await startOidcServer({
		clientSecret: canary('queue-connect-client-secret'),
		// One expiry per burst: the refreshed token outlives the test.
		accessTokenTtlSeconds: 900,
	});
	grants.ours = await oidc.mintGrant({ clientId: clientFor(oidc, OURS.type) });
	grants.n8n = await oidc.mintGrant({ clientId: clientFor(oidc, N8NS.type) });
	grants.manual = await oidc.mintGrant();
	proxy = await startTokenProxy(oidc.tokenUrl);
	const killCredentials: CredentialRecord[] = [];
	for (const mode of Object.keys(KILLS) as HoldMode[]) {
		grants[mode] = await oidc.mintGrant({ clientId: clientFor(oidc, KILLS[mode].type) });
		const credential = expiredConnectCredential(grants[mode], KILLS[mode]);
		killCredentials.push({ ...credential, data: { ...credential.data, accessTokenUrl: proxy.tokenUrl } });
	}
	cluster = await startQueueCluster({
		credentials: [
			expiredConnectCredential(grants.ours, OURS),
			expiredConnectCredential(grants.n8n, N8NS),
			manualCredential(oidc, grants.manual, MANUAL, { accessToken: STALE_ACCESS_TOKEN }),
			...killCredentials,
		],
		workflows: [
			burstWorkflow(OURS_WORKFLOW.id, 'Queue burst: Request With Auto-Refresh', OURS_WORKFLOW.path, [
				{
					name: CALL,
					type: 'n8n-nodes-token-guard.forceRefresh',
					typeVersion: 1,
					parameters: { credentialType: OURS.type, operation: 'request', method: 'GET', url: oidc.apiUrl('me') },
					credentials: { [OURS.type]: { id: OURS.id, name: OURS.name } },
				},
			]),
			burstWorkflow(N8N_WORKFLOW.id, "Queue burst: n8n's HTTP Request", N8N_WORKFLOW.path, [
				{
					name: CALL,
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					onError: 'continueRegularOutput',
					parameters: {
						method: 'GET',
						url: oidc.apiUrl('me'),
						authentication: 'genericCredentialType',
						genericAuthType: N8NS.type,
						options: {},
					},
					credentials: { [N8NS.type]: { id: N8NS.id, name: N8NS.name } },
				},
			]),
			burstWorkflow(MANUAL_WORKFLOW.id, 'Queue burst: manual refresh token', MANUAL_WORKFLOW.path, [
				requestNode({ ...MANUAL, type: 'tokenGuardRefreshTokenApi' }),
			]),
			...(Object.keys(KILLS) as HoldMode[]).map((mode) =>
				burstWorkflow(KILLS[mode].workflowId, `Queue kill: ${mode}`, KILLS[mode].path, [requestNode(KILLS[mode])]),
			),
		],
		publish: [
			OURS_WORKFLOW.id,
			N8N_WORKFLOW.id,
			MANUAL_WORKFLOW.id,
			...Object.values(KILLS).map((kill) => kill.workflowId),
		],
	});
	report.cluster = cluster.timings;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await cluster?.stop();
	await Promise.all([oidc?.stop(), proxy?.stop()]);
	process.stderr.write(`[queue] refresh ${JSON.stringify(report)}\n`);
});

describe('Connect-button family across 2 queue-mode workers (rotating provider with reuse detection)', () => {
	it(
		`${EXECUTIONS} concurrent executions × ${ITEMS} items through Request With Auto-Refresh on an expired token → both workers, 1 refresh, 0 invalid_grant, the last refresh token works`,
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				expect(
					(await httpRequest(oidc.apiUrl('me'), { headers: { authorization: `Bearer ${STALE_ACCESS_TOKEN}` } })).status,
				).toBe(401);
				const before = await oidc.stats();
				const started = Date.now();
				expect(await burst(OURS_WORKFLOW.path)).toEqual(Array(EXECUTIONS).fill(200));
				const executions = await finishedBurst(cluster, OURS_WORKFLOW.id, EXECUTIONS, 180_000);
				const after = await oidc.stats();
				const spread = workerSpread(cluster, executions);
				const measured = delta(before, after);
				const items = executions.flatMap((execution) => storedNodeOutput(execution, CALL));
				report.ours = { ...measured, spread, items: items.length, ms: Date.now() - started };

				expect(executions.map((execution) => execution.status)).toEqual(Array(EXECUTIONS).fill('success'));
				// Both workers ran part of the burst, by the execution data and by the workers' own logs.
				expect(Object.keys(spread.byMarker).sort()).toEqual(['worker-1', 'worker-2']);
				expect(spread.markerMatchesLog).toBe(true);
				expect(items).toHaveLength(EXECUTIONS * ITEMS);
				for (const item of items)
					expect(item).toMatchObject({ sub: grants.ours.accountId, tokenGuard: { statusCode: 200 } });
				expect(measured).toEqual({ refreshCalls: 1, tokenEndpoint400: 0, grantErrors: [] });

				const last = await storedRefresh(OURS.id);
				expect(last).not.toBe(grants.ours.refreshToken);
				expect((await oidc.refresh(last, { clientId: grants.ours.clientId })).status).toBe(200);
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		"the same burst through n8n's HTTP Request node (reported: token calls, invalid_grant, items answered)",
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				const before = await oidc.stats();
				const started = Date.now();
				expect(await burst(N8N_WORKFLOW.path)).toEqual(Array(EXECUTIONS).fill(200));
				const executions = await finishedBurst(cluster, N8N_WORKFLOW.id, EXECUTIONS, 180_000);
				const after = await oidc.stats();
				const items = executions.flatMap((execution) => storedNodeOutput(execution, CALL));
				const answered = items.filter((item) => item.sub === grants.n8n.accountId).length;
				const last = await storedRefresh(N8NS.id).catch(() => undefined);
				const lastWorks = last ? (await oidc.refresh(last, { clientId: grants.n8n.clientId })).status === 200 : false;
				report.n8nHttpRequest = {
					...delta(before, after),
					spread: workerSpread(cluster, executions),
					statuses: executions.map((execution) => execution.status),
					items: items.length,
					answered,
					lastRefreshTokenWorks: lastWorks,
					ms: Date.now() - started,
				};
				// Only what is stable: every execution finished (n8n's node has its own lease since 2.30).
				expect(executions).toHaveLength(EXECUTIONS);
			},
		),
		TEST_TIMEOUT_MS,
	);
	it(
		`manual refresh-token family: the same burst on 2 workers (measured: token calls, invalid_grant, items answered)`,
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				const before = await oidc.stats();
				const started = Date.now();
				expect(await burst(MANUAL_WORKFLOW.path)).toEqual(Array(EXECUTIONS).fill(200));
				const executions = await finishedBurst(cluster, MANUAL_WORKFLOW.id, EXECUTIONS, 180_000);
				const after = await oidc.stats();
				const spread = workerSpread(cluster, executions);
				const items = executions.flatMap((execution) => storedNodeOutput(execution, CALL));
				const answered = items.filter((item) => item.sub === grants.manual.accountId).length;
				const last = await storedRefresh(MANUAL.id).catch(() => undefined);
				const lastWorks = last
					? (await oidc.refresh(last, { clientId: grants.manual.clientId })).status === 200
					: false;
				report.manual = {
					...delta(before, after),
					spread,
					items: items.length,
					answered,
					lastRefreshTokenWorks: lastWorks,
					ms: Date.now() - started,
				};
				expect(Object.keys(spread.byMarker).sort()).toEqual(['worker-1', 'worker-2']);
				expect(executions).toHaveLength(EXECUTIONS);
			},
		),
		TEST_TIMEOUT_MS,
	);

	/** SIGKILLs the worker whose refresh request the proxy holds; waits for the survivor's executions. */
	async function killMidRefresh(mode: HoldMode) {
		const kill = KILLS[mode];
		const before = await oidc.stats();
		const held = proxy.holdNext(mode);
		expect(await burst(kill.path, KILL_EXECUTIONS, KILL_ITEMS)).toEqual(Array(KILL_EXECUTIONS).fill(200));
		const { pid, providerStatus } = await held;
		const victim = cluster.workers.find((worker) => worker.server.pid === pid);
		if (!victim) throw new Error(`the held refresh came from pid ${pid}, not from a worker`);
		process.kill(-victim.server.pid, 'SIGKILL');
		await victim.server.exited;
		const survivor = cluster.workers.find((worker) => worker !== victim)!;

		// The survivor's executions of this workflow: all that it started must finish.
		const deadline = Date.now() + 120_000;
		let survivorIds: string[] = [];
		let statuses = statusesOf(kill.workflowId);
		for (;;) {
			const byWorker = cluster.executionsByWorker();
			statuses = statusesOf(kill.workflowId);
			survivorIds = [...statuses.keys()].filter((id) => byWorker.get(id) === survivor.name);
			const open = survivorIds.filter((id) => !['success', 'error', 'crashed', 'canceled'].includes(statuses.get(id)!));
			if (survivorIds.length > 0 && open.length === 0) break;
			if (Date.now() > deadline)
				throw new Error(`survivor ${survivor.name} did not finish: ${JSON.stringify([...statuses])}`);
			await sleep(500);
		}
		const after = await oidc.stats();
		const stored = await storedRefresh(kill.id);
		const storedWorks = (await oidc.refresh(stored, { clientId: grants[mode].clientId })).status === 200;
		const byWorker = cluster.executionsByWorker();
		const outcome = {
			killed: victim.name,
			providerStatusOfKilledRefresh: providerStatus ?? 'never reached the provider',
			...delta(before, after),
			survivorExecutions: survivorIds.map((id) => statuses.get(id)),
			killedWorkerExecutions: [...statuses.keys()]
				.filter((id) => byWorker.get(id) === victim.name)
				.map((id) => statuses.get(id)),
			storedRefreshTokenWorks: storedWorks,
		};
		return { outcome, survivorIds, statuses, survivor };
	}

	it(
		'SIGKILL of the refreshing worker before the provider answered → the other worker finishes, no refresh token lost',
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				const { outcome, survivorIds, statuses } = await killMidRefresh('hold-request');
				report.killBeforeProvider = outcome;
				expect(survivorIds.map((id) => statuses.get(id))).toEqual(survivorIds.map(() => 'success'));
				expect(outcome.grantErrors).toEqual([]);
				expect(outcome.storedRefreshTokenWorks).toBe(true);
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'SIGKILL of the refreshing worker after the provider rotated the refresh token (its answer dies with it) → reported',
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				for (const worker of cluster.workers) {
					if (worker.server.pid && (await isDead(worker))) await cluster.restartWorker(worker.name);
				}
				const { outcome } = await killMidRefresh('hold-response');
				report.killAfterProvider = outcome;
				// What is stable: the provider did rotate the token the killed worker sent.
				expect(outcome.providerStatusOfKilledRefresh).toBe(200);
			},
		),
		TEST_TIMEOUT_MS,
	);
});
