/**
 * Replay Failed Executions After Recovery through n8n-core's WorkflowExecute, for what holds before n8n's API answers
 * anything: what Diagnose Error keeps of a failed execution in the episode (ids, workflow, time; never its data; only
 * when the credential caused it; never the error workflow's own run), the bound of 500 per episode, and a recovery
 * whose API key lacks the execution scopes: the check fails naming the scope, the episode stays open, and the key (a
 * canary) is in no output, error or log line. The replay itself against a real n8n is test/e2e/replay.e2e.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject } from 'n8n-workflow';

import { TokenGuardN8nApi } from '../../credentials/TokenGuardN8nApi.credentials';
import { TokenGuardOAuth2Api } from '../../credentials/TokenGuardOAuth2Api.credentials';
import { forgetProcessAlertStates } from '../../nodes/shared/diagnose/alertLedger.adapter';
import { MAX_EPISODE_EXECUTIONS, STATIC_DATA_KEY } from '../../nodes/shared/diagnose/alertState';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunResult } from '../harness';
import { errorTriggerItem, nodeError } from './tokenHealthPayloads';

const API_KEY = `tg-canary-replay-api-key-${randomBytes(12).toString('hex')}`;
const ACCESS_TOKEN = `tg-canary-replay-access-${randomBytes(12).toString('hex')}`;
const HANDLER = { id: 'wf-handler', name: 'Self-healing' };
const CREDENTIAL = { id: 'cred-replay', name: 'CRM account' };
const SECRET_IN_ERROR = `tg-canary-error-text-${randomBytes(8).toString('hex')}`;

let api: { url: string; received: string[]; close(): Promise<void> };

beforeAll(async () => {
	const received: string[] = [];
	// Answers like n8n to a key without the scope: 403 {"message":"Forbidden"}.
	const server: Server = createServer((request, response) => {
		received.push(`${request.method} ${request.url}`);
		response.writeHead(403, { 'content-type': 'application/json' });
		response.end('{"message":"Forbidden"}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	api = {
		url: `http://127.0.0.1:${port}`,
		received,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
});
afterAll(async () => await api?.close());
beforeEach(() => {
	api.received.length = 0;
	forgetProcessAlertStates();
});

/** n8n's failure of a node whose Token Guard credential needs reconnecting, from another workflow's execution. */
function revokedFailure(workflow = { id: 'wf-sync', name: 'Order sync' }): IDataObject {
	return errorTriggerItem(
		nodeError({
			message: `The credential "${CREDENTIAL.name}" needs to be reconnected. ${SECRET_IN_ERROR}`,
			failure: { cause: 'credential-invalid' },
			nodeType: 'n8n-nodes-base.httpRequest',
			credentials: { tokenGuardOAuth2Api: CREDENTIAL },
		}),
		workflow,
	);
}

async function diagnose(items: IDataObject[], staticData: IDataObject = {}): Promise<RunResult> {
	return await runNode({
		nodeType: new TokenHealth(),
		helper: new HarnessCredentialsHelper(),
		mode: 'error',
		workflowId: HANDLER.id,
		workflowName: HANDLER.name,
		staticData,
		parameters: { operation: 'diagnoseError', alertCooldownMinutes: 60 },
		items: items.map((json) => ({ json })),
	});
}

const episodeOf = (staticData: IDataObject) =>
	((staticData.global as IDataObject | undefined)?.[STATIC_DATA_KEY] as IDataObject | undefined)?.entries as
		Record<string, IDataObject> | undefined;

/** A healthy Token Guard credential (stored token valid for an hour) and the N8n (Token Guard) API credential. */
function healthyCheck(staticData: IDataObject, apiData: IDataObject = {}) {
	const helper = new HarnessCredentialsHelper()
		.registerCredentialType(new TokenGuardOAuth2Api())
		.registerCredentialType(new TokenGuardN8nApi());
	const oauth = helper.addCredential({
		...CREDENTIAL,
		type: 'tokenGuardOAuth2Api',
		data: {
			grantType: 'authorizationCode',
			authUrl: 'http://127.0.0.1:9/auth',
			accessTokenUrl: 'http://127.0.0.1:9/token',
			clientId: 'client',
			clientSecret: 'client-secret',
			scope: 'openid offline_access',
			authentication: 'header',
			oauthTokenData: {
				access_token: ACCESS_TOKEN,
				refresh_token: `refresh-${ACCESS_TOKEN}`,
				token_type: 'Bearer',
				n8n_expires_at: String(Date.now() + 3_600_000),
			},
		},
	});
	const n8nApi = helper.addCredential({
		id: 'n8nApi1',
		name: 'This n8n',
		type: 'tokenGuardN8nApi',
		data: { baseUrl: api.url, apiKey: API_KEY, ...apiData },
	});
	return runNode({
		nodeType: new TokenHealth(),
		helper,
		mode: 'trigger',
		workflowId: HANDLER.id,
		workflowName: HANDLER.name,
		staticData,
		parameters: {
			operation: 'checkCredential',
			credentialType: 'tokenGuardOAuth2Api',
			replayFailedExecutions: true,
		},
		credentials: { tokenGuardOAuth2Api: oauth, tokenGuardN8nApi: n8nApi },
	});
}

function everything(result: RunResult): string {
	return JSON.stringify([result.outputs, result.error, result.staticData, result.logs.map((line) => line.text)]);
}

describe('Diagnose Error keeps the failed executions of an episode for replay', () => {
	it('keeps execution id, workflow and time of each failure the credential caused, and no data', async () => {
		const first = revokedFailure();
		const second = revokedFailure({ id: 'wf-other', name: 'Invoice run' });
		const result = await diagnose([first, second]);
		expect(result.error).toBeUndefined();
		const entry = episodeOf(result.staticData)?.[`credential:${CREDENTIAL.id}`];
		expect(entry?.executions).toEqual([
			[(first.execution as IDataObject).id, 'wf-sync', expect.any(Number)],
			[(second.execution as IDataObject).id, 'wf-other', expect.any(Number)],
		]);
		expect(entry?.workflowNames).toEqual({ 'wf-sync': 'Order sync', 'wf-other': 'Invoice run' });
		// Never the execution's data: the error text is not in the episode.
		expect(JSON.stringify(result.staticData)).not.toContain(SECRET_IN_ERROR);

		// The same execution diagnosed twice is kept once.
		const again = await diagnose([first], result.staticData);
		expect(episodeOf(again.staticData)?.[`credential:${CREDENTIAL.id}`]?.executions).toHaveLength(2);
	});

	it('keeps nothing for a failure unrelated to the credential, nor for the error workflow itself', async () => {
		const unrelated = errorTriggerItem(
			nodeError({ message: 'Cannot read properties of undefined (reading "items")', nodeType: 'n8n-nodes-base.code' }),
		);
		const own = revokedFailure(HANDLER);
		const result = await diagnose([unrelated, own]);
		expect(result.error).toBeUndefined();
		const entries = episodeOf(result.staticData) ?? {};
		for (const entry of Object.values(entries)) expect(entry.executions).toBeUndefined();
		// The own workflow's failure is still an alert: only the replay record is left out.
		expect(entries[`credential:${CREDENTIAL.id}`]).toMatchObject({ occurrences: 1 });
	});

	it(`keeps the newest ${MAX_EPISODE_EXECUTIONS} per episode; the stored state stays compact`, async () => {
		const failures = Array.from({ length: MAX_EPISODE_EXECUTIONS + 20 }, () => revokedFailure());
		const result = await diagnose(failures);
		expect(result.error).toBeUndefined();
		const executions = episodeOf(result.staticData)?.[`credential:${CREDENTIAL.id}`]?.executions as string[][];
		expect(executions).toHaveLength(MAX_EPISODE_EXECUTIONS);
		expect(executions.map(([id]) => id)).toEqual(
			failures.slice(-MAX_EPISODE_EXECUTIONS).map((failure) => (failure.execution as IDataObject).id),
		);
		const bytes = JSON.stringify(result.staticData).length;
		process.stderr.write(`[replay] static data with ${MAX_EPISODE_EXECUTIONS} recorded executions: ${bytes} bytes\n`);
		expect(bytes).toBeLessThan(40_000);
	});
});

describe('replay on recovery before the API answers', () => {
	it('a key without execution:read stops the check naming the scope; the episode stays open; the key is nowhere', async () => {
		const failed = await diagnose([revokedFailure(), revokedFailure()]);
		forgetProcessAlertStates();
		const result = await healthyCheck(failed.staticData);
		expect(result.error?.message).toBe(
			'The n8n API key may not read executions (HTTP 403): it needs the scope execution:read',
		);
		expect(result.error?.description).toContain('execution:read, execution:retry');
		// One at a time (the default concurrency): the first refusal stops the rest.
		expect(api.received).toHaveLength(1);
		expect(api.received[0]).toMatch(/^GET \/api\/v1\/executions\/\d+\?includeData=false$/);
		// Nothing was retried, so nothing recovered: the next check (with a fixed key) replays them.
		expect(episodeOf(result.staticData)?.[`credential:${CREDENTIAL.id}`]?.executions).toHaveLength(2);
		const text = everything(result);
		expect(text).not.toContain(API_KEY);
		expect(text).not.toContain(ACCESS_TOKEN);
	});

	it("a Base URL outside the credential's Allowed HTTP Request Domains is refused, nothing sent", async () => {
		const failed = await diagnose([revokedFailure()]);
		forgetProcessAlertStates();
		const result = await healthyCheck(failed.staticData, {
			allowedHttpRequestDomains: 'domains',
			allowedDomains: 'n8n.example.com',
		});
		expect(result.error?.message).toMatch(/Domain not allowed/);
		expect(api.received).toEqual([]);
		expect(everything(result)).not.toContain(API_KEY);
	});

	it('without recorded executions the check needs no API at all', async () => {
		const result = await healthyCheck({});
		expect(result.error).toBeUndefined();
		expect(api.received).toEqual([]);
		expect(result.outputs[1]).toHaveLength(1);
	});
});
