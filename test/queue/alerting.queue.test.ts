/**
 * Alerting across queue-mode workers: 20 production executions of one workflow fail at once on the same
 * revoked Google credential (n8n's HTTP Request node), spread over 2 workers; n8n runs the error workflow (the
 * OAuth error handler example: Token Health Diagnose Error, 60-minute cooldown) for each. The alert ledger's
 * memory is per process and its static data is written by whichever worker finishes last, so both workers may
 * each let one alert through; what holds across processes is the event id: every process that alerts this
 * episode in the same cooldown window signs its event with the same `webhook-id`. A receiver de-duplicating on
 * `webhook-id` (as Standard Webhooks receivers do) therefore sees exactly one alert.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import { clientFor, connectCredential, webhookCredential } from '../e2e/support/credentials';
import { readExecutions, storedNodeOutput } from '../e2e/support/database';
import { exampleWorkflow } from '../e2e/support/examples';
import { withN8nLog } from '../e2e/support/logOnFailure';
import { callProductionWebhook } from '../e2e/support/n8nServer';
import { canary } from '../e2e/support/secrets';
import { verifyStandardWebhook } from '../e2e/support/standardWebhooks';
import type { WebhookSink } from '../e2e/support/webhookSink';
import { eventOf, startWebhookSink } from '../e2e/support/webhookSink';
import { finishedBurst, workerSpread } from './support/bursts';
import type { QueueCluster } from './support/queueCluster';
import { startQueueCluster } from './support/queueCluster';
import { httpGetWithCredential } from '../e2e/support/workflows';
import { burstBody, burstWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 4 * 60_000;
const BURST = 20;
const DIAGNOSED = 'io.n8n.tokenguard.error.diagnosed';
/** The example's Token Health node; its outputs: Needs Attention, OK, Already Reported. */
const DIAGNOSE = 'Diagnose the failure';

const SIGNING_KEY = canary('queue-alert-signing-key');
const SIGNING_SECRET = `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`;
const HANDLER_ID = 'queueAlertHandl1';
const SYNC = { id: 'queueAlertSync01', path: 'queue-alert-sync' };
const GOOGLE = { id: 'queueAlertGoogl1', name: 'Queue nightly Google', type: 'googleSheetsOAuth2Api' as const };
const WEBHOOK_CREDENTIAL = { id: 'queueAlertSink01', name: 'Queue alerts receiver' };

let oidc: OidcServerHandle;
let sink: WebhookSink;
let cluster: QueueCluster;
let grant: MintedGrant;
const report: Record<string, unknown> = {};

beforeAll(async () => {
	oidc = await startOidcServer({ clientSecret: canary('queue-alert-client-secret') });
	sink = await startWebhookSink();
	grant = await oidc.mintGrant({ clientId: clientFor(oidc, GOOGLE.type) });
	const google = connectCredential(oidc, grant, GOOGLE);
	const tokenData = google.data.oauthTokenData as Record<string, unknown>;
	google.data.oauthTokenData = { ...tokenData, access_token: 'stale-access-token-the-api-refuses' };
	cluster = await startQueueCluster({
		packages: ['core'],
		credentials: [google, webhookCredential(WEBHOOK_CREDENTIAL, sink.url('token-guard'), SIGNING_SECRET)],
		workflows: [
			exampleWorkflow('oauth-error-handler', { webhookCredentialId: WEBHOOK_CREDENTIAL.id }, { id: HANDLER_ID }),
			burstWorkflow(
				SYNC.id,
				'Queue nightly sync',
				SYNC.path,
				[httpGetWithCredential('Read sheet', oidc.apiUrl('me'), GOOGLE)],
				{ errorWorkflow: HANDLER_ID },
			),
		],
		publish: [HANDLER_ID, SYNC.id],
	});
	await oidc.revokeGrant(grant.grantId);
	report.cluster = cluster.timings;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await cluster?.stop();
	await Promise.all([oidc?.stop(), sink?.stop()]);
	process.stderr.write(`[queue] alerting ${JSON.stringify(report)}\n`);
});

describe('alerting across 2 queue-mode workers', () => {
	it(
		`${BURST} concurrent failures of one credential on both workers → a receiver de-duplicating on webhook-id sees exactly 1 alert`,
		withN8nLog(
			() => cluster?.userFolder,
			async () => {
				const responses = await Promise.all(
					Array.from({ length: BURST }, (_, order) =>
						callProductionWebhook(cluster.main.baseUrl, SYNC.path, burstBody(1, { order })),
					),
				);
				expect(responses.map((response) => response.status)).toEqual(Array(BURST).fill(200));
				const failed = await finishedBurst(cluster, SYNC.id, BURST, 180_000);
				await finishedBurst(cluster, HANDLER_ID, BURST, 180_000);
				// Any event a finished handler run sent has arrived; give a straggler a moment anyway.
				await sleep(1500);

				const spread = workerSpread(cluster, failed);
				const byWorker = cluster.executionsByWorker();
				const handlers = readExecutions(cluster.userFolder).filter((execution) => execution.workflowId === HANDLER_ID);
				const handlerWorkers: Record<string, number> = {};
				for (const handler of handlers) {
					const worker = byWorker.get(handler.id) ?? 'main';
					handlerWorkers[worker] = (handlerWorkers[worker] ?? 0) + 1;
				}
				const alerts = sink.requests.filter((request) => eventOf(request).type === DIAGNOSED);
				const alertIds = new Set(alerts.map((request) => String(request.headers['webhook-id'])));
				const eventsByType: Record<string, number> = {};
				for (const request of sink.requests) {
					const type = String(eventOf(request).type);
					eventsByType[type] = (eventsByType[type] ?? 0) + 1;
				}
				report.burst = {
					syncSpread: spread.byMarker,
					handlerRunsOn: handlerWorkers,
					diagnosedDeliveries: alerts.length,
					distinctWebhookIds: alertIds.size,
					eventsByType,
				};

				for (const execution of failed) expect(execution.status).toBe('error');
				expect(Object.keys(spread.byMarker).sort()).toEqual(['worker-1', 'worker-2']);
				expect(spread.markerMatchesLog).toBe(true);
				expect(handlers).toHaveLength(BURST);
				// Error workflows run on the workers, and Diagnose Error reads the failure there as in regular mode.
				expect(Object.keys(handlerWorkers).every((worker) => /^worker-\d$/.test(worker))).toBe(true);
				const routed = handlers.map((handler) =>
					[0, 1, 2].flatMap((output) => storedNodeOutput(handler, DIAGNOSE, output)),
				);
				report.burst = {
					...(report.burst as object),
					needsAttention: handlers.filter((handler) => storedNodeOutput(handler, DIAGNOSE, 0).length).length,
				};
				for (const [index, items] of routed.entries()) {
					expect(handlers[index].status).toBe('success');
					expect(items).toHaveLength(1);
					expect(items[0]).toMatchObject({ category: 'refresh_token_invalid', credential: { id: GOOGLE.id } });
				}
				expect(alerts.length).toBeGreaterThanOrEqual(1);
				expect(alertIds.size).toBe(1);
				const nowSeconds = Math.floor(Date.now() / 1000);
				for (const request of sink.requests)
					expect(verifyStandardWebhook(SIGNING_SECRET, request.headers, request.body, nowSeconds)).toBeNull();
			},
		),
		TEST_TIMEOUT_MS,
	);
});
