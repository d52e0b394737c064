/**
 * One alert per broken credential, however many executions fail at once, in a running `n8n start`.
 * A published production workflow ("nightly sync") reads through n8n's HTTP Request node with a Google
 * Sheets credential whose access token is stale and whose grant was revoked; 20 webhook calls arrive at
 * the same moment, so 20 executions fail together and n8n dispatches 20 runs of the error workflow (the
 * OAuth error handler example, Token Health v2 Diagnose Error, 60-minute cooldown) in parallel. Token
 * Health's alert ledger (process memory merged with workflow static data) lets exactly one of them
 * through to Needs Attention and send a signed `error.diagnosed` CloudEvent; the other 19 go to
 * Already Reported and send nothing.
 */
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
	logTail,
	n8n,
	packRepo,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { clientFor, connectCredential, webhookCredential } from './support/credentials';
import type { StoredExecution } from './support/database';
import { queryDatabase, readExecutions, storedNodeOutput, waitForPublishedVersions } from './support/database';
import { exampleWorkflow } from './support/examples';
import { withN8nLog } from './support/logOnFailure';
import type { N8nServer } from './support/n8nServer';
import { callProductionWebhook, startN8nServer } from './support/n8nServer';
import { canary } from './support/secrets';
import { verifyStandardWebhook } from './support/standardWebhooks';
import type { ReceivedRequest, WebhookSink } from './support/webhookSink';
import { startWebhookSink } from './support/webhookSink';
import { webhookWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 3 * 60_000;
const BURST = 20;

const SIGNING_KEY = canary('burst-signing-key');
const SECRETS = {
	clientSecret: canary('burst-client-secret'),
	signingSecret: `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`,
};

const HANDLER_ID = 'e2eBurstHandler1';
const SYNC_ID = 'e2eBurstSync0001';
const SYNC_PATH = 'burst-sync';
const GOOGLE = { id: 'e2eBurstGoogle01', name: 'Nightly Google', type: 'googleSheetsOAuth2Api' as const };
const WEBHOOK_CREDENTIAL = { id: 'e2eBurstSink0001', name: 'Burst alerts receiver' };
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
const timings: Record<string, number> = {};

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function eventType(request: ReceivedRequest): unknown {
	try {
		return (JSON.parse(request.body) as { type?: unknown }).type;
	} catch {
		return undefined;
	}
}

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

function summarize(executions: StoredExecution[]): string {
	return JSON.stringify(executions.map(({ id, workflowId, mode, status }) => ({ id, workflowId, mode, status })));
}

beforeAll(async () => {
	const started = Date.now();
	await ensureN8nInstalled();
	const tarball = await packRepo('core');
	oidc = await startOidcServer({ clientSecret: SECRETS.clientSecret });
	sink = await startWebhookSink();
	grant = await oidc.mintGrant({ clientId: clientFor(oidc, GOOGLE.type) });

	const google = connectCredential(oidc, grant, GOOGLE);
	// A stale access token: the API refuses it, so n8n tries the (revoked) refresh token.
	const tokenData = google.data.oauthTokenData as Record<string, unknown>;
	google.data.oauthTokenData = { ...tokenData, access_token: 'stale-access-token-the-api-refuses' };

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		google,
		webhookCredential(WEBHOOK_CREDENTIAL, sink.url('token-guard'), SECRETS.signingSecret),
	]);
	await importWorkflow(userFolder, [
		exampleWorkflow('oauth-error-handler', { webhookCredentialId: WEBHOOK_CREDENTIAL.id }, { id: HANDLER_ID }),
		webhookWorkflow(
			SYNC_ID,
			'Nightly sync',
			SYNC_PATH,
			[
				{
					name: 'Read sheet',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					parameters: {
						method: 'GET',
						url: oidc.apiUrl('me'),
						authentication: 'predefinedCredentialType',
						nodeCredentialType: GOOGLE.type,
						options: {},
					},
					credentials: { [GOOGLE.type]: { id: GOOGLE.id, name: GOOGLE.name } },
				},
			],
			{ errorWorkflow: HANDLER_ID },
		),
	]);
	for (const id of [HANDLER_ID, SYNC_ID]) {
		const published = await n8n(['publish:workflow', `--id=${id}`], { userFolder });
		if (published.code !== 0) throw new Error(`publish:workflow ${id} failed\n${logTail(userFolder)}`);
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
					expect(execution.data?.resultData?.error?.message).toMatch(
						/^The credential "Nightly Google" needs to be reconnected\.$/,
					);
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
					const type = String(eventType(request));
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
					sink.requests.find((request) => eventType(request) === 'io.n8n.tokenguard.error.diagnosed')!.body,
				) as Record<string, any>;
				expect(diagnosis).toMatchObject({
					specversion: '1.0',
					source: expect.stringMatching(new RegExp(`/workflow/${SYNC_ID}$`)),
					data: { category: 'refresh_token_invalid', credential: { id: GOOGLE.id, name: GOOGLE.name } },
				});
				timings.burstMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);
});
