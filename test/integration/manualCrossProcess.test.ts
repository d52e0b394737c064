/**
 * The manual refresh-token family when another process refreshes the same credential (queue-mode workers: n8n
 * locks only the Connect-button family's refresh). The other process spends the stored refresh token first and
 * stores its successor while this one's refresh is on the wire, so the token endpoint answers this one
 * invalid_grant. Request With Auto-Refresh then re-reads the credential and continues with what the other
 * process stored, instead of failing the item: its access token when it stored one, else one refresh with the
 * new refresh token. A provider with reuse detection would already have revoked the grant at that point; this
 * covers rotating providers without it (and a grant the other process rotated before this one's request left).
 */
import { forgetRecentRefreshes } from '../../nodes/shared/refresh/manualGrant';
import { forgetRefreshMemory } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import type { HarnessCredentialsHelper } from '../harness';
import { startFaultServer } from '../servers/faultServer';
import type { FaultServerHandle } from '../servers/faultServer';
import type { StoredRef } from './forceRefreshSupport';
import { MANUAL_TYPE, newHelper, runForceRefresh, tokenGuardOf } from './forceRefreshSupport';

jest.setTimeout(60_000);

const RT0 = 'refresh-token-both-processes-read';
const RT1 = 'refresh-token-the-other-process-stored';
const AT1 = 'access-token-the-other-process-stored';

let server: FaultServerHandle;
beforeAll(async () => (server = await startFaultServer()));
afterAll(async () => await server.stop());
beforeEach(() => {
	server.reset();
	forgetRecentRefreshes();
	forgetRefreshMemory();
});

function addCredential(helper: HarnessCredentialsHelper, id: string): StoredRef {
	const ref = helper.addCredential({
		id,
		name: 'Shared manual credential',
		type: MANUAL_TYPE,
		data: {
			tokenUrl: `${server.url}/token`,
			clientId: 'client',
			clientSecret: 'secret',
			clientAuthentication: 'header',
			refreshToken: RT0,
			accessToken: 'stale-access-token',
			expiresAt: '',
		},
	});
	return { type: MANUAL_TYPE, ref };
}

/** While this process's token request (RT0) is on the wire, the other process stores its refresh. */
async function otherProcessStoresWhileRefreshing(
	helper: HarnessCredentialsHelper,
	credential: StoredRef,
	stored: { refreshToken: string; accessToken: string },
): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!server.requests.some((request) => request.path === '/token')) {
		if (Date.now() > deadline) throw new Error('no token request arrived');
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	const data = helper.storedData(credential.ref.id);
	helper.addCredential({ ...credential.ref, type: MANUAL_TYPE, data: { ...data, ...stored } });
}

const tokenRequests = () => server.requests.filter((request) => request.path === '/token');
const apiRequests = () => server.requests.filter((request) => request.path === '/api/me');

it('invalid_grant after another process stored a new access token → the item uses that token (no second token call)', async () => {
	const helper = newHelper();
	const credential = addCredential(helper, 'manual-cross-1');
	server.enqueue(
		{ kind: 'json', status: 401, body: { error: 'expired' } },
		{ kind: 'oauthError', status: 400, error: 'invalid_grant', description: 'grant request is invalid', delayMs: 400 },
		{ kind: 'json', status: 200, body: { sub: 'user-1' } },
	);
	const [run] = await Promise.all([
		runForceRefresh(helper, credential, { operation: 'request', url: `${server.url}/api/me` }),
		otherProcessStoresWhileRefreshing(helper, credential, { refreshToken: RT1, accessToken: AT1 }),
	]);

	expect(run.error?.message).toBeUndefined();
	const [item] = run.outputs[0];
	expect(item.json).toMatchObject({ sub: 'user-1' });
	expect(tokenGuardOf(item).statusCode).toBe(200);
	expect(tokenRequests().map((request) => request.form?.refresh_token)).toEqual([RT0]);
	expect(apiRequests().map((request) => request.headers.authorization)).toEqual([
		'Bearer stale-access-token',
		`Bearer ${AT1}`,
	]);
	expect(helper.storedData(credential.ref.id)).toMatchObject({ refreshToken: RT1, accessToken: AT1 });
});

it('invalid_grant after another process stored only a new refresh token → one more refresh, with that token', async () => {
	const helper = newHelper();
	const credential = addCredential(helper, 'manual-cross-2');
	server.enqueue(
		{ kind: 'json', status: 401, body: { error: 'expired' } },
		{ kind: 'oauthError', status: 400, error: 'invalid_grant', delayMs: 400 },
		{ kind: 'token', accessToken: 'access-token-from-rt1', refreshToken: 'refresh-token-rt2', expiresIn: 3600 },
	);
	server.setDefault({ kind: 'json', status: 200, body: { sub: 'user-1' } });
	const [run] = await Promise.all([
		runForceRefresh(helper, credential, { operation: 'request', url: `${server.url}/api/me` }),
		otherProcessStoresWhileRefreshing(helper, credential, { refreshToken: RT1, accessToken: '' }),
	]);

	expect(run.error?.message).toBeUndefined();
	const [item] = run.outputs[0];
	expect(item.json).toMatchObject({ sub: 'user-1' });
	expect(tokenRequests().map((request) => request.form?.refresh_token)).toEqual([RT0, RT1]);
	expect(apiRequests().at(-1)?.headers.authorization).toBe('Bearer access-token-from-rt1');
	expect(helper.storedData(credential.ref.id)).toMatchObject({
		refreshToken: 'refresh-token-rt2',
		accessToken: 'access-token-from-rt1',
	});
});

it('invalid_grant and nobody stored anything newer → the item fails as before, after one token call', async () => {
	const helper = newHelper();
	const credential = addCredential(helper, 'manual-cross-3');
	server.enqueue(
		{ kind: 'json', status: 401, body: { error: 'expired' } },
		{ kind: 'oauthError', status: 400, error: 'invalid_grant' },
	);
	const run = await runForceRefresh(helper, credential, { operation: 'request', url: `${server.url}/api/me` });

	expect(run.error?.message ?? '').toMatch(/can no longer refresh its access token/);
	expect(tokenRequests()).toHaveLength(1);
});
