/**
 * Token Health → Diagnose Error through n8n-core's WorkflowExecute: the real-world payload table, the
 * seed story, seeded fuzzing, de-duplication and recovery across executions with the static data n8n
 * would persist, Error Field handling, and canary secrets.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { TokenHealthBuiltIn } from '../../builtin/nodes/TokenHealthBuiltIn/TokenHealthBuiltIn.node';

import { STATIC_DATA_KEY } from '../../nodes/shared/diagnose/alertState';
import { forgetProcessAlertStates } from '../../nodes/shared/diagnose/alertLedger.adapter';
import { ALL_CATEGORIES } from '../../nodes/shared/classify/taxonomy';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunNodeOptions, RunResult } from '../harness';
import { PAYLOADS, errorTriggerItem, nodeError } from './tokenHealthPayloads';

const NEEDS_ATTENTION = 0;
const OK = 1;
const ALREADY_REPORTED = 2;
const INSTANCE = 'https://n8n.example.com';

const node = new TokenHealth();

async function diagnoseRun(
	items: IDataObject[],
	options: Partial<RunNodeOptions> & { parameters?: INodeParameters } = {},
): Promise<RunResult> {
	return await runNode({
		nodeType: node,
		helper: options.helper ?? new HarnessCredentialsHelper(),
		mode: 'error',
		instanceBaseUrl: INSTANCE,
		...options,
		parameters: { operation: 'diagnoseError', ...options.parameters },
		items: items.map((json) => ({ json })),
	});
}

/** Every output item with the output it came out of. */
function routed(result: RunResult): Array<{ output: number; item: INodeExecutionData }> {
	return result.outputs.flatMap((items, output) => items.map((item) => ({ output, item })));
}

/** n8n's own "needs to be reconnected" failure of a Gmail node, as the Error Trigger hands it over. */
function reconnectFailure(
	credential: { id: string; name: string },
	workflow?: { id: string; name: string },
): IDataObject {
	return errorTriggerItem(
		nodeError({
			message: `The credential "${credential.name}" needs to be reconnected.`,
			failure: { cause: 'credential-invalid' },
			nodeType: 'n8n-nodes-base.gmail',
			credentials: { gmailOAuth2: credential },
		}),
		workflow,
	);
}

function only(result: RunResult): { output: number; json: IDataObject } {
	expect(result.error).toBeUndefined();
	const all = routed(result);
	expect(all).toHaveLength(1);
	return { output: all[0].output, json: all[0].item.json };
}

describe('real-world payload table', () => {
	it('has at least 40 cases covering every category', () => {
		expect(PAYLOADS.length).toBeGreaterThanOrEqual(40);
		expect(new Set(PAYLOADS.map((payload) => payload.category))).toEqual(new Set(ALL_CATEGORIES));
	});

	it.each(PAYLOADS.map((payload) => [payload.name, payload] as const))('%s', async (_name, payload) => {
		const { output, json } = only(await diagnoseRun([payload.json]));
		expect(json.category).toBe(payload.category);
		if (payload.isOAuthIssue !== undefined) expect(json.isOAuthIssue).toBe(payload.isOAuthIssue);
		if (payload.provider !== undefined) expect(json.provider).toBe(payload.provider);
		if (payload.credentialId !== undefined) expect((json.credential as IDataObject).id).toBe(payload.credentialId);
		expect(output).toBe(payload.category === 'not_auth_related' ? OK : NEEDS_ATTENTION);
		for (const field of [
			'isOAuthIssue',
			'category',
			'action',
			'retryable',
			'severity',
			'summary',
			'remediation',
			'failedNode',
			'credential',
			'provider',
			'evidence',
			'source',
		]) {
			expect(json).toHaveProperty(field);
		}
	});
});

describe('the seed story (Dify/n8n agent: Gmail refresh failure blamed on Gemini)', () => {
	it('says: OAuth refresh failure of the Google credential, reconnect it, not the model', async () => {
		const seed = PAYLOADS.find((payload) => payload.name.startsWith('Seed 000: Dify'));
		const { output, json } = only(await diagnoseRun([seed?.json as IDataObject]));
		expect(output).toBe(NEEDS_ATTENTION);
		expect(json).toMatchObject({
			isOAuthIssue: true,
			category: 'refresh_token_invalid',
			action: 'reconnect',
			provider: 'google',
		});
		expect(json.summary).toMatch(/Google/);
		expect(json.summary).toMatch(/not a model API key/);
		expect((json.failedNode as IDataObject).type).toBe('@n8n/n8n-nodes-langchain.lmChatGoogleGemini');
		expect((json.events as IDataObject[]).map((event) => event.type)).toEqual([
			'io.n8n.tokenguard.error.diagnosed',
			'io.n8n.tokenguard.refresh.failed',
		]);
	});

	it.each([
		['OpenAI', 'Incorrect API key provided'],
		['Gemini', 'Gemini "API key not valid"'],
	])('a real %s key failure is model_api_key, not OAuth', async (_name, fragment) => {
		const payload = PAYLOADS.find((candidate) => candidate.name.includes(fragment));
		const { json } = only(await diagnoseRun([payload?.json as IDataObject]));
		expect(json).toMatchObject({ category: 'model_api_key', isOAuthIssue: false, action: 'check_api_key' });
	});
});

describe('every item gets exactly one paired output item', () => {
	it('routes a mixed batch and pairs each output with its input', async () => {
		const batch = PAYLOADS.map((payload) => payload.json as IDataObject);
		const result = await diagnoseRun(batch, { parameters: { alertCooldownMinutes: 0 } });
		const all = routed(result);
		expect(all).toHaveLength(batch.length);
		const paired = all.map(({ item }) => (item.pairedItem as { item: number }).item).sort((a, b) => a - b);
		expect(paired).toEqual(batch.map((_item, index) => index));
		for (const { output, item } of all) {
			const expected = PAYLOADS[(item.pairedItem as { item: number }).item];
			expect(item.json.category).toBe(expected.category);
			expect(output).toBe(expected.category === 'not_auth_related' ? OK : NEEDS_ATTENTION);
		}
	});
});

// ---- fuzz ----

/** mulberry32: a small seeded PRNG so every run fuzzes the same payloads. */
function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const KEYS = [
	'execution',
	'error',
	'trigger',
	'workflow',
	'message',
	'description',
	'messages',
	'httpCode',
	'failure',
	'cause',
	'node',
	'credentials',
	'context',
	'response',
	'headers',
	'www-authenticate',
	'status',
	'statusCode',
	'code',
	'data',
	'body',
	'id',
	'name',
	'type',
	'url',
	'config',
	'tokenGuard',
	'category',
	'error_description',
	'__proto__',
	'constructor',
	'toString',
	'hasOwnProperty',
	'',
	'x'.repeat(300),
];
const STRINGS = [
	'The credential "X" needs to be reconnected.',
	'invalid_grant',
	'AADSTS700082',
	'Bearer error="invalid_token"',
	'401',
	'429',
	'credential-invalid',
	'https://oauth2.googleapis.com/token',
	'{"error":"invalid_grant"',
	'{"error":',
	'ECONNREFUSED',
	'Incorrect API key provided',
	'\u0000\uffff\ud800',
	'🙂🔥',
	'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
	'400 - "{\\"error\\":\\"invalid_client\\"}"',
	'null',
	'NaN',
	'',
	' ',
	'.'.repeat(20000),
];

function fuzzValue(random: () => number, depth: number): unknown {
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const roll = random();
	if (depth > 4 || roll < 0.3) return pick(STRINGS) + (random() < 0.3 ? pick(STRINGS) : '');
	if (roll < 0.4) return pick([0, -1, 401, 599, 1e21, Number.NaN, Number.POSITIVE_INFINITY, -0, 3.14]);
	if (roll < 0.45) return pick([null, true, false, undefined]);
	if (roll < 0.6) return Array.from({ length: Math.floor(random() * 5) }, () => fuzzValue(random, depth + 1));
	const object: Record<string, unknown> = {};
	const size = Math.floor(random() * 6);
	for (let index = 0; index < size; index++) {
		Object.defineProperty(object, pick(KEYS), {
			value: fuzzValue(random, depth + 1),
			enumerable: true,
			configurable: true,
			writable: true,
		});
	}
	return object;
}

function fuzzItems(seed: number, count: number): IDataObject[] {
	const random = prng(seed);
	return Array.from({ length: count }, () => {
		const value = fuzzValue(random, 0);
		// n8n items are objects; wrap everything else the way a Set node would.
		return (
			typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { error: value }
		) as IDataObject;
	});
}

describe('fuzz: 1,000 random and malformed payloads', () => {
	it('never crashes and gives every item a valid diagnosis', async () => {
		const items = fuzzItems(20260301, 1000);
		const result = await diagnoseRun(items);
		expect(result.error).toBeUndefined();
		const all = routed(result);
		expect(all).toHaveLength(1000);
		for (const { item } of all) {
			expect(ALL_CATEGORIES).toContain(item.json.category);
			expect(typeof item.json.summary).toBe('string');
			expect(Array.isArray(item.json.remediation)).toBe(true);
		}
	});

	it('with an Error Field the items lack, Continue On Fail reports the field on each of them', async () => {
		const items = fuzzItems(7, 200);
		const result = await diagnoseRun(items, { parameters: { errorField: 'payload.error' }, continueOnFail: true });
		expect(result.error).toBeUndefined();
		const all = routed(result);
		expect(all).toHaveLength(200);
		for (const { output, item } of all) {
			expect(output).toBe(NEEDS_ATTENTION);
			expect(item.json.error).toMatch(/Error Field "payload\.error" does not exist/);
		}
	});
});

describe('Error Field', () => {
	it('reads a nested field and diagnoses it', async () => {
		const { json } = only(
			await diagnoseRun([{ body: { lastError: 'OAuth credentials not connected' } }], {
				parameters: { errorField: 'body.lastError' },
			}),
		);
		expect(json).toMatchObject({ category: 'not_connected', errorPath: 'body.lastError' });
	});

	it('fails the node with a message naming the missing field', async () => {
		const result = await diagnoseRun([{ body: { other: 1 } }], { parameters: { errorField: 'body.lastError' } });
		expect(result.error?.message).toBe('Error Field "body.lastError" does not exist in item 0');
		expect(result.error?.description).toMatch(/stops after "body"/);
	});
});

// ---- alert hygiene across executions ----

describe('de-duplication and recovery across executions (static data as n8n persists it)', () => {
	const revoked = () => reconnectFailure({ id: 'cred-dedupe', name: 'Gmail account' });

	/** Moves every alert back in time, as if `minutes` had passed since the last execution. */
	function later(staticData: IDataObject, minutes: number): IDataObject {
		const copy = structuredClone(staticData);
		const entries = (
			(copy.global as IDataObject)[STATIC_DATA_KEY] as {
				entries: Record<string, Record<string, number> & { alertedMs?: Record<string, number> }>;
			}
		).entries;
		for (const entry of Object.values(entries)) {
			for (const field of ['firstSeenMs', 'lastSeenMs', 'lastAlertMs']) entry[field] -= minutes * 60_000;
			for (const category of Object.keys(entry.alertedMs ?? {})) entry.alertedMs![category] -= minutes * 60_000;
		}
		return copy;
	}

	it('alerts once, marks repeats inside the cooldown, alerts again after it, and announces the recovery once', async () => {
		const first = await diagnoseRun([revoked()]);
		const firstItem = only(first);
		expect(firstItem.output).toBe(NEEDS_ATTENTION);
		expect(firstItem.json).toMatchObject({ duplicate: false, occurrences: 1 });
		expect((firstItem.json.events as IDataObject[]).map((event) => (event.delivery as IDataObject).status)).toEqual([
			'skipped',
			'skipped',
		]);
		expect(first.staticData).toHaveProperty(['global', STATIC_DATA_KEY, 'entries', 'credential:cred-dedupe']);

		const second = await diagnoseRun([revoked()], { staticData: first.staticData });
		const secondItem = only(second);
		expect(secondItem.output).toBe(ALREADY_REPORTED);
		expect(secondItem.json).toMatchObject({ duplicate: true, occurrences: 2 });
		expect((secondItem.json.delivery as IDataObject).status).toBe('suppressed');
		expect(second.logs.filter((line) => line.text.includes('error.diagnosed')).map((line) => line.level)).toEqual([
			'debug',
		]);

		// The test moves time through static data only, so the process it runs in starts afresh too.
		forgetProcessAlertStates();
		const afterCooldown = await diagnoseRun([revoked()], { staticData: later(second.staticData, 61) });
		expect(only(afterCooldown)).toMatchObject({
			output: NEEDS_ATTENTION,
			json: { duplicate: false, occurrences: 3, suppressedDuplicates: 1 },
		});

		const sameCredentialNewProblem = await diagnoseRun(
			[
				errorTriggerItem(
					nodeError({
						message: 'The service is receiving too many requests from you',
						httpCode: '429',
						credentials: { gmailOAuth2: { id: 'cred-dedupe', name: 'Gmail account' } },
					}),
				),
			],
			{ staticData: afterCooldown.staticData },
		);
		expect(only(sameCredentialNewProblem)).toMatchObject({
			output: NEEDS_ATTENTION,
			json: { duplicate: false, category: 'rate_limited' },
		});

		// A later successful check of the same credential in this workflow ends the episode, once.
		const helper = new HarnessCredentialsHelper();
		const ref = helper.addCredential({
			id: 'cred-dedupe',
			name: 'Gmail account',
			type: 'gmailOAuth2',
			data: {
				clientId: 'id',
				clientSecret: 'secret',
				oauthTokenData: {
					access_token: 'at-fresh-0123456789',
					refresh_token: 'rt-fresh-0123456789',
					n8n_expires_at: String(Date.now() + 3_600_000),
				},
			},
		});
		const check = (staticData: IDataObject) =>
			runNode({
				// A Gmail credential is checked by the companion package's node; the alert state is the workflow's.
				nodeType: new TokenHealthBuiltIn(),
				helper,
				mode: 'trigger',
				staticData,
				parameters: { operation: 'checkCredential', credentialType: 'gmailOAuth2' },
				credentials: { gmailOAuth2: ref },
			});
		const recovered = await check(sameCredentialNewProblem.staticData);
		const recoveredItem = only(recovered);
		expect(recoveredItem.output).toBe(OK);
		expect(recoveredItem.json.status).toBe('healthy');
		expect((recoveredItem.json.events as IDataObject[]).map((event) => event.type)).toContain(
			'io.n8n.tokenguard.refresh.recovered',
		);
		expect(recovered.logs.some((line) => line.level === 'info' && line.text.includes('refresh.recovered'))).toBe(true);

		const stillHealthy = await check(recovered.staticData);
		expect((only(stillHealthy).json.events as IDataObject[]).map((event) => event.type)).not.toContain(
			'io.n8n.tokenguard.refresh.recovered',
		);

		const failsAgain = await diagnoseRun([revoked()], { staticData: stillHealthy.staticData });
		expect(only(failsAgain).json).toMatchObject({ duplicate: false, occurrences: 1 });
	});

	it('without a credential, repeats are grouped per workflow and category', async () => {
		const timeout = () =>
			errorTriggerItem(nodeError({ message: 'connect ETIMEDOUT 10.0.0.5:443', code: 'ETIMEDOUT' }), {
				id: 'wf-9',
				name: 'Nightly',
			});
		const first = await diagnoseRun([timeout()]);
		const second = await diagnoseRun([timeout()], { staticData: first.staticData });
		expect(only(second).json.duplicate).toBe(true);
		expect(second.staticData).toHaveProperty([
			'global',
			STATIC_DATA_KEY,
			'entries',
			'workflow:wf-9:provider_unavailable',
		]);
	});

	it('version 1 keeps two outputs: repeats on OK, or on Needs Attention with "Send Duplicates To"', async () => {
		const repeatOutput = async (parameters: INodeParameters) => {
			const first = await diagnoseRun([revoked()], { parameters, typeVersion: 1 });
			const second = await diagnoseRun([revoked()], { parameters, typeVersion: 1, staticData: first.staticData });
			expect(second.outputs).toHaveLength(2);
			return only(second);
		};
		expect(await repeatOutput({})).toMatchObject({ output: OK, json: { duplicate: true } });
		expect(await repeatOutput({ options: { duplicatesOutput: 'needsAttention' } })).toMatchObject({
			output: NEEDS_ATTENTION,
			json: { duplicate: true },
		});
	});

	it('a manual test run does not persist the alert state, so the next run alerts again', async () => {
		const first = await diagnoseRun([revoked()], { mode: 'manual' });
		expect(first.staticData).toEqual({});
		const second = await diagnoseRun([revoked()], { mode: 'manual', staticData: first.staticData });
		expect(only(second).json.duplicate).toBe(false);
	});

	it('repeats inside one batch are duplicates too', async () => {
		const result = await diagnoseRun([revoked(), revoked(), revoked()]);
		expect(result.outputs[NEEDS_ATTENTION]).toHaveLength(1);
		expect(result.outputs[ALREADY_REPORTED].map((item) => item.json.duplicate)).toEqual([true, true]);
	});
});

describe('what the editor shows', () => {
	it('summary is the first field (the first column of Table view) and remediation has at most four steps', async () => {
		const reconnect = reconnectFailure({ id: 'cred-editor', name: 'Gmail account' });
		const { json } = only(await diagnoseRun([reconnect]));
		expect(Object.keys(json)[0]).toBe('summary');
		expect(json.summary).toEqual(expect.any(String));
		expect((json.remediation as string[]).length).toBeGreaterThan(0);
		expect((json.remediation as string[]).length).toBeLessThanOrEqual(4);
	});
});

describe('secrets in error payloads', () => {
	const CANARIES = {
		bearer: 'ya29.CANARY-bearer-4f1d9a7c2e5b8d3a6f0c',
		refresh: '1//CANARY-refresh-0a9b8c7d6e5f4a3b2c1d',
		query: 'CANARY-query-token-9f8e7d6c5b4a3928',
		jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJDQU5BUlktand0In0.Q0FOQVJZLXNpZ25hdHVyZQ',
	};

	it('never reach the output items or the log', async () => {
		const payload = errorTriggerItem(
			nodeError({
				message: `Request to https://api.example.com/v1/items?access_token=${CANARIES.query} failed: 401 - {"error":"invalid_token","refresh_token":"${CANARIES.refresh}"}`,
				httpCode: '401',
				description: `Authorization: Bearer ${CANARIES.bearer}; id_token ${CANARIES.jwt}`,
				context: {
					request: {
						headers: { authorization: `Bearer ${CANARIES.bearer}` },
						url: `https://api.example.com/v1/items?access_token=${CANARIES.query}`,
					},
				},
				credentials: { oAuth2Api: { id: 'c-canary', name: 'Canary' } },
			}),
		);
		const result = await diagnoseRun([payload, { error: `token=${CANARIES.query} Bearer ${CANARIES.bearer}` }]);
		const everything = JSON.stringify({ outputs: result.outputs, logs: result.logs.map((line) => line.text) });
		for (const canary of Object.values(CANARIES)) expect(everything).not.toContain(canary);
		expect(routed(result)[0].item.json.category).toBe('access_token_rejected');
	});

	it('nor the summary, remediation or evidence.matched of a refused API key (a credential that is not OAuth)', async () => {
		const payload = errorTriggerItem(
			nodeError({
				message: `401 - {"message":"Invalid API key","hint":"Double check your Supabase anon or service_role API key."} for https://x.supabase.co/rest/v1/items?apikey=${CANARIES.query} (Authorization: Bearer ${CANARIES.bearer})`,
				httpCode: '401',
				nodeType: 'n8n-nodes-base.supabase',
				credentials: { supabaseApi: { id: 'c-key', name: 'Supabase' } },
			}),
		);
		const result = await diagnoseRun([payload]);
		const json = routed(result)[0].item.json;
		expect(json).toMatchObject({ category: 'not_auth_related', isOAuthIssue: false });
		expect((json.evidence as IDataObject).matched).toBe('credentialType: supabaseApi is not OAuth');
		expect(json.summary).toMatch(/not OAuth2 \(supabaseApi\): check its key or login/);
		const everything = JSON.stringify({ outputs: result.outputs, logs: result.logs.map((line) => line.text) });
		for (const canary of Object.values(CANARIES)) expect(everything).not.toContain(canary);
	});
});

describe('a burst of concurrent failures (one n8n process)', () => {
	const failing = (credentialId: string) => reconnectFailure({ id: credentialId, name: credentialId });
	const CREDENTIALS = ['cred-storm-a', 'cred-storm-b', 'cred-storm-c'];
	const EXECUTIONS = 50;

	it('50 executions started together, 3 dead credentials interleaved: exactly 3 alerts, 47 duplicates, exact counts; a restart inside the cooldown stays quiet', async () => {
		// Every execution starts from the same (empty) static data, as n8n hands concurrent executions.
		const burst = await Promise.all(
			Array.from({ length: EXECUTIONS }, (_unused, index) =>
				diagnoseRun([failing(CREDENTIALS[index % CREDENTIALS.length])], { staticData: {} }),
			),
		);
		const items = burst.map((result) => only(result));
		const alerts = items.filter((item) => item.json.duplicate === false);
		expect(alerts.map((item) => (item.json.credential as IDataObject).id).sort()).toEqual([...CREDENTIALS].sort());
		expect(alerts.every((item) => item.output === NEEDS_ATTENTION)).toBe(true);
		expect(items.filter((item) => item.json.duplicate === true)).toHaveLength(EXECUTIONS - CREDENTIALS.length);
		// Only the alerts sent events; every duplicate's were held back.
		const sent = items
			.flatMap((item) => item.json.events as IDataObject[])
			.filter((event) => (event.delivery as IDataObject).status !== 'suppressed');
		expect(sent.length).toBe(alerts.reduce((count, item) => count + (item.json.events as IDataObject[]).length, 0));
		// The last occurrence of each credential counts every execution that hit it.
		for (const credentialId of CREDENTIALS) {
			const seen = items.filter((item) => (item.json.credential as IDataObject).id === credentialId);
			expect(Math.max(...seen.map((item) => item.json.occurrences as number))).toBe(
				Array.from({ length: EXECUTIONS }, (_unused, index) => CREDENTIALS[index % CREDENTIALS.length]).filter(
					(id) => id === credentialId,
				).length,
			);
		}

		// A restart: this process's memory is gone, static data (as the last execution saved it) remains.
		const saved = burst[burst.length - 1].staticData;
		forgetProcessAlertStates();
		const afterRestart = await Promise.all(
			CREDENTIALS.map((credentialId) => diagnoseRun([failing(credentialId)], { staticData: saved })),
		);
		expect(afterRestart.map((result) => only(result).json.duplicate)).toEqual([true, true, true]);
	});

	it('the digest: one credential failing in three workflows is one episode naming all three, in order', async () => {
		const failingIn = (workflowId: string) =>
			reconnectFailure({ id: 'cred-digest', name: 'Digest' }, { id: workflowId, name: workflowId });
		const runs = [];
		let staticData: IDataObject = {};
		for (const workflowId of ['wf-crm', 'wf-mail', 'wf-crm', 'wf-report']) {
			const result = await diagnoseRun([failingIn(workflowId)], { staticData });
			staticData = result.staticData;
			runs.push(only(result).json);
		}
		expect(runs.map((json) => [json.duplicate, json.occurrences, json.workflows])).toEqual([
			[false, 1, ['wf-crm']],
			[true, 2, ['wf-crm', 'wf-mail']],
			[true, 3, ['wf-crm', 'wf-mail']],
			[true, 4, ['wf-crm', 'wf-mail', 'wf-report']],
		]);
	});

	it('two processes alerting the same episode give their events the same id (the webhook-id receivers de-duplicate on)', async () => {
		const first = only(await diagnoseRun([failing('cred-storm-x')], { staticData: {} }));
		forgetProcessAlertStates();
		const second = only(await diagnoseRun([failing('cred-storm-x')], { staticData: {} }));
		const other = only(await diagnoseRun([failing('cred-storm-y')], { staticData: {} }));
		const ids = (item: { json: IDataObject }) => (item.json.events as IDataObject[]).map((event) => event.id);
		expect(first.json.duplicate).toBe(false);
		expect(second.json.duplicate).toBe(false);
		expect(ids(first)).toHaveLength(2);
		expect(ids(second)).toEqual(ids(first));
		expect(ids(other).some((id) => ids(first).includes(id))).toBe(false);
	});

	it('static data alone (each execution in its own process) alerts for every execution: what the memory prevents', async () => {
		const results: RunResult[] = [];
		for (let index = 0; index < 6; index++) {
			forgetProcessAlertStates();
			results.push(await diagnoseRun([failing('cred-storm-solo')], { staticData: {} }));
		}
		expect(results.map((result) => only(result).json.duplicate)).toEqual([false, false, false, false, false, false]);
	});
});
