/**
 * Heal, not just warn: the executions a dead credential broke are replayed once it works again, in a running
 * `n8n start`, through n8n's own public API (POST /api/v1/executions/{id}/retry) with an API key the owner creates.
 *
 * A published production workflow ("Order sync") reads through n8n's HTTP Request node with a Token Guard OAuth2
 * credential whose access token is stale and whose grant was revoked at the authorization server. Its error workflow
 * ("Self-healing") has the Error Trigger → Token Health Diagnose Error branch and, sharing its alert memory, Webhook →
 * Token Health Check Credential branches with Replay Failed Executions After Recovery on (one with the default cap,
 * one with a cap of 3, one whose API key may read executions but not retry them) and an Audit Credentials branch.
 *
 * - 10 executions fail → Diagnose Error records the 10 in the episode (workflow static data: ids, workflow, time).
 * - The credential is reconnected (a fresh grant) → Check Credential: exactly 10 retries in n8n's execution list with
 *   retryOf set to the 10 failed executions, all succeeded; one output item per replay; refresh.recovered carries
 *   10/10 and "10 executions replayed, 10 succeeded".
 * - A second check replays nothing and starts no retry.
 * - Revoked again, 10 more failures; a key without execution:retry stops the check with an error naming the scope and
 *   leaves the episode open; the cap-3 check then replays 3 and says 7 were left.
 * - Broken again, 4 failures: Audit Credentials (replay on) finds the credential healthy and replays the 4.
 * - The API keys appear nowhere: execution data, n8n's log and console, the receiver.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readFileSync } from 'node:fs';

import { httpRequest } from '../servers/httpClient';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { UserFolder } from './n8n';
import {
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	packRepo,
	publishWorkflow,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { createApiKey } from './support/apiKeys';
import type { CredentialRecord } from './support/credentials';
import { clientFor, connectCredential, webhookCredential } from './support/credentials';
import type { StoredExecution } from './support/database';
import { queryDatabase, readExecutions, storedNodeOutput, waitForPublishedVersions } from './support/database';
import { ownerEnvironment } from './support/dev';
import { itNeeds, n8nFeatures, revokedGrantMessage } from './support/features';
import { withN8nLog } from './support/logOnFailure';
import type { N8nServer } from './support/n8nServer';
import { callProductionWebhook, startN8nServer } from './support/n8nServer';
import { canary, findLeaks } from './support/secrets';
import type { WebhookSink } from './support/webhookSink';
import { eventOf, startWebhookSink } from './support/webhookSink';
import type { Workflow, WorkflowNode } from './support/workflows';
import { httpGetWithCredential, webhookWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 4 * 60_000;
const FAILURES = 10;

const SIGNING_KEY = canary('replay-signing-key');
const SIGNING_SECRET = `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`;
const CLIENT_SECRET = canary('replay-client-secret');

const CRM = { id: 'e2eReplayCrm0001', name: 'CRM account', type: 'tokenGuardOAuth2Api' as const };
const API_CREDENTIAL = { id: 'e2eReplayN8nApi1', name: 'This n8n (replay)', type: 'tokenGuardN8nApi' };
const READ_ONLY_CREDENTIAL = { id: 'e2eReplayN8nApi2', name: 'This n8n (read only)', type: 'tokenGuardN8nApi' };
const AUDIT_CREDENTIAL = { id: 'e2eReplayN8nApi3', name: 'This n8n (audit and replay)', type: 'tokenGuardN8nApi' };
const SINK_CREDENTIAL = { id: 'e2eReplaySink001', name: 'Replay alerts' };
const SYNC = { id: 'e2eReplaySync001', name: 'Order sync', path: 'replay-sync' };
const HANDLER = { id: 'e2eReplayHandler', name: 'Self-healing' };
const CHECKS = {
	all: { path: 'replay-check', node: 'Check and replay' },
	capped: { path: 'replay-check-cap3', node: 'Check and replay 3' },
	readOnly: { path: 'replay-check-read-only', node: 'Check with a read-only key' },
};
const AUDIT = { path: 'replay-audit', node: 'Audit and replay' };
const DIAGNOSE = 'Diagnose the failure';
const RECOVERED = 'io.n8n.tokenguard.refresh.recovered';
const OK = 1;

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let sink: WebhookSink;
let server: N8nServer;
const keys: Record<string, string> = {};
const timings: Record<string, number> = {};

const recoveries = () => sink.requests.filter((request) => eventOf(request).type === RECOVERED).map(eventOf);

/** n8n's Test button (and Audit Credentials) calls the credential's Test URL. */
function withTestUrl(credential: CredentialRecord): CredentialRecord {
	credential.data.testUrl = oidc.apiUrl('me');
	return credential;
}

/** A stale access token and a revoked grant: n8n's refresh is refused, every run of Order sync fails. */
async function brokenCredential(): Promise<CredentialRecord> {
	const grant = await oidc.mintGrant({ clientId: clientFor(oidc, CRM.type) });
	const credential = withTestUrl(connectCredential(oidc, grant, CRM));
	const tokenData = credential.data.oauthTokenData as Record<string, unknown>;
	credential.data.oauthTokenData = { ...tokenData, access_token: 'stale-access-token-the-api-refuses' };
	await oidc.revokeGrant(grant.grantId);
	return credential;
}

/** Reconnect: the same credential id gets a fresh, working grant, written while n8n runs. */
async function reconnect(): Promise<MintedGrant> {
	const grant = await oidc.mintGrant({ clientId: clientFor(oidc, CRM.type) });
	await importCredentials(userFolder, [withTestUrl(connectCredential(oidc, grant, CRM))]);
	return grant;
}

function checkNode(
	name: string,
	apiCredential: { id: string; name: string; type: string },
	replayOptions: Record<string, unknown>,
): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-token-guard.tokenHealth',
		typeVersion: 2,
		parameters: {
			operation: 'checkCredential',
			credentialType: CRM.type,
			refreshNow: true,
			replayFailedExecutions: true,
			replayOptions,
			sendEvents: true,
		},
		credentials: {
			[CRM.type]: { id: CRM.id, name: CRM.name },
			[apiCredential.type]: { id: apiCredential.id, name: apiCredential.name },
			tokenGuardWebhookApi: SINK_CREDENTIAL,
		},
	};
}

/** The error workflow: Error Trigger → Diagnose Error, and three Webhook → Check Credential branches beside it. */
function handlerWorkflow(): Workflow {
	// Each branch built under its own id, so its nodes get ids of their own.
	const branches = [
		webhookWorkflow(`${HANDLER.id}1`, HANDLER.name, CHECKS.all.path, [checkNode(CHECKS.all.node, API_CREDENTIAL, {})]),
		webhookWorkflow(`${HANDLER.id}2`, HANDLER.name, CHECKS.capped.path, [
			checkNode(CHECKS.capped.node, API_CREDENTIAL, { maxExecutions: 3 }),
		]),
		webhookWorkflow(`${HANDLER.id}3`, HANDLER.name, CHECKS.readOnly.path, [
			checkNode(CHECKS.readOnly.node, READ_ONLY_CREDENTIAL, {}),
		]),
		webhookWorkflow(`${HANDLER.id}4`, HANDLER.name, AUDIT.path, [
			{
				name: AUDIT.node,
				type: 'n8n-nodes-token-guard.tokenHealth',
				typeVersion: 2,
				parameters: { operation: 'auditCredentials', auditReplayFailedExecutions: true, sendEvents: true },
				credentials: {
					[AUDIT_CREDENTIAL.type]: { id: AUDIT_CREDENTIAL.id, name: AUDIT_CREDENTIAL.name },
					tokenGuardWebhookApi: SINK_CREDENTIAL,
				},
			},
		]),
	].map((branch, index) => ({
		nodes: branch.nodes.map((node) => ({
			...node,
			// Three Webhook nodes in one workflow need three names.
			name: node.name === 'Webhook' ? `Webhook ${index + 1}` : node.name,
			position: [node.position[0], node.position[1] + 300 * (index + 1)] as [number, number],
		})),
		connections: Object.fromEntries(
			Object.entries(branch.connections).map(([from, value]) => [
				from === 'Webhook' ? `Webhook ${index + 1}` : from,
				value,
			]),
		),
	}));
	const errorTrigger = { name: 'Error Trigger', type: 'n8n-nodes-base.errorTrigger', typeVersion: 1, parameters: {} };
	const diagnose = {
		name: DIAGNOSE,
		type: 'n8n-nodes-token-guard.tokenHealth',
		typeVersion: 2,
		parameters: { operation: 'diagnoseError', alertCooldownMinutes: 60, sendEvents: true },
		credentials: { tokenGuardWebhookApi: SINK_CREDENTIAL },
	};
	const base = webhookWorkflow(HANDLER.id, HANDLER.name, 'unused', []);
	return {
		...base,
		nodes: [
			{ ...errorTrigger, id: '5d0f3c1e-0000-4000-8000-000000000001', position: [0, 0] as [number, number] },
			{ ...diagnose, id: '5d0f3c1e-0000-4000-8000-000000000002', position: [240, 0] as [number, number] },
			...branches.flatMap((branch) => branch.nodes),
		],
		connections: Object.assign(
			{ 'Error Trigger': { main: [[{ node: DIAGNOSE, type: 'main' as const, index: 0 }]] } },
			...branches.map((branch) => branch.connections),
		),
	};
}

/** Calls Order sync `count` times at once and waits for every failure and every run of the error workflow. */
async function failSyncRuns(count = FAILURES): Promise<string[]> {
	const before = readExecutions(userFolder);
	const failedBefore = new Set(before.filter((e) => e.workflowId === SYNC.id).map((e) => e.id));
	const handledBefore = before.filter((e) => e.workflowId === HANDLER.id && e.mode === 'error').length;
	const responses = await Promise.all(
		Array.from({ length: count }, (_, order) => callProductionWebhook(server.baseUrl, SYNC.path, { order })),
	);
	expect(responses.map((response) => response.status)).toEqual(Array(count).fill(200));
	const deadline = Date.now() + 120_000;
	for (;;) {
		const executions = readExecutions(userFolder);
		const failed = executions.filter(
			(e) => e.workflowId === SYNC.id && e.mode === 'webhook' && e.status === 'error' && !failedBefore.has(e.id),
		);
		const handled = executions.filter(
			(e) => e.workflowId === HANDLER.id && e.mode === 'error' && e.status === 'success',
		);
		if (failed.length >= count && handled.length >= handledBefore + count) {
			for (const execution of failed)
				expect(execution.data?.resultData?.error?.message).toMatch(revokedGrantMessage(CRM.name));
			return failed.map((execution) => execution.id);
		}
		if (Date.now() > deadline)
			throw new Error(`after 120 s: ${failed.length} failed runs, ${handled.length - handledBefore} handled`);
		await sleep(500);
	}
}

/** Calls a check branch and waits for its run to finish. */
async function runCheck(path: string): Promise<StoredExecution> {
	const finished = () =>
		readExecutions(userFolder).filter(
			(e) => e.workflowId === HANDLER.id && e.mode === 'webhook' && e.status !== 'running' && e.status !== 'new',
		);
	const before = finished().length;
	const started = Date.now();
	expect((await callProductionWebhook(server.baseUrl, path, {})).status).toBe(200);
	const deadline = Date.now() + 180_000;
	for (;;) {
		const runs = finished();
		if (runs.length > before) {
			timings[`check:${path}:${Object.keys(timings).length}`] = Date.now() - started;
			return runs[runs.length - 1];
		}
		if (Date.now() > deadline) throw new Error(`the check ${path} did not finish within 180 s`);
		await sleep(500);
	}
}

/** n8n's own execution list of Order sync, through its public API (an owner key with execution:list). */
async function syncExecutions(): Promise<Array<{ id: string; mode: string; status: string; retryOf: string | null }>> {
	const all: Array<{ id: string; mode: string; status: string; retryOf: string | null }> = [];
	let cursor: string | null = null;
	do {
		const query: string = `workflowId=${SYNC.id}&limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
		const response = await httpRequest<{ data: any[]; nextCursor: string | null }>(
			`${server.baseUrl}/api/v1/executions?${query}`,
			{ headers: { 'x-n8n-api-key': keys.lister }, timeoutMs: 30_000 },
		);
		expect(response.status).toBe(200);
		all.push(...response.json!.data);
		cursor = response.json!.nextCursor;
	} while (cursor);
	return all;
}

/** The episode Diagnose Error keeps in the error workflow's static data. */
function storedEpisode(): Record<string, any> | undefined {
	const [row] = queryDatabase<{ staticData: string | null }>(
		userFolder,
		'SELECT "staticData" FROM workflow_entity WHERE id = ?',
		[HANDLER.id],
	);
	const data = row?.staticData ? (JSON.parse(row.staticData) as Record<string, any>) : {};
	return data.global?.tokenGuardAlerts?.entries?.[`credential:${CRM.id}`];
}

beforeAll(async () => {
	const started = Date.now();
	await ensureN8nInstalled();
	const tarball = await packRepo('core');
	oidc = await startOidcServer({ clientSecret: CLIENT_SECRET });
	sink = await startWebhookSink();

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		await brokenCredential(),
		webhookCredential(SINK_CREDENTIAL, sink.url('replay'), SIGNING_SECRET),
	]);
	await importWorkflow(userFolder, [
		handlerWorkflow(),
		webhookWorkflow(SYNC.id, SYNC.name, SYNC.path, [httpGetWithCredential('Read CRM', oidc.apiUrl('me'), CRM)], {
			errorWorkflow: HANDLER.id,
		}),
	]);
	for (const id of [HANDLER.id, SYNC.id]) await publishWorkflow(userFolder, id);

	server = await startN8nServer(userFolder, { env: ownerEnvironment() });
	await waitForPublishedVersions(userFolder, [HANDLER.id, SYNC.id]);
	keys.replay = await createApiKey(server.baseUrl, 'Token Guard replay', ['execution:read', 'execution:retry']);
	keys.readOnly = await createApiKey(server.baseUrl, 'Executions read only', ['execution:read']);
	keys.lister = await createApiKey(server.baseUrl, 'Test: list executions', ['execution:list']);
	// n8n 1.x has no credential:list scope (its public API cannot list credentials): the audit test is skipped there.
	keys.audit = n8nFeatures().publicCredentialList
		? await createApiKey(server.baseUrl, 'Token Guard audit and replay', [
				'credential:list',
				'credential:read',
				'workflow:list',
				'execution:read',
				'execution:retry',
			])
		: keys.replay;
	const apiCredential = (record: typeof API_CREDENTIAL, key: string): CredentialRecord => ({
		...record,
		data: { baseUrl: server.baseUrl, apiKey: key },
	});
	await importCredentials(userFolder, [
		apiCredential(API_CREDENTIAL, keys.replay),
		apiCredential(READ_ONLY_CREDENTIAL, keys.readOnly),
		apiCredential(AUDIT_CREDENTIAL, keys.audit),
	]);
	timings.setupMs = Date.now() - started;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await server?.stop();
	await Promise.all([oidc?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(`[e2e-timing] replay ${JSON.stringify(timings)}\n`);
});

let firstFailed: string[] = [];
let secondFailed: string[] | undefined;

/** Breaks the credential again (stale token, revoked grant), fails `count` runs of Order sync, then reconnects. */
async function breakAndFail(count: number): Promise<string[]> {
	await importCredentials(userFolder, [await brokenCredential()]);
	const failed = await failSyncRuns(count);
	expect(failed).toHaveLength(count);
	await reconnect();
	return failed;
}

describe('replay on recovery (n8n start, error workflow, public API)', () => {
	it(
		`${FAILURES} executions fail → the episode keeps the ${FAILURES} executions (ids, workflow, time; no data)`,
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				firstFailed = await failSyncRuns();
				timings.failuresMs = Date.now() - started;
				expect(firstFailed).toHaveLength(FAILURES);
				// Each error-workflow run writes static data at its end, last write wins: the stored copy holds some of the
				// ten (the process memory holds all of them, which the replay below proves), only ids, workflow and time.
				const episode = storedEpisode();
				expect(episode).toBeDefined();
				expect(episode!.executions.length).toBeGreaterThan(0);
				for (const [id] of episode!.executions) expect(firstFailed).toContain(id);
				for (const tuple of episode!.executions)
					expect(tuple).toEqual([expect.any(String), SYNC.id, expect.any(Number)]);
				expect(episode!.workflowNames).toEqual({ [SYNC.id]: SYNC.name });
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		`reconnected → Check Credential replays exactly the ${FAILURES}: retries in n8n's list with retryOf, all succeeded, refresh.recovered ${FAILURES}/${FAILURES}`,
		withN8nLog(
			() => userFolder,
			async () => {
				expect(firstFailed).toHaveLength(FAILURES);
				await reconnect();
				const check = await runCheck(CHECKS.all.path);
				expect(check.status).toBe('success');

				const retries = (await syncExecutions()).filter((execution) => execution.retryOf !== null);
				process.stderr.write(
					`[e2e] replay retries ${JSON.stringify(retries.map(({ id, mode, status, retryOf }) => ({ id, mode, status, retryOf })))}\n`,
				);
				const failedRetries = readExecutions(userFolder).filter((execution) =>
					retries.some((retry) => retry.id === execution.id && retry.status !== 'success'),
				);
				for (const execution of failedRetries)
					process.stderr.write(
						`[e2e] replay: retry ${execution.id} failed: ${execution.data?.resultData?.error?.message}\n`,
					);
				expect(retries).toHaveLength(FAILURES);
				expect(retries.map((retry) => retry.retryOf).sort()).toEqual([...firstFailed].sort());
				for (const retry of retries) expect(retry).toMatchObject({ mode: 'retry', status: 'success' });

				const [item, ...replays] = storedNodeOutput(check, CHECKS.all.node, OK);
				expect(item).toMatchObject({
					status: 'healthy',
					recovered: {
						replay: { replayed: FAILURES, succeeded: FAILURES, failed: 0, skipped: 0, left: 0, tooOld: 0 },
					},
				});
				expect(item.summary).toMatch(
					new RegExp(`Reconnected after .+; ${FAILURES} executions replayed, ${FAILURES} succeeded\\.$`),
				);
				expect(replays).toHaveLength(FAILURES);
				expect(replays.map((replay) => replay.replayOf).sort()).toEqual([...firstFailed].sort());
				expect(replays.map((replay) => replay.newExecutionId).sort()).toEqual(retries.map((retry) => retry.id).sort());
				for (const replay of replays)
					expect(replay).toMatchObject({
						status: 'succeeded',
						workflow: { id: SYNC.id, name: SYNC.name },
						newExecution: { status: 'success' },
					});

				await sink.waitFor((requests) => requests.some((request) => eventOf(request).type === RECOVERED), 30_000);
				await sleep(500);
				const [recovery, ...others] = recoveries();
				expect(others).toEqual([]);
				expect(recovery.data).toMatchObject({
					credential: { id: CRM.id },
					category: 'refresh_token_invalid',
					details: { replay: { replayed: FAILURES, succeeded: FAILURES } },
				});
				expect(recovery.data.details.summary).toMatch(
					new RegExp(`^Reconnected after .+; ${FAILURES} executions replayed, ${FAILURES} succeeded\\.$`),
				);
				expect(storedEpisode()).toBeUndefined();
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'a second check replays nothing and starts no retry',
		withN8nLog(
			() => userFolder,
			async () => {
				const retriesBefore = (await syncExecutions()).filter((execution) => execution.retryOf !== null).length;
				expect(retriesBefore).toBe(FAILURES);
				const check = await runCheck(CHECKS.all.path);
				const items = storedNodeOutput(check, CHECKS.all.node, OK);
				expect(items).toHaveLength(1);
				expect(items[0]).toMatchObject({ status: 'healthy' });
				expect(items[0].recovered).toBeUndefined();
				expect((await syncExecutions()).filter((execution) => execution.retryOf !== null)).toHaveLength(FAILURES);
				expect(recoveries()).toHaveLength(1);
			},
		),
		TEST_TIMEOUT_MS,
	);

	// n8n 1.x without a license lets every API key do everything: there is no refusal to show.
	itNeeds('API key scopes enforced (n8n 2.x)', n8nFeatures().apiKeyScopesEnforced)(
		`broken again, ${FAILURES} more failures: a key without execution:retry stops the check naming the scope and keeps the episode`,
		withN8nLog(
			() => userFolder,
			async () => {
				secondFailed = await breakAndFail(FAILURES);
				const refused = await runCheck(CHECKS.readOnly.path);
				expect(refused.status).toBe('error');
				expect(refused.data?.resultData?.error?.message).toBe(
					'The n8n API key may not retry executions (HTTP 403): it needs the scope execution:retry',
				);
				// The episode stays open: nothing was retried, nothing recovered.
				expect(storedEpisode()?.executions).toHaveLength(FAILURES);
				expect(recoveries()).toHaveLength(1);
				const retried = (await syncExecutions()).filter(
					(execution) => execution.retryOf !== null && secondFailed!.includes(execution.retryOf),
				);
				expect(retried).toEqual([]);
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'a cap of 3 replays 3 and says 7 were left',
		withN8nLog(
			() => userFolder,
			async () => {
				const failed = secondFailed ?? (await breakAndFail(FAILURES));
				const check = await runCheck(CHECKS.capped.path);
				expect(check.status).toBe('success');
				const [item, ...replays] = storedNodeOutput(check, CHECKS.capped.node, OK);
				expect(item.recovered.replay).toEqual({
					replayed: 3,
					succeeded: 3,
					failed: 0,
					skipped: 0,
					left: FAILURES - 3,
					tooOld: 0,
				});
				expect(item.summary).toMatch(/3 executions replayed, 3 succeeded; 7 left by the cap of 3/);
				expect(replays).toHaveLength(3);
				const retries = (await syncExecutions()).filter(
					(execution) => execution.retryOf !== null && failed.includes(execution.retryOf),
				);
				expect(retries).toHaveLength(3);
				for (const retry of retries) expect(retry.status).toBe('success');
				await sink.waitFor((requests) => requests.filter((r) => eventOf(r).type === RECOVERED).length >= 2, 30_000);
				expect(recoveries()[1].data.details.summary).toMatch(/7 left by the cap of 3/);
			},
		),
		TEST_TIMEOUT_MS,
	);

	itNeeds('n8n 2.x (public API credential:list)', n8nFeatures().publicCredentialList)(
		'Audit Credentials closes an episode too: broken again, 4 failures, reconnected → the audit replays the 4',
		withN8nLog(
			() => userFolder,
			async () => {
				const failed = await breakAndFail(4);
				const audit = await runCheck(AUDIT.path);
				expect(audit.status).toBe('success');
				const ok = storedNodeOutput(audit, AUDIT.node, OK);
				const index = ok.findIndex((item) => item.credential?.id === CRM.id);
				expect(ok[index]).toMatchObject({
					status: 'healthy',
					recovered: { replay: { replayed: 4, succeeded: 4, left: 0 } },
				});
				const replays = ok.slice(index + 1, index + 5);
				expect(replays.map((replay) => replay.replayOf).sort()).toEqual([...failed].sort());
				for (const replay of replays) expect(replay).toMatchObject({ status: 'succeeded' });
				const retries = (await syncExecutions()).filter(
					(execution) => execution.retryOf !== null && failed.includes(execution.retryOf),
				);
				expect(retries).toHaveLength(4);
				await sink.waitFor((requests) => requests.filter((r) => eventOf(r).type === RECOVERED).length >= 3, 30_000);
				expect(recoveries()[2].data.details.replay).toMatchObject({ replayed: 4, succeeded: 4 });
			},
		),
		TEST_TIMEOUT_MS,
	);

	it('the API keys appear nowhere: execution data, n8n log and console, the receiver', () => {
		const executions = readExecutions(userFolder)
			.map((execution) => execution.rawData)
			.join('\n');
		const leaks = findLeaks(
			{ ...keys, signingKey: SIGNING_KEY, clientSecret: CLIENT_SECRET },
			{
				'execution data': executions,
				'n8n log file': existsSync(userFolder.logFile) ? readFileSync(userFolder.logFile, 'utf8') : '',
				'n8n console': server.output(),
				receiver: sink.requests.map((request) => `${JSON.stringify(request.headers)}\n${request.body}`).join('\n'),
			},
		);
		expect(leaks).toEqual([]);
		// The replay really ran with the key: it is not vacuously absent.
		expect(executions).toContain('newExecutionId');
	});
});
