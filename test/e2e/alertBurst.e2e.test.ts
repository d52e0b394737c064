/**
 * One alert per broken credential, however many executions fail at once, and one recovery when it works
 * again, in a running `n8n start`. A published production workflow ("nightly sync") reads through n8n's
 * HTTP Request node with a Google Sheets credential whose access token is stale and whose grant was
 * revoked; 20 webhook calls arrive at the same moment, so 20 executions fail together and n8n dispatches
 * 20 runs of the error workflow (the OAuth error handler example, Token Health v2 Diagnose Error,
 * 60-minute cooldown) in parallel. Token Health's alert ledger (process memory merged with workflow static
 * data) lets exactly one of them through to Needs Attention and send a signed `error.diagnosed` CloudEvent;
 * the other 19 go to Already Reported and send nothing.
 *
 * Then the user reconnects the credential (a fresh grant under the same credential id, imported while n8n
 * runs). The alert memory is per workflow, so the check runs in the error workflow itself: a second branch
 * (Webhook → Token Health (Built-in Credentials) Check Credential, refresh now) of the companion package.
 * Its first successful check ends the episode with ONE signed `refresh.recovered` carrying the outage's
 * digest (occurrences ≥ 21: the burst and one failure after it settled; the nightly sync's id among the failed
 * workflows; the downtime); a second check sends no second recovery, and there is still exactly one `error.diagnosed`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from '../servers/httpClient';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { UserFolder } from './n8n';
import {
	assertPackageLoaded,
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	publishWorkflow,
	packRepo,
	readRepoPackageName,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { clientFor, connectCredential, webhookCredential } from './support/credentials';
import type { StoredExecution } from './support/database';
import { queryDatabase, readExecutions, storedNodeOutput, waitForPublishedVersions } from './support/database';
import type { ExampleWorkflow } from './support/examples';
import { exampleWorkflow } from './support/examples';
import { revokedGrantMessage } from './support/features';
import { withN8nLog } from './support/logOnFailure';
import type { N8nServer } from './support/n8nServer';
import { callProductionWebhook, startN8nServer } from './support/n8nServer';
import { canary } from './support/secrets';
import { verifyStandardWebhook } from './support/standardWebhooks';
import type { WebhookSink } from './support/webhookSink';
import { eventOf, startWebhookSink } from './support/webhookSink';
import { httpGetWithCredential, webhookWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 3 * 60_000;
const BURST = 20;

const SIGNING_KEY = canary('burst-signing-key');
const COMPANION_SIGNING_KEY = canary('burst-companion-signing-key');
const SECRETS = {
	clientSecret: canary('burst-client-secret'),
	signingSecret: `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`,
	companionSigningSecret: `whsec_${Buffer.from(COMPANION_SIGNING_KEY).toString('base64')}`,
};

const HANDLER_ID = 'e2eBurstHandler1';
const SYNC_ID = 'e2eBurstSync0001';
const SYNC_PATH = 'burst-sync';
const GOOGLE = { id: 'e2eBurstGoogle01', name: 'Nightly Google', type: 'googleSheetsOAuth2Api' as const };
const WEBHOOK_CREDENTIAL = { id: 'e2eBurstSink0001', name: 'Burst alerts receiver' };
const COMPANION_WEBHOOK_CREDENTIAL = {
	id: 'e2eBurstSink0002',
	name: 'Burst alerts receiver (built-in)',
	type: 'tokenGuardBuiltInWebhookApi' as const,
};
/** The error workflow's second branch: Webhook → Check Credential, so the check shares the handler's alert memory. */
const CHECK_PATH = 'burst-check';
const CHECK = 'Check the Google credential';
const RECOVERED = 'io.n8n.tokenguard.refresh.recovered';
const DIAGNOSED = 'io.n8n.tokenguard.error.diagnosed';
/** Token Health version 2's outputs in the example: Needs Attention, OK ("Not a token problem"), Already Reported. */
const NEEDS_ATTENTION = 0;
const OK = 1;
const ALREADY_REPORTED = 2;
const DIAGNOSE = 'Diagnose the failure';

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let sink: WebhookSink;
let server: N8nServer | undefined;
let grant: MintedGrant;
let burstPassed = false;
const timings: Record<string, number> = {};

/** The most runs of a workflow that were in progress at the same instant (n8n's startedAt/stoppedAt). */
function maxOverlap(workflowId: string): number {
	const rows = queryDatabase<{ startedAt: string; stoppedAt: string }>(
		userFolder,
		'SELECT startedAt, stoppedAt FROM execution_entity WHERE workflowId = ?',
		[workflowId],
	);
	const edges = rows.flatMap((row) => [
		{ at: Date.parse(`${row.startedAt}Z`), step: 1 },
		{ at: Date.parse(`${row.stoppedAt}Z`), step: -1 },
	]);
	edges.sort((a, b) => a.at - b.at || a.step - b.step);
	let running = 0;
	let most = 0;
	for (const edge of edges) most = Math.max(most, (running += edge.step));
	return most;
}

function countOf(type: string): number {
	return sink.requests.filter((request) => eventOf(request).type === type).length;
}

/** The error workflow: the example's Error Trigger branch plus Webhook → Token Health (Built-in) Check Credential. */
function handlerWorkflow(): ExampleWorkflow {
	const example = exampleWorkflow(
		'oauth-error-handler',
		{ webhookCredentialId: WEBHOOK_CREDENTIAL.id },
		{ id: HANDLER_ID },
	);
	const checkBranch = webhookWorkflow(HANDLER_ID, example.name, CHECK_PATH, [
		{
			name: CHECK,
			type: 'n8n-nodes-token-guard-builtin.tokenHealthBuiltIn',
			typeVersion: 2,
			parameters: { operation: 'checkCredential', credentialType: GOOGLE.type, refreshNow: true, sendEvents: true },
			credentials: {
				[GOOGLE.type]: { id: GOOGLE.id, name: GOOGLE.name },
				[COMPANION_WEBHOOK_CREDENTIAL.type]: {
					id: COMPANION_WEBHOOK_CREDENTIAL.id,
					name: COMPANION_WEBHOOK_CREDENTIAL.name,
				},
			},
		},
	]);
	return {
		...example,
		nodes: [
			...example.nodes,
			...checkBranch.nodes.map((node) => ({
				...node,
				position: [node.position[0], node.position[1] + 600] as [number, number],
			})),
		],
		connections: { ...example.connections, ...checkBranch.connections },
	};
}

/** Runs of the error workflow's check branch (production webhook executions) that finished. */
function finishedChecks(): StoredExecution[] {
	return readExecutions(userFolder).filter(
		(execution) => execution.workflowId === HANDLER_ID && execution.mode === 'webhook' && execution.finished,
	);
}

async function waitForFinishedChecks(count: number, timeoutMs: number): Promise<StoredExecution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const checks = finishedChecks();
		if (checks.length >= count) return checks;
		if (Date.now() > deadline) {
			throw new Error(
				`after ${timeoutMs} ms: ${checks.length} of ${count} check runs finished: ${summarize(readExecutions(userFolder))}`,
			);
		}
		await sleep(500);
	}
}

function summarize(executions: StoredExecution[]): string {
	return JSON.stringify(executions.map(({ id, workflowId, mode, status }) => ({ id, workflowId, mode, status })));
}

beforeAll(async () => {
	const started = Date.now();
	await ensureN8nInstalled();
	const tarballs = [await packRepo('core'), await packRepo('companion')];
	oidc = await startOidcServer({ clientSecret: SECRETS.clientSecret });
	sink = await startWebhookSink();
	grant = await oidc.mintGrant({ clientId: clientFor(oidc, GOOGLE.type) });

	const google = connectCredential(oidc, grant, GOOGLE);
	// A stale access token: the API refuses it, so n8n tries the (revoked) refresh token.
	const tokenData = google.data.oauthTokenData as Record<string, unknown>;
	google.data.oauthTokenData = { ...tokenData, access_token: 'stale-access-token-the-api-refuses' };

	userFolder = createUserFolder();
	for (const tarball of tarballs) await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		google,
		webhookCredential(WEBHOOK_CREDENTIAL, sink.url('token-guard'), SECRETS.signingSecret),
		webhookCredential(COMPANION_WEBHOOK_CREDENTIAL, sink.url('token-guard-builtin'), SECRETS.companionSigningSecret),
	]);
	await importWorkflow(userFolder, [
		handlerWorkflow(),
		webhookWorkflow(
			SYNC_ID,
			'Nightly sync',
			SYNC_PATH,
			[httpGetWithCredential('Read sheet', oidc.apiUrl('me'), GOOGLE)],
			{ errorWorkflow: HANDLER_ID },
		),
	]);
	for (const id of [HANDLER_ID, SYNC_ID]) {
		await publishWorkflow(userFolder, id);
	}
	await oidc.revokeGrant(grant.grantId);
	timings.prepareMs = Date.now() - started;

	const startedServer = Date.now();
	server = await startN8nServer(userFolder);
	await waitForPublishedVersions(userFolder, [HANDLER_ID, SYNC_ID]);
	timings.startMs = Date.now() - startedServer;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await server?.stop();
	await Promise.all([oidc?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(`[e2e-timing] alertBurst ${JSON.stringify(timings)}\n`);
});

describe('a burst of failures of one broken credential (n8n start, error workflow)', () => {
	it(
		`${BURST} executions fail at once → ${BURST} error-workflow runs → exactly one alert (Needs Attention, one signed error.diagnosed), ${BURST - 1} Already Reported`,
		withN8nLog(
			() => userFolder,
			async () => {
				assertPackageLoaded(userFolder);
				assertPackageLoaded(userFolder, readRepoPackageName('companion'));
				expect((await httpRequest(`${server!.baseUrl}/healthz`)).status).toBe(200);

				const started = Date.now();
				const responses = await Promise.all(
					Array.from({ length: BURST }, (_, index) =>
						callProductionWebhook(server!.baseUrl, SYNC_PATH, { order: index }),
					),
				);
				timings.burstAcceptedMs = Date.now() - started;
				expect(responses.map((response) => response.status)).toEqual(Array(BURST).fill(200));

				const deadline = Date.now() + 90_000;
				let executions: StoredExecution[];
				for (;;) {
					executions = readExecutions(userFolder);
					const failed = executions.filter((e) => e.workflowId === SYNC_ID && e.status === 'error');
					const handled = executions.filter((e) => e.workflowId === HANDLER_ID && e.status === 'success');
					if (failed.length >= BURST && handled.length >= BURST) break;
					if (Date.now() > deadline) {
						throw new Error(
							`after 90 s: ${failed.length} failed sync runs, ${handled.length} finished handler runs: ${summarize(executions)}`,
						);
					}
					await sleep(500);
				}
				timings.allHandledMs = Date.now() - started;
				// Any event a finished handler run sent has arrived; give a straggler a moment anyway.
				await sleep(1000);

				const failed = executions.filter((execution) => execution.workflowId === SYNC_ID);
				const handled = executions.filter((execution) => execution.workflowId === HANDLER_ID);
				expect(failed).toHaveLength(BURST);
				expect(handled).toHaveLength(BURST);
				for (const execution of failed) {
					expect(execution).toMatchObject({ mode: 'webhook', status: 'error' });
					expect(execution.data?.resultData?.error?.message).toMatch(revokedGrantMessage('Nightly Google'));
				}

				const routing = handled.map((execution) => ({
					id: execution.id,
					mode: execution.mode,
					status: execution.status,
					needsAttention: storedNodeOutput(execution, DIAGNOSE, NEEDS_ATTENTION).length,
					ok: storedNodeOutput(execution, DIAGNOSE, OK).length,
					alreadyReported: storedNodeOutput(execution, DIAGNOSE, ALREADY_REPORTED).length,
				}));
				const total = (key: 'needsAttention' | 'ok' | 'alreadyReported') =>
					routing.reduce((sum, run) => sum + run[key], 0);
				const eventsByType: Record<string, number> = {};
				for (const request of sink.requests) {
					const type = String(eventOf(request).type);
					eventsByType[type] = (eventsByType[type] ?? 0) + 1;
				}
				timings.syncRunsInParallel = maxOverlap(SYNC_ID);
				timings.handlerRunsInParallel = maxOverlap(HANDLER_ID);
				process.stderr.write(
					`[e2e] alertBurst routing ${JSON.stringify({ needsAttention: total('needsAttention'), ok: total('ok'), alreadyReported: total('alreadyReported') })} events ${JSON.stringify(eventsByType)}\n`,
				);

				// The burst really was concurrent: the error-workflow runs overlapped, so the ledger was raced.
				expect(timings.handlerRunsInParallel).toBeGreaterThan(1);
				for (const run of routing) expect(run).toMatchObject({ mode: 'error', status: 'success' });
				expect({
					needsAttention: total('needsAttention'),
					ok: total('ok'),
					alreadyReported: total('alreadyReported'),
				}).toEqual({ needsAttention: 1, ok: 0, alreadyReported: BURST - 1 });
				for (const run of routing) expect(run.needsAttention + run.ok + run.alreadyReported).toBe(1);

				const alerted = handled.find((execution) => storedNodeOutput(execution, DIAGNOSE, NEEDS_ATTENTION).length)!;
				expect(storedNodeOutput(alerted, DIAGNOSE, NEEDS_ATTENTION)[0]).toMatchObject({
					isOAuthIssue: true,
					category: 'refresh_token_invalid',
					action: 'reconnect',
					credential: { type: GOOGLE.type, id: GOOGLE.id, name: GOOGLE.name },
					source: { workflowId: SYNC_ID, mode: 'webhook' },
					delivery: { status: 'delivered' },
				});
				expect(storedNodeOutput(alerted, 'Alert: add Slack or Email here')).toHaveLength(1);
				for (const execution of handled.filter((run) => run !== alerted)) {
					expect(storedNodeOutput(execution, DIAGNOSE, ALREADY_REPORTED)[0]).toMatchObject({
						duplicate: true,
						category: 'refresh_token_invalid',
						credential: { id: GOOGLE.id, name: GOOGLE.name },
					});
					expect(storedNodeOutput(execution, 'Already reported')).toHaveLength(1);
					expect(storedNodeOutput(execution, 'Alert: add Slack or Email here')).toEqual([]);
				}

				expect(eventsByType['io.n8n.tokenguard.error.diagnosed']).toBe(1);
				expect(eventsByType['io.n8n.tokenguard.refresh.failed'] ?? 0).toBeLessThanOrEqual(1);
				const nowSeconds = Math.floor(Date.now() / 1000);
				for (const request of sink.requests)
					expect(verifyStandardWebhook(SECRETS.signingSecret, request.headers, request.body, nowSeconds)).toBeNull();
				const diagnosis = JSON.parse(
					sink.requests.find((request) => eventOf(request).type === 'io.n8n.tokenguard.error.diagnosed')!.body,
				) as Record<string, any>;
				expect(diagnosis).toMatchObject({
					specversion: '1.0',
					source: expect.stringMatching(new RegExp(`/workflow/${SYNC_ID}$`)),
					data: { category: 'refresh_token_invalid', credential: { id: GOOGLE.id, name: GOOGLE.name } },
				});
				timings.burstMs = Date.now() - started;
				burstPassed = true;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'the credential is reconnected → the next check in the error workflow sends ONE signed refresh.recovered with the outage digest; a second check sends none',
		withN8nLog(
			() => userFolder,
			async () => {
				if (!burstPassed) throw new Error('the burst test did not pass; there is no episode to recover from');
				// The check below runs in the companion, whose process memory is its own (n8n's scanner forbids sharing one
				// between packages): it reads the episode from static data, where n8n keeps the last write of the 20
				// concurrent handler runs, not the fullest. One more failure after the burst has settled writes the
				// whole episode from the core's memory.
				const settle = await callProductionWebhook(server!.baseUrl, SYNC_PATH, { order: BURST });
				expect(settle.status).toBe(200);
				const settleDeadline = Date.now() + 60_000;
				while (
					readExecutions(userFolder).filter((e) => e.workflowId === HANDLER_ID && e.status === 'success').length <=
					BURST
				) {
					if (Date.now() > settleDeadline) throw new Error('the failure after the burst was not handled within 60 s');
					await sleep(250);
				}
				const burstEvents = sink.requests.length;
				expect(countOf(RECOVERED)).toBe(0);

				// Reconnect: the same credential id gets a fresh, working grant, written while n8n runs.
				const startedReconnect = Date.now();
				const freshGrant = await oidc.mintGrant({ clientId: clientFor(oidc, GOOGLE.type) });
				await importCredentials(userFolder, [connectCredential(oidc, freshGrant, GOOGLE)]);
				timings.reconnectMs = Date.now() - startedReconnect;

				const started = Date.now();
				const first = await callProductionWebhook(server!.baseUrl, CHECK_PATH, {});
				expect(first.status).toBe(200);
				await sink.waitFor((requests) => requests.some((request) => eventOf(request).type === RECOVERED), 60_000);
				const [firstCheck] = await waitForFinishedChecks(1, 60_000);
				timings.recoveredMs = Date.now() - started;
				// Give a straggler (a second recovery would be one) a moment.
				await sleep(1000);

				expect(firstCheck).toMatchObject({ mode: 'webhook', status: 'success' });
				const checkItems = [0, 1, 2].flatMap((output) => storedNodeOutput(firstCheck, CHECK, output));
				expect(checkItems).toHaveLength(1);
				expect(checkItems[0]).toMatchObject({
					status: 'healthy',
					credential: { type: GOOGLE.type, id: GOOGLE.id },
					recovered: { failures: expect.any(Number), downtimeMs: expect.any(Number) },
				});

				const recoveries = sink.requests.filter((request) => eventOf(request).type === RECOVERED);
				expect(recoveries).toHaveLength(1);
				const recovery = JSON.parse(recoveries[0].body) as Record<string, any>;
				const recoveryData = recovery.data as Record<string, any>;
				timings.recoveredOccurrences = recoveryData.occurrences;
				timings.recoveredDowntimeMs = recoveryData.details?.downtimeMs;
				process.stderr.write(
					`[e2e] alertBurst recovery ${JSON.stringify({ occurrences: recoveryData.occurrences, workflows: recoveryData.workflows, downtimeMs: recoveryData.details?.downtimeMs, failures: recoveryData.details?.failures, eventsAfterBurst: sink.requests.slice(burstEvents).map((request) => eventOf(request).type) })}\n`,
				);
				expect(recoveries[0].path).toBe('/token-guard-builtin');
				expect(
					verifyStandardWebhook(
						SECRETS.companionSigningSecret,
						recoveries[0].headers,
						recoveries[0].body,
						Math.floor(Date.now() / 1000),
					),
				).toBeNull();
				expect(
					verifyStandardWebhook(
						SECRETS.signingSecret,
						recoveries[0].headers,
						recoveries[0].body,
						Math.floor(Date.now() / 1000),
					),
				).not.toBeNull();
				expect(recovery).toMatchObject({
					specversion: '1.0',
					type: RECOVERED,
					data: { category: 'refresh_token_invalid', credential: { id: GOOGLE.id } },
				});
				expect(recoveryData.occurrences).toBeGreaterThanOrEqual(BURST + 1);
				expect(recoveryData.workflows).toEqual(expect.arrayContaining([SYNC_ID]));
				expect(recoveryData.details.downtimeMs).toBeGreaterThan(0);
				expect(countOf(DIAGNOSED)).toBe(1);
				const healthChecksAfterFirst = countOf('io.n8n.tokenguard.health.checked');
				expect(healthChecksAfterFirst).toBe(1);

				// The episode is over: the next check is healthy and announces nothing more.
				const second = await callProductionWebhook(server!.baseUrl, CHECK_PATH, {});
				expect(second.status).toBe(200);
				const checks = await waitForFinishedChecks(2, 60_000);
				await sleep(1000);
				for (const check of checks) expect(check).toMatchObject({ mode: 'webhook', status: 'success' });
				const secondItems = [0, 1, 2].flatMap((output) => storedNodeOutput(checks[1], CHECK, output));
				expect(secondItems).toHaveLength(1);
				expect(secondItems[0]).toMatchObject({ status: 'healthy' });
				expect(secondItems[0].recovered).toBeUndefined();
				// The second check did send its events (so the missing recovery is not a missing delivery)…
				expect(countOf('io.n8n.tokenguard.health.checked')).toBe(healthChecksAfterFirst + 1);
				// …and no second recovery.
				expect(countOf(RECOVERED)).toBe(1);
				expect(countOf(DIAGNOSED)).toBe(1);
				// Everything the check branch sent went through the companion's webhook credential.
				const nowSeconds = Math.floor(Date.now() / 1000);
				for (const request of sink.requests.slice(burstEvents)) {
					expect(request.path).toBe('/token-guard-builtin');
					expect(
						verifyStandardWebhook(SECRETS.companionSigningSecret, request.headers, request.body, nowSeconds),
					).toBeNull();
				}
				process.stderr.write(
					`[e2e] alertBurst check-branch events (both checks) ${JSON.stringify(sink.requests.slice(burstEvents).map((request) => eventOf(request).type))}\n`,
				);
				timings.recoveryTestMs = Date.now() - startedReconnect;
			},
		),
		TEST_TIMEOUT_MS,
	);
});
