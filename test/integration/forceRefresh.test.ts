/**
 * The Force Refresh node run for real (n8n-core WorkflowExecute) against oidc-provider with refresh
 * token rotation and reuse detection, plus the fault server for answers oidc-provider cannot give.
 * Every test also greps outputs, errors and captured logs for the secrets it planted.
 */
import { randomBytes } from 'node:crypto';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { isSingleUseBody } from '../../nodes/shared/http/signedSend.adapter';
import type { SelectedCredential } from '../../nodes/shared/refresh/tokenState';
import { readCredentialToken } from '../../nodes/shared/refresh/credentialAccess.adapter';
import { forgetRefreshMemory, refreshCredentialToken } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import { ForceRefreshBuiltIn } from '../../builtin/nodes/ForceRefreshBuiltIn/ForceRefreshBuiltIn.node';
import { credentialTypeInfo } from '../../nodes/shared/credentialCatalog';
import { forgetRecentRefreshes } from '../../nodes/shared/refresh/manualGrant';
import type { HarnessCredentialsHelper, RunResult } from '../harness';
import { startFaultServer } from '../servers/faultServer';
import type { FaultServerHandle } from '../servers/faultServer';
import { startOidcServer } from '../servers/oidcServer';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import type { StoredRef } from './forceRefreshSupport';
import {
	CONNECT_TYPE,
	MANUAL_TYPE,
	addConnectCredential,
	addManualCredential,
	newHelper,
	runForceRefresh,
	tokenGuardOf,
} from './forceRefreshSupport';

jest.setTimeout(120_000);

const CLIENT_SECRET = `client-secret-CANARY-${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let server: OidcServerHandle;
let fault: FaultServerHandle;

/** Every secret this file planted or the authorization server issued: none may ever be shown. */
const secrets = new Set<string>([CLIENT_SECRET, SIGNING_SECRET]);

beforeAll(async () => {
	[server, fault] = await Promise.all([
		startOidcServer({ accessTokenTtlSeconds: 60, clientSecret: CLIENT_SECRET }),
		startFaultServer(),
	]);
});
afterAll(async () => await Promise.all([server.stop(), fault.stop()]));
beforeEach(async () => {
	forgetRecentRefreshes();
	forgetRefreshMemory();
	fault.reset();
	await server.resetStats();
});

async function mint(scope?: string): Promise<MintedGrant> {
	const grant = await server.mintGrant(scope === undefined ? {} : { scope });
	secrets.add(grant.accessToken).add(grant.refreshToken);
	return grant;
}

/** A grant whose stored access token the API no longer accepts (as after expiry), refresh token intact. */
async function staleGrant(scope?: string): Promise<MintedGrant> {
	return staleGrantOf(await mint(scope));
}

function staleGrantOf(grant: MintedGrant): MintedGrant {
	const stale = `stale-at-CANARY-${randomBytes(16).toString('hex')}`;
	secrets.add(stale);
	return { ...grant, accessToken: stale };
}

type Family = 'connect' | 'manual';

function addCredential(
	helper: HarnessCredentialsHelper,
	family: Family,
	grant: MintedGrant,
	options: { expiresAtMs?: number; name?: string } = {},
): StoredRef {
	if (family === 'connect') {
		return addConnectCredential(helper, server, grant, {
			...(options.name === undefined ? {} : { name: options.name }),
			...(options.expiresAtMs === undefined
				? {}
				: { tokenData: { n8n_expires_at: String(options.expiresAtMs), expires_in: 3600 } }),
		});
	}
	return addManualCredential(helper, server, grant, {
		...(options.name === undefined ? {} : { name: options.name }),
		...(options.expiresAtMs === undefined ? {} : { expiresAt: new Date(options.expiresAtMs).toISOString() }),
	});
}

/** Everything a user or an error workflow could see: items, the error, and n8n's log. */
function expectNoSecretsShown(result: RunResult, helper: HarnessCredentialsHelper): void {
	for (const write of helper.writes) {
		const data = write.data as IDataObject;
		const tokenData = (data.oauthTokenData ?? {}) as IDataObject;
		for (const value of [data.accessToken, data.refreshToken, tokenData.access_token, tokenData.refresh_token]) {
			if (typeof value === 'string' && value !== '') secrets.add(value);
		}
	}
	const error = result.error as (Error & { description?: string; context?: unknown }) | undefined;
	const shown = [
		JSON.stringify(result.outputs),
		error
			? `${error.message}\n${error.description ?? ''}\n${JSON.stringify(error.context ?? {})}\n${JSON.stringify(error)}`
			: '',
		...result.logs.map((line) => line.text),
	].join('\n');
	for (const secret of secrets) expect(shown).not.toContain(secret);
}

const refreshCalls = async () => (await server.stats()).tokenRequests.refresh_token;

const outputs = (result: RunResult): INodeExecutionData[] => {
	if (result.error)
		throw new Error(
			`the run failed: ${result.error.message}\n${(result.error as { description?: string }).description ?? ''}`,
		);
	return result.outputs[0];
};

describe.each<Family>(['connect', 'manual'])('%s family', (family) => {
	it('1,000 items hitting 401 at once on one credential → exactly 1 token call, every replay succeeds', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, family, await staleGrant());
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 1000 },
			{ itemCount: 1000 },
		);

		const items = outputs(result);
		const stats = await server.stats();
		expect(stats.tokenRequests.refresh_token).toBe(1);
		expect(stats.grantErrors).toEqual([]);
		expect(stats.apiRequests.byStatus).toEqual({ 200: 1000, 401: 1000 });
		expect(items).toHaveLength(1000);
		expect(items.map((item) => item.pairedItem)).toEqual(items.map((_item, index) => ({ item: index })));
		expect(
			new Set(
				items.map(
					(item) => `${tokenGuardOf(item).reason}/${tokenGuardOf(item).refreshed}/${tokenGuardOf(item).statusCode}`,
				),
			),
		).toEqual(new Set(['expiry-signal/true/200']));
		// Every replay used the one new token, and the API saw exactly that token.
		expect(new Set(items.map((item) => item.json.tokenFingerprint))).toEqual(
			new Set([tokenGuardOf(items[0]).tokenFingerprint]),
		);
		expectNoSecretsShown(result, helper);
	});

	it('known expiry inside the margin → refreshed before the request → the API sees 0 401s', async () => {
		const helper = newHelper();
		// Stored expiry one minute ago: without a proactive refresh every request would be a 401.
		const credential = addCredential(helper, family, await staleGrant(), { expiresAtMs: Date.now() - 60_000 });
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 50 },
			{ itemCount: 50 },
		);

		const items = outputs(result);
		const stats = await server.stats();
		expect(stats.apiRequests.byStatus).toEqual({ 200: 50 });
		expect(stats.tokenRequests.refresh_token).toBe(1);
		expect(new Set(items.map((item) => tokenGuardOf(item).reason))).toEqual(new Set(['proactive']));
		expectNoSecretsShown(result, helper);
	});

	it('Refresh Now persists the new token through n8n, and the rotated refresh token works', async () => {
		const helper = newHelper();
		const grant = await mint();
		const credential = addCredential(helper, family, grant);
		const result = await runForceRefresh(helper, credential, { operation: 'refresh' }, { itemCount: 3 });

		const items = outputs(result);
		expect(await refreshCalls()).toBe(1);
		expect(helper.writes.map((write) => write.kind)).toEqual([
			family === 'connect' ? 'oauthTokenData' : 'updateCredentials',
		]);
		const stored = helper.storedData(credential.ref.id) as IDataObject;
		const storedRefreshToken = (
			family === 'connect' ? (stored.oauthTokenData as IDataObject).refresh_token : stored.refreshToken
		) as string;
		expect(storedRefreshToken).not.toBe(grant.refreshToken);
		expect(
			items.map((item) => [
				item.json.index,
				tokenGuardOf(item).reason,
				tokenGuardOf(item).attempts,
				tokenGuardOf(item).refreshTokenRotated,
			]),
		).toEqual([
			[0, 'forced', 1, true],
			[1, 'forced', 1, true],
			[2, 'forced', 1, true],
		]);
		expect(tokenGuardOf(items[0]).expiresAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
		expectNoSecretsShown(result, helper);
		const again = await server.refresh(storedRefreshToken);
		expect([again.status, typeof again.json.access_token]).toEqual([200, 'string']);
		secrets.add(again.json.access_token ?? '').add(again.json.refresh_token ?? '');
	});

	it('invalid_grant → no retry, a reconnect error naming the credential', async () => {
		const helper = newHelper();
		const grant = await mint();
		await server.revokeGrant(grant.grantId);
		const credential = addCredential(helper, family, grant, { name: 'Revoked CRM' });
		const result = await runForceRefresh(helper, credential, { operation: 'refresh' });

		expect(await refreshCalls()).toBe(1);
		const error = result.error as Error & { description?: string; context?: IDataObject };
		expect(error.message).toContain('"Revoked CRM"');
		expect(error.context?.tokenGuard).toMatchObject({ category: 'refresh_token_invalid', action: 'reconnect' });
		expect(error.description).toContain('Category: refresh_token_invalid · Action: reconnect');
		expect(helper.writes).toEqual([]);
		expectNoSecretsShown(result, helper);
	});

	it('Continue On Fail gives every item an error item with the category', async () => {
		const helper = newHelper();
		const grant = await mint();
		await server.revokeGrant(grant.grantId);
		const credential = addCredential(helper, family, grant);
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 5 },
			{ itemCount: 5, continueOnFail: true },
		);

		const items = outputs(result);
		expect(items).toHaveLength(5);
		expect(items.map((item) => [item.pairedItem, tokenGuardOf(item).category])).toEqual(
			items.map((_item, index) => [{ item: index }, 'refresh_token_invalid']),
		);
		expect(String(items[0].json.error)).toContain(`"${credential.ref.name}"`);
		expect(await refreshCalls()).toBe(1);
		expectNoSecretsShown(result, helper);
	});
});

describe('expiry signalled in the body (HTTP 200)', () => {
	const slackRule = 'ok = false and error in token_expired,invalid_auth';

	it('one refresh, one replay, then the real answer', async () => {
		await server.setApiMode('body-expired');
		try {
			const helper = newHelper();
			const credential = addCredential(helper, 'connect', await staleGrant());
			const result = await runForceRefresh(
				helper,
				credential,
				{ operation: 'request', url: server.apiUrl('me'), expiredWhen: slackRule, concurrency: 10 },
				{ itemCount: 10 },
			);

			const items = outputs(result);
			const stats = await server.stats();
			expect(stats.tokenRequests.refresh_token).toBe(1);
			expect(stats.apiRequests.byStatus).toEqual({ 200: 20 });
			expect(items.map((item) => [item.json.sub, tokenGuardOf(item).expirySignal])).toEqual(
				items.map(() => ['demo-user', 'body']),
			);
			expectNoSecretsShown(result, helper);
		} finally {
			await server.setApiMode('normal');
		}
	});

	it.each([
		['raised as access_token_rejected', false],
		['returned with its category under Never Error', true],
	])('a second body error is %s, not looped', async (_case, neverError) => {
		fault.setDefault({ kind: 'json', status: 200, body: { ok: false, error: 'invalid_auth' } });
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await staleGrant(), { name: 'Slack bot' });
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: `${fault.url}/api.test`,
			expiredWhen: slackRule,
			options: { neverError },
		});

		expect(fault.requests).toHaveLength(2);
		expect(await refreshCalls()).toBe(1);
		if (neverError) {
			const [item] = outputs(result);
			expect([item.json.ok, tokenGuardOf(item).category, tokenGuardOf(item).refreshed]).toEqual([
				false,
				'access_token_rejected',
				true,
			]);
		} else {
			expect(result.error?.message).toContain('"Slack bot"');
			expect((result.error as { context?: IDataObject }).context?.tokenGuard).toMatchObject({
				category: 'access_token_rejected',
			});
		}
		expectNoSecretsShown(result, helper);
	});
});

describe('transient failures', () => {
	it('429 with Retry-After → waits as told, then succeeds', async () => {
		fault.enqueue({ kind: 'retryAfterSeconds', status: 429, seconds: 1 });
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: `${fault.url}/items`,
			maxTotalWaitSeconds: 5,
		});

		const [item] = outputs(result);
		expect(fault.requests).toHaveLength(2);
		expect([item.json.ok, tokenGuardOf(item).attempts, tokenGuardOf(item).waitedMs]).toEqual([true, 2, 1000]);
		expect(await refreshCalls()).toBe(0);
	});

	it('429 with a Retry-After beyond the cap → not waited for, rate_limited', async () => {
		fault.enqueue({ kind: 'retryAfterSeconds', status: 429, seconds: 1 });
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: `${fault.url}/items`,
			maxTotalWaitSeconds: 0.5,
		});

		expect(fault.requests).toHaveLength(1);
		expect((result.error as { context?: IDataObject }).context?.tokenGuard).toMatchObject({ category: 'rate_limited' });
	});

	it.each([
		['GET', 3],
		['POST', 1],
	])('a 500 is retried for %s only when repeating is safe (%i requests)', async (method, requests) => {
		fault.setDefault({ kind: 'json', status: 500, body: { error: 'boom' } });
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			method,
			url: `${fault.url}/items`,
			maxAttempts: 3,
			maxTotalWaitSeconds: 3,
		});

		expect(fault.requests).toHaveLength(requests);
		expect((result.error as { context?: IDataObject }).context?.tokenGuard).toMatchObject({
			category: 'provider_unavailable',
		});
	});
});

describe('credentials n8n itself gets wrong', () => {
	it("the bare generic oAuth2Api credential is signed, and refreshed through n8n when stale (the companion's node)", async () => {
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await staleGrant(), { type: 'oAuth2Api', name: 'Generic' });
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 5 },
			{ itemCount: 5, nodeType: new ForceRefreshBuiltIn() },
		);

		const items = outputs(result);
		expect(items.map((item) => [item.json.sub, tokenGuardOf(item).statusCode])).toEqual(
			items.map(() => ['demo-user', 200]),
		);
		expect(await refreshCalls()).toBe(1);
		expect(helper.writes.map((write) => write.kind)).toEqual(['oauthTokenData']);
		expectNoSecretsShown(result, helper);
	});

	it("the credential's own expired-status codes count: a 403 from a gateway refreshes and replays", async () => {
		fault.enqueue({ kind: 'json', status: 403, body: { message: 'Unauthorized; scope does not match' } });
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await mint(), {
			name: 'Jira',
			extraData: { tokenExpiredStatusCode: [401, 403] },
		});
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: `${fault.url}/rest/api/3/myself`,
		});

		const [item] = outputs(result);
		expect(
			fault.requests.map((request) => request.headers.authorization === fault.requests[0].headers.authorization),
		).toEqual([true, false]);
		expect([item.json.ok, tokenGuardOf(item).reason, tokenGuardOf(item).expirySignal]).toEqual([
			true,
			'expiry-signal',
			'status',
		]);
		expect(await refreshCalls()).toBe(1);
	});

	it('a 403 insufficient_scope is not an expiry signal, even with 403 listed', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint('openid offline_access'));
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: server.apiUrl('scoped'),
			expiryStatusCodes: '401, 403',
		});

		expect(await refreshCalls()).toBe(0);
		expect((await server.stats()).apiRequests.byStatus).toEqual({ 403: 1 });
		expect((result.error as { context?: IDataObject }).context?.tokenGuard).toMatchObject({
			category: 'scope_insufficient',
			action: 'add_scopes',
		});
		expectNoSecretsShown(result, helper);
	});
});

describe('Refresh If Expiring', () => {
	it.each([
		['fresh', Date.now() + 3_600_000, false, 'not-needed', 0],
		['inside the margin', Date.now() + 60_000, false, 'proactive', 1],
		['unknown, not asked', undefined, false, 'not-needed', 0],
		['unknown, asked', undefined, true, 'proactive', 1],
	])('%s → %s', async (_case, expiresAtMs, refreshWhenUnknown, reason, calls) => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint(), {
			...(expiresAtMs === undefined ? {} : { expiresAtMs }),
		});
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'refreshIfExpiring', marginSeconds: 300, refreshWhenUnknown },
			{ itemCount: 2 },
		);

		const items = outputs(result);
		expect(items.map((item) => [item.json.index, tokenGuardOf(item).reason])).toEqual([
			[0, reason],
			[1, reason],
		]);
		expect(await refreshCalls()).toBe(calls);
		expectNoSecretsShown(result, helper);
	});

	it('a negative margin is refused, naming the field', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, { operation: 'refreshIfExpiring', marginSeconds: -5 });
		expect(result.error?.message).toMatch(/^Margin \(Seconds\): must be a number of seconds, 0 or more/);
		expect(await refreshCalls()).toBe(0);
	});
});

describe('what the editor shows', () => {
	it('one tokenGuard shape on every item, display names, and a run summary in the output pane', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await staleGrant());
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 1 },
			{ itemCount: 5 },
		);

		const items = outputs(result);
		const shapes = new Set(items.map((item) => Object.keys(tokenGuardOf(item)).sort().join(',')));
		expect(shapes.size).toBe(1);
		expect(tokenGuardOf(items[0])).toMatchObject({
			expirySignal: 'status',
			category: null,
			delivery: null,
			credential: { type: CONNECT_TYPE, typeName: 'Token Guard OAuth2 API' },
		});
		expect(tokenGuardOf(items[4])).toMatchObject({ refreshed: false, expirySignal: null, category: null });
		const hints = result.runData[result.node.name][0].hints ?? [];
		expect(hints.map((hint) => [hint.message, hint.location])).toEqual([
			['1 refresh; 1 of 5 items replayed after the token expired', 'outputPane'],
		]);
	});

	it.each(['refresh', 'refreshIfExpiring'])(
		'a failed %s (Continue On Fail) carries the same tokenGuard keys as a successful one',
		async (operation) => {
			const helper = newHelper();
			// No stored expiry and "refresh when unknown" on: Refresh If Expiring refreshes too.
			const parameters = { operation, refreshWhenUnknown: true };
			const succeeded = await runForceRefresh(helper, addCredential(helper, 'connect', await mint()), parameters);
			const grant = await mint();
			await server.revokeGrant(grant.grantId);
			const failed = await runForceRefresh(helper, addCredential(helper, 'connect', grant), parameters, {
				continueOnFail: true,
			});

			const keys = (result: RunResult) => Object.keys(tokenGuardOf(outputs(result)[0])).sort();
			expect(tokenGuardOf(outputs(succeeded)[0]).refreshed).toBe(true);
			expect(tokenGuardOf(outputs(failed)[0])).toMatchObject({ category: 'refresh_token_invalid', delivery: null });
			expect(keys(failed)).toEqual(keys(succeeded));
		},
	);

	it('a failed item (Continue On Fail) carries the same tokenGuard keys as an answered one', async () => {
		const helper = newHelper();
		const answered = await runForceRefresh(helper, addCredential(helper, 'connect', await mint()), {
			operation: 'request',
			url: server.apiUrl('me'),
		});
		const grant = await mint();
		await server.revokeGrant(grant.grantId);
		const failed = await runForceRefresh(
			helper,
			addCredential(helper, 'connect', await staleGrantOf(grant)),
			{ operation: 'request', url: server.apiUrl('me') },
			{ continueOnFail: true },
		);

		const keys = (result: RunResult) => Object.keys(tokenGuardOf(outputs(result)[0])).sort();
		expect(tokenGuardOf(outputs(failed)[0]).category).toBe('refresh_token_invalid');
		expect(keys(failed)).toEqual(keys(answered));
		expect(tokenGuardOf(outputs(answered)[0])).toMatchObject({ reason: null, category: null });
	});
});

describe('events', () => {
	it('one refresh.succeeded event per shared refresh, delivered signed to the webhook sink', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, 'manual', await staleGrant());
		const sink = helper.addCredential({
			id: 'sink-1',
			name: 'Alerts',
			type: 'tokenGuardWebhookApi',
			data: { url: `${fault.url}/hook`, signingSecret: SIGNING_SECRET },
		});
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'request', url: server.apiUrl('me'), concurrency: 50, sendEvents: true },
			{ itemCount: 50, credentials: { [MANUAL_TYPE]: credential.ref, tokenGuardWebhookApi: sink } },
		);

		const items = outputs(result);
		const events = fault.requests
			.filter((request) => request.path === '/hook')
			.map((request) => request.json as IDataObject);
		expect(events.map((event) => event.type)).toEqual(['io.n8n.tokenguard.refresh.succeeded']);
		expect(fault.requests[0].headers['webhook-signature']).toMatch(/^v1,/);
		expect(
			items
				.filter((item) => tokenGuardOf(item).delivery !== null)
				.map((item) => (tokenGuardOf(item).delivery as IDataObject).status),
		).toEqual(['delivered']);
		expectNoSecretsShown(result, helper);
		const delivered = fault.requests.map((request) => `${request.body}\n${JSON.stringify(request.headers)}`).join('\n');
		for (const secret of secrets) expect(delivered).not.toContain(secret);
	});
});

describe('refresh alerts through the alert ledger', () => {
	it('20 executions failing at once on one revoked credential send 1 refresh.failed; the next refresh sends 1 refresh.recovered', async () => {
		const helper = newHelper();
		const grant = await mint();
		await server.revokeGrant(grant.grantId);
		const credential = addCredential(helper, 'connect', grant);
		const sink = helper.addCredential({
			id: 'ledger-sink',
			name: 'Alerts',
			type: 'tokenGuardWebhookApi',
			data: { url: `${fault.url}/hook`, signingSecret: SIGNING_SECRET },
		});
		const credentials = { [CONNECT_TYPE]: credential.ref, tokenGuardWebhookApi: sink };
		const failures = await Promise.all(
			Array.from({ length: 20 }, async (_unused, index) =>
				runForceRefresh(
					helper,
					credential,
					{ operation: 'refresh', sendEvents: true },
					{ credentials, executionId: `burst-${index}` },
				),
			),
		);
		expect(failures.map((result) => result.error?.message === undefined)).toEqual(failures.map(() => false));
		const hookTypes = () =>
			fault.requests.filter((request) => request.path === '/hook').map((request) => (request.json as IDataObject).type);
		expect(hookTypes()).toEqual(['io.n8n.tokenguard.refresh.failed']);

		// The user reconnects: the same credential holds a working grant again.
		const reconnected = await mint();
		helper.addCredential({
			id: credential.ref.id,
			name: credential.ref.name,
			type: CONNECT_TYPE,
			data: {
				grantType: 'authorizationCode',
				accessTokenUrl: server.tokenUrl,
				clientId: server.clientId,
				clientSecret: server.clientSecret,
				authentication: 'header',
				oauthTokenData: { access_token: reconnected.accessToken, refresh_token: reconnected.refreshToken },
			},
		});
		const healthy = await runForceRefresh(
			helper,
			credential,
			{ operation: 'refresh', sendEvents: true },
			{ credentials },
		);
		expect(healthy.error).toBeUndefined();
		expect(hookTypes()).toEqual([
			'io.n8n.tokenguard.refresh.failed',
			'io.n8n.tokenguard.refresh.recovered',
			'io.n8n.tokenguard.refresh.succeeded',
		]);
		const recovered = fault.requests.find(
			(request) => (request.json as IDataObject).type === 'io.n8n.tokenguard.refresh.recovered',
		);
		expect((recovered?.json as IDataObject).data).toMatchObject({
			occurrences: 20,
			workflows: ['harness-workflow-1'],
			details: { failures: 20 },
		});
		const failed = fault.requests.find(
			(request) => (request.json as IDataObject).type === 'io.n8n.tokenguard.refresh.failed',
		);
		expect((failed?.json as IDataObject).data).toMatchObject({ occurrences: 1, workflows: ['harness-workflow-1'] });
	});
});

describe('request shapes', () => {
	it.each<[string, IDataObject, (json: IDataObject) => unknown, unknown]>([
		[
			'POST JSON body, query and a header that tries to replace Authorization',
			{
				method: 'POST',
				sendQuery: true,
				queryParameters: { parameters: [{ name: 'page', value: '2' }] },
				sendHeaders: true,
				headerParameters: { parameters: [{ name: 'Authorization', value: 'Bearer not-this-one' }] },
				bodyType: 'json',
				jsonBody: '{"name":"Ada","tags":["a","b"]}',
			},
			(json) => [json.method, json.query, json.body, json.sub],
			['POST', { page: '2' }, { name: 'Ada', tags: ['a', 'b'] }, 'demo-user'],
		],
		[
			'PUT form body',
			{
				method: 'PUT',
				bodyType: 'form',
				formBody: {
					parameters: [
						{ name: 'a', value: '1' },
						{ name: 'b', value: 'x y' },
					],
				},
			},
			(json) => [json.method, json.body],
			['PUT', { a: '1', b: 'x y' }],
		],
		[
			'PATCH raw body with its content type',
			{ method: 'PATCH', bodyType: 'raw', rawBody: 'hello', rawContentType: 'text/plain' },
			(json) => [json.method, json.body],
			['PATCH', 'hello'],
		],
		[
			'full response',
			{ options: { fullResponse: true } },
			(json) => [json.statusCode, (json.body as IDataObject).sub, typeof json.headers],
			[200, 'demo-user', 'object'],
		],
		[
			'text response format',
			{ responseFormat: 'text' },
			(json) => [typeof json.data, JSON.parse(json.data as string).sub],
			['string', 'demo-user'],
		],
	])('%s', async (_case, parameters, pick, expected) => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: server.apiUrl('echo'),
			...parameters,
		});
		const [item] = outputs(result);
		expect(pick(item.json)).toEqual(expected);
		expect(tokenGuardOf(item)).toMatchObject({ refreshed: false, reason: null, statusCode: 200 });
	});

	it.each<[string, IDataObject, RegExp]>([
		['URL expression that resolves to nothing', { url: '={{ "" }}' }, /^URL: is empty/],
		['relative URL', { url: '/api/me' }, /^URL: is not an absolute URL/],
		['other scheme', { url: 'ftp://example.com/file' }, /^URL: must use https:\/\/ or http:\/\//],
		['bad status list', { expiryStatusCodes: '401, nope' }, /^Expiry Status Codes: "nope" is not an HTTP status code/],
		['bad body rule', { expiredWhen: 'error' }, /^Expired When \(Body Rule\): "error" is not a condition/],
		[
			'negative margin',
			{ proactiveMarginSeconds: -1 },
			/^Refresh Before Expiry \(Seconds\): must be a number of at least 0/,
		],
		['zero attempts', { maxAttempts: 0 }, /^Max Attempts: must be a number of at least 1/],
		['zero concurrency', { concurrency: 0 }, /^Concurrency: must be a number of at least 1/],
		['invalid JSON body', { method: 'POST', bodyType: 'json', jsonBody: '{"a":' }, /^JSON Body: is not valid JSON/],
	])('%s → an error naming the field', async (_case, parameters, message) => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const result = await runForceRefresh(helper, credential, {
			operation: 'request',
			url: server.apiUrl('me'),
			...parameters,
		});
		expect(result.error?.message).toMatch(message);
		expect((await server.stats()).apiRequests.total).toBe(0);
	});

	it.each<[string, unknown, boolean]>([
		['a Buffer', Buffer.from('x'), false],
		['a string', 'x', false],
		['a stream', { pipe: () => undefined, on: () => undefined }, true],
		['multipart form data', { getBoundary: () => 'b', getHeaders: () => ({}) }, true],
		['nothing', undefined, false],
	])('%s is single-use: %s', (_case, body, singleUse) => {
		expect(isSingleUseBody(body)).toBe(singleUse);
	});
});

describe('older n8n without refreshOAuth2Token', () => {
	it('fails with a message that says which n8n version is needed', async () => {
		const helper = newHelper();
		const credential = addCredential(helper, 'connect', await mint());
		const selected: SelectedCredential = {
			type: CONNECT_TYPE,
			info: credentialTypeInfo(CONNECT_TYPE)!,
			id: credential.ref.id,
			name: credential.ref.name,
		};
		// An execution context as n8n 1.121 builds it: the same helpers minus refreshOAuth2Token.
		const ctx = {
			getCredentials: async (type: string) => await helper.getDecrypted({} as never, credential.ref, type, 'trigger'),
			getNode: () => ({
				id: 'n',
				name: 'Force Refresh',
				type: 'n8n-nodes-token-guard.forceRefresh',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			}),
			helpers: {},
		} as unknown as IExecuteFunctions;
		const previous = await readCredentialToken(ctx, selected);
		await expect(refreshCredentialToken(ctx, selected, previous)).rejects.toThrow(/needs n8n 1\.122 or newer/);
		expect(await refreshCalls()).toBe(0);
	});
});
