/**
 * Audit Credentials and the blast radius in a real `n8n start`, through the instance's own public API with an API
 * key the owner creates in n8n (POST /rest/api-keys, as Settings → n8n API does).
 *
 * The instance: six OAuth2 credentials — a healthy Connect-button one, a healthy manual refresh-token one, one whose
 * grant was revoked at the authorization server, one never connected, a healthy one no workflow uses, and one of
 * n8n's built-in generic OAuth2 type (n8n has no test for it) — beside non-OAuth credentials (the webhook sink, the
 * n8n API key itself, 250 header-auth keys that push the OAuth2 ones onto n8n's second page) the audit must leave out;
 * and four workflows using them, two published (active), two not.
 *
 * - The audit names exactly the broken ones (revoked → refresh_token_invalid, never connected → not_connected) with
 *   the workflows that use them, puts the healthy ones on OK, calls the built-in one untestable, and sends one
 *   signed health.checked per broken credential.
 * - A second run inside the cooldown alerts nothing (Already Reported, no event).
 * - After the revoked credential is reconnected (a fresh grant imported while n8n runs), one refresh.recovered.
 * - Diagnose Error with Find Affected Workflows names the active workflows the broken credential breaks.
 * - A key without credential:list stops the audit with an error naming the scope.
 * - The API key never appears in execution data, n8n's log or console, or what the receiver got.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, readFileSync } from 'node:fs';

import { httpRequest } from '../servers/httpClient';
import type { OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { UserFolder } from './n8n';
import {
	createUserFolder,
	ensureN8nInstalled,
	executeWorkflow,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	nodeOutput,
	packRepo,
	publishWorkflow,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { createApiKey as createOwnerApiKey } from './support/apiKeys';
import type { CredentialRecord } from './support/credentials';
import { clientFor, connectCredential, manualCredential, webhookCredential } from './support/credentials';
import type { StoredExecution } from './support/database';
import { readExecutions, storedNodeOutput, waitForPublishedVersions } from './support/database';
import { ownerEnvironment } from './support/dev';
import { exampleWorkflow } from './support/examples';
import { itNeeds, n8nFeatures } from './support/features';
import { withN8nLog } from './support/logOnFailure';
import type { N8nServer } from './support/n8nServer';
import { callProductionWebhook, startN8nServer } from './support/n8nServer';
import { canary, findLeaks } from './support/secrets';
import { verifyStandardWebhook } from './support/standardWebhooks';
import type { WebhookSink } from './support/webhookSink';
import { eventOf, startWebhookSink } from './support/webhookSink';
import type { WorkflowNode } from './support/workflows';
import { webhookWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 4 * 60_000;

const SIGNING_KEY = canary('audit-signing-key');
const SIGNING_SECRET = `whsec_${Buffer.from(SIGNING_KEY).toString('base64')}`;
const CLIENT_SECRET = canary('audit-client-secret');

const CRED = {
	crm: { id: 'e2eAuditCrm00001', name: 'CRM account', type: 'tokenGuardOAuth2Api' as const },
	inbox: { id: 'e2eAuditInbox001', name: 'Inbox account', type: 'tokenGuardOAuth2Api' as const },
	never: { id: 'e2eAuditNever001', name: 'Never connected', type: 'tokenGuardOAuth2Api' as const },
	report: { id: 'e2eAuditReport01', name: 'Report refresh token', type: 'tokenGuardRefreshTokenApi' as const },
	spare: { id: 'e2eAuditSpare001', name: 'Spare account', type: 'tokenGuardOAuth2Api' as const },
	generic: { id: 'e2eAuditGeneric1', name: 'Generic OAuth', type: 'oAuth2Api' as const },
};
const API_CREDENTIAL = { id: 'e2eAuditN8nApi01', name: 'This n8n', type: 'tokenGuardN8nApi' };
const RESTRICTED_CREDENTIAL = { id: 'e2eAuditN8nApi02', name: 'This n8n (workflows only)', type: 'tokenGuardN8nApi' };
const SINK_CREDENTIAL = { id: 'e2eAuditSink0001', name: 'Audit alerts' };
/** Non-OAuth credentials enough to push the OAuth2 ones past n8n's first page (250). */
const HEADER_CREDENTIALS = 250;

const WF = {
	inbox: { id: 'e2eAuditWfInbox1', name: 'Inbox triage' },
	crm: { id: 'e2eAuditWfCrm001', name: 'CRM sync' },
	report: { id: 'e2eAuditWfReport', name: 'Monthly report' },
	draft: { id: 'e2eAuditWfDraft1', name: 'Draft onboarding' },
};
const AUDIT = { id: 'e2eAuditRunner01', name: 'Credential audit', path: 'audit-run' };
const RESTRICTED_AUDIT = {
	id: 'e2eAuditRunner02',
	name: 'Credential audit (restricted key)',
	path: 'audit-restricted',
};
const DIAGNOSE = { id: 'e2eAuditDiagnose', name: 'Diagnose with blast radius', path: 'audit-diagnose' };
const EXAMPLE = { id: 'e2eAuditExample1', alertPath: 'example-alerts' };
const NODE = 'Audit';
const NEEDS_ATTENTION = 0;
const OK = 1;
const ALREADY_REPORTED = 2;
const CHECKED = 'io.n8n.tokenguard.health.checked';
const RECOVERED = 'io.n8n.tokenguard.refresh.recovered';

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let sink: WebhookSink;
let server: N8nServer;
let apiKey = '';
let restrictedKey = '';
const apiKeys: string[] = [];
/** Wall time from the webhook call to the finished run, per audit run (printed, never asserted). */
const timings: Record<string, number[]> = {};

const eventsOfType = (type: string) => sink.requests.filter((request) => eventOf(request).type === type);

/** A node that holds credentials (never run: the audit reads the references). */
function usingNode(name: string, credentials: Array<{ id: string; name: string; type: string }>): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			method: 'GET',
			url: 'http://127.0.0.1:9/never-called',
			authentication: 'predefinedCredentialType',
			nodeCredentialType: credentials[0].type,
			options: {},
		},
		credentials: Object.fromEntries(credentials.map(({ id, name, type }) => [type, { id, name }])),
	};
}

function auditWorkflow(workflow: { id: string; name: string; path: string }, apiCredential: typeof API_CREDENTIAL) {
	return webhookWorkflow(workflow.id, workflow.name, workflow.path, [
		{
			name: NODE,
			type: 'n8n-nodes-token-guard.tokenHealth',
			typeVersion: 2,
			parameters: { operation: 'auditCredentials', alertCooldownMinutes: 60, sendEvents: true },
			credentials: {
				[apiCredential.type]: { id: apiCredential.id, name: apiCredential.name },
				tokenGuardWebhookApi: SINK_CREDENTIAL,
			},
		},
	]);
}

function n8nApiCredential(record: typeof API_CREDENTIAL, key: string): CredentialRecord {
	return { ...record, data: { baseUrl: server.baseUrl, apiKey: key } };
}

/** The owner creates an API key with these scopes, as Settings → n8n API does. */
async function createApiKey(label: string, scopes: string[]): Promise<string> {
	const key = await createOwnerApiKey(server.baseUrl, label, scopes);
	apiKeys.push(key);
	return key;
}

/** Calls a workflow's production webhook and waits for the run it started to finish. */
async function runWorkflow(workflowId: string, path: string): Promise<StoredExecution> {
	const before = readExecutions(userFolder).filter((execution) => execution.workflowId === workflowId).length;
	const started = Date.now();
	const response = await callProductionWebhook(server.baseUrl, path, {});
	expect(response.status).toBe(200);
	const deadline = Date.now() + 120_000;
	for (;;) {
		const runs = readExecutions(userFolder).filter(
			(execution) =>
				execution.workflowId === workflowId && execution.status !== 'running' && execution.status !== 'new',
		);
		if (runs.length > before && (runs[runs.length - 1].finished || runs[runs.length - 1].status === 'error')) {
			(timings[path] ??= []).push(Date.now() - started);
			return runs[runs.length - 1];
		}
		if (Date.now() > deadline) throw new Error(`no finished run of ${workflowId} after 120 s`);
		await sleep(500);
	}
}

function routed(execution: StoredExecution) {
	const byName = (output: number) =>
		Object.fromEntries(storedNodeOutput(execution, NODE, output).map((item) => [item.credential.name, item]));
	return { needsAttention: byName(NEEDS_ATTENTION), ok: byName(OK), alreadyReported: byName(ALREADY_REPORTED) };
}

const names = (usedBy: Array<{ name: string; active: boolean }>) =>
	usedBy.map(({ name, active }) => ({ name, active }));

beforeAll(async () => {
	await ensureN8nInstalled();
	const tarball = await packRepo('core');
	oidc = await startOidcServer({ clientSecret: CLIENT_SECRET });
	sink = await startWebhookSink();

	const connect = async (record: (typeof CRED)['crm'], options: { revoked?: boolean } = {}) => {
		const grant = await oidc.mintGrant({ clientId: clientFor(oidc, record.type) });
		const credential = connectCredential(oidc, grant, record);
		const data = credential.data as Record<string, any>;
		data.testUrl = oidc.apiUrl('me');
		if (options.revoked) {
			// A stale access token: n8n's test must refresh, and the revoked grant refuses.
			data.oauthTokenData = { ...data.oauthTokenData, access_token: 'stale-access-token-the-api-refuses' };
			await oidc.revokeGrant(grant.grantId);
		}
		return credential;
	};
	const never = await connect(CRED.never);
	delete (never.data as Record<string, unknown>).oauthTokenData;
	const generic = await oidc.mintGrant({ clientId: clientFor(oidc, 'oAuth2Api') });

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		await connect(CRED.crm),
		await connect(CRED.inbox, { revoked: true }),
		never,
		manualCredential(oidc, await oidc.mintGrant(), CRED.report),
		await connect(CRED.spare),
		connectCredential(oidc, generic, CRED.generic),
		webhookCredential(SINK_CREDENTIAL, sink.url('audit'), SIGNING_SECRET),
	]);
	// Newer than the OAuth2 ones and more than n8n's page of 250: n8n lists newest first, so every OAuth2 credential
	// is on the second page, which the audit reaches only by following nextCursor.
	await importCredentials(
		userFolder,
		Array.from({ length: HEADER_CREDENTIALS }, (_, index) => ({
			id: `e2eAuditHeader${String(index).padStart(3, '0')}`,
			name: `Header key ${index}`,
			type: 'httpHeaderAuth',
			data: { name: 'X-Api-Key', value: `not-a-secret-${index}` },
		})),
	);
	await importWorkflow(userFolder, [
		webhookWorkflow(WF.inbox.id, WF.inbox.name, 'audit-inbox', [
			usingNode('Read inbox', [CRED.inbox]),
			usingNode('Call the generic API', [CRED.generic]),
		]),
		webhookWorkflow(WF.crm.id, WF.crm.name, 'audit-crm', [
			usingNode('Read CRM', [CRED.crm]),
			usingNode('Mail the owner', [CRED.inbox]),
		]),
		webhookWorkflow(WF.report.id, WF.report.name, 'audit-report', [
			usingNode('Read report', [CRED.report]),
			usingNode('Mail the report', [CRED.inbox]),
		]),
		webhookWorkflow(WF.draft.id, WF.draft.name, 'audit-draft', [usingNode('Welcome', [CRED.never])]),
		auditWorkflow(AUDIT, API_CREDENTIAL),
		auditWorkflow(RESTRICTED_AUDIT, RESTRICTED_CREDENTIAL),
		exampleWorkflow(
			'credential-audit',
			{ n8nApiCredentialId: API_CREDENTIAL.id, alertUrl: sink.url(EXAMPLE.alertPath) },
			{ id: EXAMPLE.id },
		),
		webhookWorkflow(DIAGNOSE.id, DIAGNOSE.name, DIAGNOSE.path, [
			{
				name: 'Diagnose',
				type: 'n8n-nodes-token-guard.tokenHealth',
				typeVersion: 2,
				parameters: {
					operation: 'diagnoseError',
					errorField: 'body',
					findAffectedWorkflows: true,
					alertCooldownMinutes: 0,
				},
				credentials: { [API_CREDENTIAL.type]: { id: API_CREDENTIAL.id, name: API_CREDENTIAL.name } },
			},
		]),
	]);
	const published = [WF.inbox.id, WF.crm.id, AUDIT.id, RESTRICTED_AUDIT.id, DIAGNOSE.id];
	for (const id of published) await publishWorkflow(userFolder, id);

	server = await startN8nServer(userFolder, { env: ownerEnvironment() });
	await waitForPublishedVersions(userFolder, published);
	apiKey = await createApiKey('Token Guard audit', ['credential:list', 'credential:read', 'workflow:list']);
	restrictedKey = await createApiKey('Workflows only', ['workflow:list']);
	// Credentials are read per execution: importing them while n8n runs is what saving them in the editor does.
	await importCredentials(userFolder, [
		n8nApiCredential(API_CREDENTIAL, apiKey),
		n8nApiCredential(RESTRICTED_CREDENTIAL, restrictedKey),
	]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await server?.stop();
	await Promise.all([oidc?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(
		`[e2e-timing] audit ${JSON.stringify({ oauthCredentials: 6, instanceCredentials: 6 + 1 + HEADER_CREDENTIALS + 2, workflows: 4, runMs: timings })}\n`,
	);
});

// n8n 1.x's public API cannot list credentials: every test here needs it (and the key scope credential:list).
const itAudit = itNeeds('n8n 2.x (public API credential:list)', n8nFeatures().publicCredentialList);

describe('Audit Credentials in a real n8n', () => {
	itAudit(
		'names exactly the broken OAuth2 credentials with their category and the workflows that use them',
		withN8nLog(
			() => userFolder,
			async () => {
				// n8n's first page holds none of the OAuth2 credentials: the audit below must follow nextCursor.
				const firstPage = await httpRequest<{ data: Array<{ id: string }>; nextCursor: string | null }>(
					`${server.baseUrl}/api/v1/credentials?limit=250`,
					{ headers: { 'x-n8n-api-key': apiKey }, timeoutMs: 30_000 },
				);
				expect(firstPage.json!.nextCursor).toEqual(expect.any(String));
				const onFirstPage = new Set(firstPage.json!.data.map(({ id }) => id));
				expect(Object.values(CRED).filter(({ id }) => onFirstPage.has(id))).toEqual([]);

				const run = await runWorkflow(AUDIT.id, AUDIT.path);
				expect(run.status).toBe('success');
				const { needsAttention, ok, alreadyReported } = routed(run);
				process.stderr.write(
					`[e2e] audit first run ${JSON.stringify({ needsAttention: Object.keys(needsAttention), ok: Object.keys(ok), alreadyReported: Object.keys(alreadyReported) })}\n`,
				);
				expect(Object.keys(needsAttention).sort()).toEqual([CRED.inbox.name, CRED.never.name].sort());
				expect(Object.keys(ok).sort()).toEqual(
					[CRED.crm.name, CRED.report.name, CRED.spare.name, CRED.generic.name].sort(),
				);
				expect(alreadyReported).toEqual({});

				expect(needsAttention[CRED.inbox.name]).toMatchObject({
					status: 'needsAttention',
					category: 'refresh_token_invalid',
					action: 'reconnect',
					isOAuthIssue: true,
					credential: {
						id: CRED.inbox.id,
						type: CRED.inbox.type,
						reconnectUrl: expect.stringContaining(CRED.inbox.id),
					},
					activeWorkflows: 2,
					test: { result: 'failed' },
					duplicate: false,
				});
				expect(names(needsAttention[CRED.inbox.name].usedBy)).toEqual([
					{ name: WF.crm.name, active: true },
					{ name: WF.inbox.name, active: true },
					{ name: WF.report.name, active: false },
				]);
				expect(needsAttention[CRED.inbox.name].usedBy[0].url).toBe(`${server.baseUrl}/workflow/${WF.crm.id}`);
				expect(needsAttention[CRED.inbox.name].summary).toMatch(
					/"Inbox account".* It is used by 2 active workflows: CRM sync, Inbox triage\.$/,
				);
				expect(needsAttention[CRED.never.name]).toMatchObject({ category: 'not_connected', activeWorkflows: 0 });
				expect(names(needsAttention[CRED.never.name].usedBy)).toEqual([{ name: WF.draft.name, active: false }]);

				expect(ok[CRED.crm.name]).toMatchObject({ status: 'healthy', test: { result: 'passed' }, category: null });
				expect(ok[CRED.report.name]).toMatchObject({ status: 'healthy' });
				expect(ok[CRED.spare.name]).toMatchObject({ status: 'healthy', usedBy: [], activeWorkflows: 0 });
				expect(ok[CRED.generic.name]).toMatchObject({ status: 'untestable', test: { result: 'untestable' } });

				// One signed health.checked per broken credential, nothing for the healthy ones.
				const checked = eventsOfType(CHECKED);
				expect(checked.map((request) => eventOf(request).data.credential.id).sort()).toEqual(
					[CRED.inbox.id, CRED.never.id].sort(),
				);
				for (const request of checked) {
					expect(
						verifyStandardWebhook(SIGNING_SECRET, request.headers, request.body, Math.floor(Date.now() / 1000)),
					).toBeNull();
				}
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit(
		'a second run inside the cooldown alerts nothing',
		withN8nLog(
			() => userFolder,
			async () => {
				const eventsBefore = sink.requests.length;
				const run = await runWorkflow(AUDIT.id, AUDIT.path);
				const { needsAttention, alreadyReported } = routed(run);
				expect(needsAttention).toEqual({});
				expect(Object.keys(alreadyReported).sort()).toEqual([CRED.inbox.name, CRED.never.name].sort());
				expect(alreadyReported[CRED.inbox.name]).toMatchObject({ duplicate: true, occurrences: 2 });
				await sleep(500);
				expect(sink.requests.length).toBe(eventsBefore);
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit(
		'Diagnose Error with Find Affected Workflows names the active workflows the failing credential breaks',
		withN8nLog(
			() => userFolder,
			async () => {
				const before = readExecutions(userFolder).filter((execution) => execution.workflowId === DIAGNOSE.id).length;
				const response = await callProductionWebhook(server.baseUrl, DIAGNOSE.path, {
					message: `The credential "${CRED.inbox.name}" needs to be reconnected.`,
					node: {
						name: 'Read inbox',
						type: 'n8n-nodes-base.httpRequest',
						credentials: { [CRED.inbox.type]: { id: CRED.inbox.id, name: CRED.inbox.name } },
					},
				});
				expect(response.status).toBe(200);
				let run: StoredExecution | undefined;
				const deadline = Date.now() + 60_000;
				while (!run) {
					const runs = readExecutions(userFolder).filter(
						(execution) => execution.workflowId === DIAGNOSE.id && execution.finished,
					);
					if (runs.length > before) run = runs[runs.length - 1];
					else if (Date.now() > deadline) throw new Error('the diagnosis did not finish');
					else await sleep(500);
				}
				const [item] = storedNodeOutput(run, 'Diagnose', NEEDS_ATTENTION);
				expect(item).toMatchObject({ category: 'refresh_token_invalid' });
				expect(names(item.affectedWorkflows)).toEqual([
					{ name: WF.crm.name, active: true },
					{ name: WF.inbox.name, active: true },
				]);
				expect(item.summary).toMatch(/ It is used by 2 active workflows: CRM sync, Inbox triage\.$/);
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit(
		'after the revoked credential is reconnected, one recovery',
		withN8nLog(
			() => userFolder,
			async () => {
				const grant = await oidc.mintGrant({ clientId: clientFor(oidc, CRED.inbox.type) });
				const reconnected = connectCredential(oidc, grant, CRED.inbox);
				(reconnected.data as Record<string, unknown>).testUrl = oidc.apiUrl('me');
				await importCredentials(userFolder, [reconnected]);

				const run = await runWorkflow(AUDIT.id, AUDIT.path);
				const { needsAttention, ok, alreadyReported } = routed(run);
				expect(needsAttention).toEqual({});
				expect(Object.keys(alreadyReported)).toEqual([CRED.never.name]);
				expect(ok[CRED.inbox.name]).toMatchObject({ status: 'healthy', recovered: { failures: 2 } });
				await sleep(500);
				const recovered = eventsOfType(RECOVERED);
				expect(recovered).toHaveLength(1);
				expect(eventOf(recovered[0]).data).toMatchObject({
					credential: { id: CRED.inbox.id },
					category: 'refresh_token_invalid',
					occurrences: 2,
				});

				// Healthy again and already announced: nothing more.
				await runWorkflow(AUDIT.id, AUDIT.path);
				await sleep(500);
				expect(eventsOfType(RECOVERED)).toHaveLength(1);
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit(
		'a key without credential:list stops the audit with an error naming the scope',
		withN8nLog(
			() => userFolder,
			async () => {
				const run = await runWorkflow(RESTRICTED_AUDIT.id, RESTRICTED_AUDIT.path);
				expect(run.status).toBe('error');
				expect(run.data?.resultData?.error?.message).toBe(
					'The n8n API key may not list the credentials of the instance (HTTP 403): it needs the scope credential:list',
				);
				expect(run.data?.resultData?.error?.description).toContain('owner or an admin');
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit(
		'the credential-audit example (n8n execute beside the running n8n): the broken credential reaches Send alert, the rest Healthy',
		withN8nLog(
			() => userFolder,
			async () => {
				const outcome = await executeWorkflow(userFolder, EXAMPLE.id);
				expect(outcome.status).toBe('success');
				expect(nodeOutput(outcome.run, 'Audit credentials', 0, NEEDS_ATTENTION).map((item) => item.summary)).toEqual([
					expect.stringContaining(CRED.never.name),
				]);
				expect(nodeOutput(outcome.run, 'Healthy')).toHaveLength(5);
				const [alert] = await sink
					.waitFor((requests) => requests.some((request) => request.path === `/${EXAMPLE.alertPath}`), 10_000)
					.then((requests) => requests.filter((request) => request.path === `/${EXAMPLE.alertPath}`));
				expect(JSON.parse(alert.body)).toMatchObject({
					credential: CRED.never.name,
					credentialId: CRED.never.id,
					category: 'not_connected',
					severity: 'critical',
					reconnectUrl: expect.stringMatching(new RegExp(`/home/credentials/${CRED.never.id}$`)),
				});
			},
		),
		TEST_TIMEOUT_MS,
	);

	itAudit('the API keys appear nowhere: execution data, n8n log and console, the receiver', () => {
		expect(apiKeys).toHaveLength(2);
		const executions = readExecutions(userFolder)
			.map((execution) => execution.rawData)
			.join('\n');
		const leaks = findLeaks(
			{ apiKey, restrictedKey, signingKey: SIGNING_KEY, clientSecret: CLIENT_SECRET },
			{
				'execution data': executions,
				'n8n log file': existsSync(userFolder.logFile) ? readFileSync(userFolder.logFile, 'utf8') : '',
				'n8n console': server.output(),
				receiver: sink.requests.map((request) => `${JSON.stringify(request.headers)}\n${request.body}`).join('\n'),
			},
		);
		expect(leaks).toEqual([]);
		// The audit really ran with the key: it is not vacuously absent.
		expect(executions).toContain('needsAttention');
	});
});
