/**
 * P7, queue mode (on demand, not part of npm test or npm run bench: it needs `bash test/queue/setup` and packs the
 * repo): n8n 2.40.7 main + 2 workers with Redis and Postgres (test/queue/support), the oidc-provider server with
 * rotation + reuse detection, both packages installed.
 *
 * - `expiry`: token-endpoint calls per access-token expiry when a 1,000-item burst (20 webhook executions × 50
 *   items, spread over both workers) meets an expired token, through Request With Auto-Refresh (goal 1), per
 *   round with its own credential; invalid_grant alongside.
 * - `throughput`: items/s through Request With Auto-Refresh (the companion's, on n8n's generic OAuth2 credential)
 *   vs n8n's HTTP Request node with the SAME credential, same workers, same API, valid token; alternating rounds
 *   of 1,000 items; ratio = median ours / median n8n (goal ≥ 0.95). Items/s is items ÷ (last execution stopped −
 *   first execution started), from n8n's own execution records.
 *
 *   node --require ./test/bench/register.js test/bench/queue.bench.ts [expiry|throughput]
 */
import { clientFor, connectCredential } from '../e2e/support/credentials';
import type { CredentialRecord } from '../e2e/support/credentials';
import { queryDatabase } from '../e2e/support/database';
import { callProductionWebhook } from '../e2e/support/n8nServer';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import { finishedBurst, workerSpread } from '../queue/support/bursts';
import type { QueueCluster } from '../queue/support/queueCluster';
import { startQueueCluster } from '../queue/support/queueCluster';
import { burstBody, burstWorkflow } from '../queue/support/workflows';
import { runBenchmarks } from './runner';

const EXECUTIONS = 20;
const ITEMS = 50;
const EXPIRY_ROUNDS = 3;
const THROUGHPUT_ROUNDS = 3;

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function burst(cluster: QueueCluster, path: string, round: number): Promise<void> {
	const responses = await Promise.all(
		Array.from({ length: EXECUTIONS }, (_, order) =>
			callProductionWebhook(cluster.main.baseUrl, path, burstBody(ITEMS, { order, round })),
		),
	);
	const failed = responses.filter((response) => response.status !== 200);
	if (failed.length > 0) throw new Error(`${failed.length} webhook calls failed (${failed[0].status})`);
}

/** Items per second of the executions of one workflow with id > afterId, by n8n's own start and stop times. */
function itemsPerSecond(cluster: QueueCluster, workflowId: string, afterId: number): number {
	const [row] = queryDatabase<{ first: string; last: string; count: string }>(
		cluster.userFolder,
		'SELECT MIN("startedAt") AS first, MAX("stoppedAt") AS last, COUNT(*) AS count FROM execution_entity WHERE "workflowId" = ? AND id > ?',
		[workflowId, afterId],
	);
	const seconds = (Date.parse(row.last) - Date.parse(row.first)) / 1000;
	return (Number(row.count) * ITEMS) / seconds;
}

function lastExecutionId(cluster: QueueCluster): number {
	const [row] = queryDatabase<{ id: number | null }>(cluster.userFolder, 'SELECT MAX(id) AS id FROM execution_entity');
	return Number(row.id ?? 0);
}

function requestNode(nodeType: string, credential: { id: string; name: string; type: string }) {
	return {
		name: 'Call API',
		type: nodeType,
		typeVersion: 1,
		parameters: { credentialType: credential.type, operation: 'request', method: 'GET', url: '' },
		credentials: { [credential.type]: { id: credential.id, name: credential.name } },
	};
}

async function withCluster<T>(
	setup: (
		oidc: OidcServerHandle,
	) => Promise<{ credentials: CredentialRecord[]; workflows: Array<Record<string, unknown>> }>,
	body: (cluster: QueueCluster, oidc: OidcServerHandle) => Promise<T>,
): Promise<T> {
	const oidc = await startOidcServer({ accessTokenTtlSeconds: 3600 });
	let cluster: QueueCluster | undefined;
	try {
		const { credentials, workflows } = await setup(oidc);
		cluster = await startQueueCluster({
			packages: ['core', 'companion'],
			credentials,
			workflows,
			publish: workflows.map((workflow) => String(workflow.id)),
		});
		return await body(cluster, oidc);
	} finally {
		await cluster?.stop();
		await oidc.stop();
	}
}

async function expiry(): Promise<unknown> {
	const rounds = Array.from({ length: EXPIRY_ROUNDS }, (_, round) => ({
		credential: { id: `benchExpiry0000${round}`, name: `P7 expiry ${round}`, type: 'tokenGuardOAuth2Api' as const },
		workflowId: `benchExpiryWf00${round}`,
		path: `bench-expiry-${round}`,
	}));
	const grants: MintedGrant[] = [];
	return await withCluster(
		async (oidc) => {
			const credentials: CredentialRecord[] = [];
			for (const round of rounds) {
				const grant = await oidc.mintGrant({ clientId: clientFor(oidc, round.credential.type) });
				grants.push(grant);
				const record = connectCredential(oidc, grant, round.credential);
				const tokenData = record.data.oauthTokenData as Record<string, unknown>;
				record.data.oauthTokenData = { ...tokenData, access_token: 'expired-access-token' };
				credentials.push(record);
			}
			const workflows = rounds.map((round) =>
				burstWorkflow(round.workflowId, `P7 expiry ${round.path}`, round.path, [
					{
						...requestNode('n8n-nodes-token-guard.forceRefresh', round.credential),
						parameters: {
							credentialType: round.credential.type,
							operation: 'request',
							method: 'GET',
							url: oidc.apiUrl('me'),
						},
					},
				]),
			);
			return { credentials, workflows };
		},
		async (cluster, oidc) => {
			const results = [];
			for (const [index, round] of rounds.entries()) {
				const before = await oidc.stats();
				await burst(cluster, round.path, index);
				const executions = await finishedBurst(cluster, round.workflowId, EXECUTIONS, 300_000);
				const after = await oidc.stats();
				results.push({
					tokenCalls: after.tokenRequests.refresh_token - before.tokenRequests.refresh_token,
					invalidGrant: after.grantErrors.length - before.grantErrors.length,
					failedExecutions: executions.filter((execution) => execution.status !== 'success').length,
					spread: workerSpread(cluster, executions).byMarker,
				});
			}
			const perExpiry = Math.max(...results.map((result) => result.tokenCalls));
			return {
				value: perExpiry,
				unit: 'token calls per expiry (worst round)',
				goal: 1,
				pass: perExpiry === 1,
				rounds: results,
			};
		},
	);
}

async function throughput(): Promise<unknown> {
	const credential = { id: 'benchThroughput1', name: 'P7 shared OAuth2', type: 'oAuth2Api' as const };
	const ours = { id: 'benchThruOurs001', path: 'bench-thru-ours' };
	const n8ns = { id: 'benchThruN8n0001', path: 'bench-thru-n8n' };
	let grant: MintedGrant;
	return await withCluster(
		async (oidc) => {
			grant = await oidc.mintGrant({ clientId: clientFor(oidc, credential.type) });
			return {
				credentials: [connectCredential(oidc, grant, credential)],
				workflows: [
					burstWorkflow(ours.id, 'P7 throughput: Request With Auto-Refresh', ours.path, [
						{
							...requestNode('n8n-nodes-token-guard-builtin.forceRefreshBuiltIn', credential),
							parameters: {
								credentialType: credential.type,
								operation: 'request',
								method: 'GET',
								url: oidc.apiUrl('me'),
							},
						},
					]),
					burstWorkflow(n8ns.id, "P7 throughput: n8n's HTTP Request", n8ns.path, [
						{
							name: 'Call API',
							type: 'n8n-nodes-base.httpRequest',
							typeVersion: 4.2,
							parameters: {
								method: 'GET',
								url: oidc.apiUrl('me'),
								authentication: 'genericCredentialType',
								genericAuthType: credential.type,
								options: {},
							},
							credentials: { [credential.type]: { id: credential.id, name: credential.name } },
						},
					]),
				],
			};
		},
		async (cluster) => {
			const rates: Record<'ours' | 'n8n', number[]> = { ours: [], n8n: [] };
			// A warm-up round each, then alternating measured rounds.
			for (let round = -1; round < THROUGHPUT_ROUNDS; round++) {
				for (const [name, workflow] of [
					['ours', ours],
					['n8n', n8ns],
				] as const) {
					const after = lastExecutionId(cluster);
					await burst(cluster, workflow.path, round);
					const done = await finishedBurst(cluster, workflow.id, (round + 2) * EXECUTIONS, 300_000);
					const failed = done.filter((execution) => execution.status !== 'success').length;
					if (failed > 0) throw new Error(`${failed} ${name} executions failed`);
					if (round >= 0) rates[name].push(itemsPerSecond(cluster, workflow.id, after));
				}
			}
			const ratio = median(rates.ours) / median(rates.n8n);
			return {
				value: Number(ratio.toFixed(3)),
				unit: 'items/s ours ÷ items/s n8n HTTP Request',
				goal: 0.95,
				pass: ratio >= 0.95,
				itemsPerSecond: {
					ours: rates.ours.map((rate) => Math.round(rate)),
					n8n: rates.n8n.map((rate) => Math.round(rate)),
				},
				itemsPerRound: EXECUTIONS * ITEMS,
			};
		},
	);
}

runBenchmarks({ expiry, throughput });
