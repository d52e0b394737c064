/**
 * The OAuth error handler example as a real error workflow. Production workflows (Webhook-triggered,
 * published) whose credential's grant was revoked fail in a running `n8n start`; n8n dispatches their
 * `settings.errorWorkflow`; Token Health diagnoses `refresh_token_invalid`, names the credential and
 * delivers a signed CloudEvent to a receiver in this test, which verifies the signature itself. The example's
 * Token Health is version 2: a repeat of the same failure inside the cooldown goes to its third output,
 * "Already Reported" (node "Already reported"), and sends no second event.
 *
 * Why `n8n start` and not `n8n execute`: n8n 2.40's `execute` dispatches the error workflow without
 * awaiting it and exits 100 ms after the failed run, so the error workflow is cut off mid-run (its
 * execution stays "running"; whether its webhook got out is a race). A running instance is also what
 * users have.
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
	logTail,
	publishWorkflow,
	packRepo,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { clientFor, connectCredential, webhookCredential } from './support/credentials';
import type { StoredExecution } from './support/database';
import { readExecutions, storedNodeOutput, waitForPublishedVersions } from './support/database';
import { itNeeds, n8nFeatures, revokedGrantMessage } from './support/features';
import { exampleWorkflow } from './support/examples';
import type { N8nServer } from './support/n8nServer';
import { callProductionWebhook, startN8nServer } from './support/n8nServer';
import { withN8nLog } from './support/logOnFailure';
import { canary, findLeaks, n8nWrittenTexts } from './support/secrets';
import { verifyStandardWebhook } from './support/standardWebhooks';
import type { WebhookSink } from './support/webhookSink';
import { startWebhookSink } from './support/webhookSink';
import type { WorkflowNode } from './support/workflows';
import { httpGetWithCredential, webhookWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 3 * 60_000;

const SIGNING_KEY = canary('signing-key');
const SECRETS = {
	clientSecret: canary('client-secret'),
	signingKey: SIGNING_KEY,
	signingSecret: `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`,
	receiverApiKey: canary('receiver-api-key'),
};

const HANDLER_ID = 'e2eErrHandler001';
/** Token Health version 2's third output; version 1 had two and sent repeats to OK. */
const ALREADY_REPORTED = 2;
const WEBHOOK_CREDENTIAL = { id: 'e2eAlertSink0001', name: 'Alerts receiver' };

interface FailureCase {
	label: string;
	workflowId: string;
	path: string;
	credential: { id: string; name: string; type: 'googleSheetsOAuth2Api' | 'tokenGuardOAuth2Api' };
	failingNode: (apiUrl: string) => WorkflowNode;
	/** The failed execution's error message: n8n's own wording, or Token Guard's for its own node. */
	errorMessage: RegExp;
	grant?: MintedGrant;
}

const FAILURES: FailureCase[] = [
	{
		label: "n8n's HTTP Request node with a built-in Google Sheets credential",
		workflowId: 'e2eFailHttpNode1',
		path: 'token-guard-e2e-http-node',
		credential: { id: 'e2eDemoGoogle001', name: 'Demo Google', type: 'googleSheetsOAuth2Api' },
		failingNode: (apiUrl) =>
			httpGetWithCredential('Read sheet', apiUrl, {
				id: 'e2eDemoGoogle001',
				name: 'Demo Google',
				type: 'googleSheetsOAuth2Api',
			}),
		errorMessage: revokedGrantMessage('Demo Google'),
	},
	{
		label: 'Force Refresh (Request With Auto-Refresh) with a Token Guard OAuth2 credential',
		workflowId: 'e2eFailForceRef1',
		path: 'token-guard-e2e-force-refresh',
		credential: { id: 'e2eDemoCrm000001', name: 'Demo CRM', type: 'tokenGuardOAuth2Api' },
		failingNode: (apiUrl) => ({
			name: 'Fetch contacts',
			type: 'n8n-nodes-token-guard.forceRefresh',
			typeVersion: 1,
			parameters: { credentialType: 'tokenGuardOAuth2Api', operation: 'request', method: 'GET', url: apiUrl },
			credentials: { tokenGuardOAuth2Api: { id: 'e2eDemoCrm000001', name: 'Demo CRM' } },
		}),
		errorMessage: /^The credential "Demo CRM" can no longer refresh its access token: .*Reconnect the credential\.$/,
	},
];

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let sink: WebhookSink;
let server: N8nServer | undefined;
const timings: Record<string, number> = {};

function parsedBody(request: { body: string }): Record<string, any> {
	return JSON.parse(request.body) as Record<string, any>;
}

async function waitForExecutions(
	predicate: (executions: StoredExecution[]) => boolean,
	timeoutMs: number,
): Promise<StoredExecution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const executions = readExecutions(userFolder);
		if (predicate(executions)) return executions;
		if (Date.now() > deadline) {
			throw new Error(
				`executions never reached the expected state: ${JSON.stringify(executions.map(({ id, workflowId, mode, status }) => ({ id, workflowId, mode, status })))}\n--- n8n log tail ---\n${logTail(userFolder)}`,
			);
		}
		await sleep(500);
	}
}

beforeAll(async () => {
	let started = Date.now();
	await ensureN8nInstalled();
	const tarball = await packRepo();
	oidc = await startOidcServer({ clientSecret: SECRETS.clientSecret });
	sink = await startWebhookSink();
	for (const failure of FAILURES) {
		failure.grant = await oidc.mintGrant({ clientId: clientFor(oidc, failure.credential.type) });
	}

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		...FAILURES.map((failure) => connectCredential(oidc, failure.grant!, failure.credential)),
		webhookCredential(WEBHOOK_CREDENTIAL, sink.url('token-guard'), SECRETS.signingSecret, {
			'X-Api-Key': SECRETS.receiverApiKey,
		}),
	]);
	await importWorkflow(userFolder, [
		exampleWorkflow('oauth-error-handler', { webhookCredentialId: WEBHOOK_CREDENTIAL.id }, { id: HANDLER_ID }),
		...FAILURES.map((failure) =>
			webhookWorkflow(
				failure.workflowId,
				`Fails: ${failure.label}`,
				failure.path,
				[failure.failingNode(oidc.apiUrl('me'))],
				{ errorWorkflow: HANDLER_ID },
			),
		),
	]);
	// Published (active) workflows only: n8n runs an error workflow only if it is published, and serves
	// production webhooks only for published workflows.
	for (const id of [HANDLER_ID, ...FAILURES.map((failure) => failure.workflowId)]) {
		await publishWorkflow(userFolder, id);
	}
	timings.prepareMs = Date.now() - started;

	started = Date.now();
	server = await startN8nServer(userFolder);
	await waitForPublishedVersions(userFolder, [HANDLER_ID, ...FAILURES.map((failure) => failure.workflowId)]);
	timings.startMs = Date.now() - started;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await server?.stop();
	await Promise.all([oidc?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(`[e2e-timing] errorWorkflow ${JSON.stringify(timings)}\n`);
});

describe('OAuth error handler example as the error workflow of production workflows (n8n start)', () => {
	it(
		'n8n loaded the package and serves its health endpoint',
		withN8nLog(
			() => userFolder,
			async () => {
				assertPackageLoaded(userFolder);
				expect((await httpRequest(`${server!.baseUrl}/healthz`)).status).toBe(200);
			},
		),
	);

	it.each(FAILURES)(
		'$label: revoked grant → the run fails → the error workflow diagnoses refresh_token_invalid for that credential and a signed CloudEvent arrives',
		withN8nLog(
			() => userFolder,
			async (failure) => {
				const started = Date.now();
				await oidc.revokeGrant(failure.grant!.grantId);

				const response = await callProductionWebhook(server!.baseUrl, failure.path, { order: 42 });
				expect(response.status).toBe(200);

				const isDiagnosis = (request: { body: string }) =>
					parsedBody(request).type === 'io.n8n.tokenguard.error.diagnosed' &&
					parsedBody(request).data?.credential?.id === failure.credential.id;
				const deliveries = await sink.waitFor((requests) => requests.some(isDiagnosis), 60_000);
				const executions = await waitForExecutions(
					(all) =>
						all.some((execution) => execution.workflowId === failure.workflowId && execution.status === 'error') &&
						all.some(
							(execution) =>
								execution.workflowId === HANDLER_ID &&
								execution.status === 'success' &&
								JSON.stringify(execution.data).includes(failure.credential.id),
						),
					60_000,
				);

				const failed = executions.find(
					(execution) => execution.workflowId === failure.workflowId && execution.status === 'error',
				)!;
				expect(failed.mode).toBe('webhook');
				expect(failed.data?.resultData?.error?.message).toMatch(failure.errorMessage);

				const handled = executions.find(
					(execution) =>
						execution.workflowId === HANDLER_ID &&
						execution.mode === 'error' &&
						JSON.stringify(execution.data).includes(failure.credential.id),
				)!;
				const [diagnosis] = storedNodeOutput(handled, 'Diagnose the failure', 0);
				expect(diagnosis).toMatchObject({
					isOAuthIssue: true,
					category: 'refresh_token_invalid',
					action: 'reconnect',
					severity: 'critical',
					credential: { type: failure.credential.type, id: failure.credential.id, name: failure.credential.name },
					source: { executionId: failed.id, workflowId: failure.workflowId, mode: 'webhook' },
					delivery: { status: 'delivered' },
				});
				expect(storedNodeOutput(handled, 'Alert: add Slack or Email here')).toHaveLength(1);
				expect(storedNodeOutput(handled, 'Not a token problem')).toEqual([]);
				expect(storedNodeOutput(handled, 'Diagnose the failure', ALREADY_REPORTED)).toEqual([]);
				expect(storedNodeOutput(handled, 'Already reported')).toEqual([]);

				const nowSeconds = Math.floor(Date.now() / 1000);
				const event = deliveries.find(isDiagnosis)!;
				expect(verifyStandardWebhook(SECRETS.signingSecret, event.headers, event.body, nowSeconds)).toBeNull();
				const cloudEvent = parsedBody(event);
				expect(cloudEvent).toMatchObject({
					specversion: '1.0',
					id: event.headers['webhook-id'],
					type: 'io.n8n.tokenguard.error.diagnosed',
					source: expect.stringMatching(new RegExp(`/workflow/${failure.workflowId}$`)),
					datacontenttype: 'application/json',
					data: {
						category: 'refresh_token_invalid',
						action: 'reconnect',
						credential: { id: failure.credential.id, name: failure.credential.name },
						execution: { id: failed.id, mode: 'webhook' },
					},
				});
				expect(event.headers['x-api-key']).toBe(SECRETS.receiverApiKey);
				// The receiver rejects a forged or altered delivery: the check above can fail.
				expect(
					verifyStandardWebhook(
						SECRETS.signingSecret,
						event.headers,
						event.body.replace('critical', 'info'),
						nowSeconds,
					),
				).not.toBeNull();
				timings[failure.workflowId] = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	itNeeds('n8n 2.39+ (error.failure)', n8nFeatures().errorFailure)(
		"Force Refresh's failed run carries n8n's failure declaration: error.failure.cause credential-invalid",
		withN8nLog(
			() => userFolder,
			async () => {
				const failed = readExecutions(userFolder).find(
					(execution) => execution.workflowId === FAILURES[1].workflowId && execution.status === 'error',
				);
				expect(failed?.data?.resultData?.error?.failure).toEqual({ cause: 'credential-invalid' });
			},
		),
	);

	it(
		'the same failure again inside the cooldown → the error workflow sends it to Already reported (duplicate: true), not to the alert or "Not a token problem", and no second event',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				const [failure] = FAILURES;
				const isHandlerRun = (execution: StoredExecution) =>
					execution.workflowId === HANDLER_ID &&
					execution.status === 'success' &&
					JSON.stringify(execution.data).includes(failure.credential.id);
				const isDiagnosis = (request: { body: string }) =>
					parsedBody(request).type === 'io.n8n.tokenguard.error.diagnosed' &&
					parsedBody(request).data?.credential?.id === failure.credential.id;
				const handledBefore = readExecutions(userFolder)
					.filter(isHandlerRun)
					.map((execution) => execution.id);
				expect(handledBefore).toHaveLength(1);
				const deliveriesBefore = sink.requests.length;

				const response = await callProductionWebhook(server!.baseUrl, failure.path, { order: 43 });
				expect(response.status).toBe(200);

				const executions = await waitForExecutions(
					(all) => all.filter(isHandlerRun).length === handledBefore.length + 1,
					60_000,
				);
				const repeat = executions.find(
					(execution) => isHandlerRun(execution) && !handledBefore.includes(execution.id),
				)!;
				expect(storedNodeOutput(repeat, 'Diagnose the failure', 0)).toEqual([]);
				const [duplicate] = storedNodeOutput(repeat, 'Diagnose the failure', ALREADY_REPORTED);
				expect(duplicate).toMatchObject({
					duplicate: true,
					category: 'refresh_token_invalid',
					credential: { id: failure.credential.id, name: failure.credential.name },
				});
				expect(storedNodeOutput(repeat, 'Already reported')).toHaveLength(1);
				expect(storedNodeOutput(repeat, 'Alert: add Slack or Email here')).toEqual([]);
				expect(storedNodeOutput(repeat, 'Not a token problem')).toEqual([]);
				// The handler run has finished, so any event it sent has arrived: none.
				expect(sink.requests.slice(deliveriesBefore).filter(isDiagnosis)).toEqual([]);
				expect(sink.requests.filter(isDiagnosis)).toHaveLength(1);
				timings.repeatMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'every delivery verifies, and canary secrets appear in no webhook body, execution data, database, log or console output',
		withN8nLog(
			() => userFolder,
			async () => {
				const nowSeconds = Math.floor(Date.now() / 1000);
				expect(sink.requests.length).toBeGreaterThanOrEqual(FAILURES.length);
				for (const request of sink.requests)
					expect(verifyStandardWebhook(SECRETS.signingSecret, request.headers, request.body, nowSeconds)).toBeNull();

				const tokens = Object.fromEntries(
					FAILURES.flatMap((failure) => [
						[`${failure.credential.name} refresh token`, failure.grant!.refreshToken],
						[`${failure.credential.name} access token`, failure.grant!.accessToken],
					]),
				);
				const texts: Record<string, string> = {
					...n8nWrittenTexts(userFolder),
					'n8n console output': server!.output(),
					'webhook bodies': sink.requests.map((request) => request.body).join('\n'),
				};
				// The search can find something: the diagnoses are in there, by credential name.
				for (const name of ['execution data', 'n8n log file', 'webhook bodies'])
					expect(texts[name]).toContain('Demo Google');

				expect(findLeaks({ ...SECRETS, ...tokens }, texts)).toEqual([]);
			},
		),
	);
});
