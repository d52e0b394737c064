/**
 * The manual refresh-token credential (tokenGuardRefreshTokenApi) on n8n's own request path, against a
 * real oidc-provider with refresh-token rotation and reuse detection: n8n-core's
 * httpRequestWithAuthentication sends the stored access token, gets 401, runs our preAuthentication
 * (the refresh grant), persists what it returns and replays the request.
 */
import { TokenGuardRefreshTokenApi } from '../../credentials/TokenGuardRefreshTokenApi.credentials';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import { CredentialErrorProbeNode, TokenGuardProbeNode } from '../harness/foundationNodes';
import { fingerprint } from '../harness/testNodes';
import { httpRequest } from '../servers/httpClient';
import { startOidcServer } from '../servers/oidcServer';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';

const CREDENTIAL_TYPE = 'tokenGuardRefreshTokenApi';
/** Short, so a minted access token really expires; oidc-provider counts whole seconds, so 2 s leaves ≥ 1 s of life. */
const ACCESS_TOKEN_TTL_SECONDS = 2;
const PARALLEL_ITEMS = 50;

let server: OidcServerHandle;
let expiredGrant: MintedGrant;

beforeAll(async () => {
	server = await startOidcServer({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });
	expiredGrant = await server.mintGrant();
	await untilAccessTokenExpired(expiredGrant.accessToken);
});
afterAll(async () => await server.stop());
beforeEach(async () => await server.resetStats());

/** Waits until the API refuses the token as expired (polling, not a fixed sleep). */
async function untilAccessTokenExpired(accessToken: string): Promise<void> {
	const deadline = Date.now() + (ACCESS_TOKEN_TTL_SECONDS + 2) * 1000;
	while (Date.now() < deadline) {
		const response = await httpRequest(server.apiUrl('me'), { headers: { authorization: `Bearer ${accessToken}` } });
		if (response.status === 401) return;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error('the minted access token did not expire');
}

function manualCredential(id: string, name: string, refreshToken: string, accessToken: string) {
	const helper = new HarnessCredentialsHelper().registerCredentialType(new TokenGuardRefreshTokenApi());
	const ref = helper.addCredential({
		id,
		name,
		type: CREDENTIAL_TYPE,
		data: {
			tokenUrl: server.tokenUrl,
			clientId: server.clientId,
			clientSecret: server.clientSecret,
			clientAuthentication: 'header',
			refreshToken,
			accessToken,
		},
	});
	return { helper, ref };
}

const refreshTokensWritten = (helper: HarnessCredentialsHelper): unknown[] =>
	helper.writes.map((write) => write.data.refreshToken);

describe("manual credential on n8n's httpRequestWithAuthentication path", () => {
	it('expired access token → 401 → preAuthentication refresh → rotated refresh token persisted → replay 200', async () => {
		const { helper, ref } = manualCredential(
			'm-expired',
			'Demo API (manual)',
			expiredGrant.refreshToken,
			expiredGrant.accessToken,
		);

		const result = await runNode({
			nodeType: new TokenGuardProbeNode(),
			helper,
			parameters: { mode: 'authRequest', credentialType: CREDENTIAL_TYPE, url: server.apiUrl('me') },
			credentials: { [CREDENTIAL_TYPE]: ref },
		});

		expect(result.error).toBeUndefined();
		const stats = await server.stats();
		expect(stats.tokenRequests).toMatchObject({ total: 1, refresh_token: 1, byStatus: { 200: 1 } });
		expect(stats.apiRequests.byStatus).toEqual({ 200: 1, 401: 1 }); // the rejected call and its replay
		expect(stats.grantErrors).toEqual([]);

		const stored = helper.storedData(ref.id);
		expect(helper.writes.map((write) => write.kind)).toEqual(['updateCredentials']);
		expect(typeof stored.refreshToken).toBe('string');
		expect(stored.refreshToken).not.toBe(expiredGrant.refreshToken); // rotated, and the new one kept
		expect(stored.accessToken).not.toBe(expiredGrant.accessToken);
		expect(Date.parse(stored.expiresAt as string)).toBeGreaterThan(Date.now() - ACCESS_TOKEN_TTL_SECONDS * 1000);
		// The replay went out with the access token that was persisted.
		expect(result.outputs[0][0].json).toMatchObject({
			sub: expiredGrant.accountId,
			tokenFingerprint: fingerprint(stored.accessToken as string),
		});
		// Rotation with reuse detection: the consumed token is dead, the persisted one is the live one.
		expect((await server.refresh(expiredGrant.refreshToken)).json.error).toBe('invalid_grant');
	});

	it(`${PARALLEL_ITEMS} parallel items on an expired token → 1 token call, 0 invalid_grant, every item succeeds`, async () => {
		const grant = await server.mintGrant();
		const { helper, ref } = manualCredential(
			'm-parallel',
			'Demo API (parallel)',
			grant.refreshToken,
			'expired-access-token',
		);

		const result = await runNode({
			nodeType: new TokenGuardProbeNode(),
			helper,
			parameters: { mode: 'authRequest', credentialType: CREDENTIAL_TYPE, url: server.apiUrl('me'), parallel: true },
			credentials: { [CREDENTIAL_TYPE]: ref },
			items: Array.from({ length: PARALLEL_ITEMS }, (_unused, index) => ({ json: { index } })),
		});

		expect(result.error).toBeUndefined();
		const stats = await server.stats();
		expect(stats.tokenRequests.refresh_token).toBe(1);
		expect(stats.tokenRequests.byStatus).toEqual({ 200: 1 });
		expect(stats.grantErrors).toEqual([]);
		expect(result.outputs[0]).toHaveLength(PARALLEL_ITEMS);
		expect(result.outputs[0].every((item) => item.json.sub === grant.accountId)).toBe(true);
		// The items really raced: several were refused and asked for a refresh at the same time.
		expect(stats.apiRequests.byStatus['401']).toBeGreaterThan(1);
		expect(stats.apiRequests.byStatus['200']).toBe(PARALLEL_ITEMS);

		// Every write persisted the same rotated token, never the consumed one.
		const persisted = helper.storedData(ref.id).refreshToken as string;
		expect(persisted).not.toBe(grant.refreshToken);
		expect(new Set(refreshTokensWritten(helper))).toEqual(new Set([persisted]));
		// The stored refresh token still works: the grant was not revoked by a double spend.
		const next = await server.refresh(persisted);
		expect(next.status).toBe(200);
		expect(typeof next.json.access_token).toBe('string');
	});
});

describe('revoked grant', () => {
	// Issue 3 §5 asks for an error whose MESSAGE names the credential and says to reconnect, like n8n's
	// own 'The credential "X" needs to be reconnected.' Open gap: the headline built by toNodeError
	// (nodes/shared/diagnose/remediation.ts SUMMARY_PREDICATES.refresh_token_invalid, via errors/nodeErrors.adapter.ts
	// errorMessageFor) names the credential but leaves "reconnect" to the description; the message
	// assertion below fails until the headline says it.
	it('fails with an error that names the credential and says to reconnect it', async () => {
		const grant = await server.mintGrant();
		await server.revokeGrant(grant.grantId);
		const credentialName = 'Demo API (revoked)';
		const { helper, ref } = manualCredential('m-revoked', credentialName, grant.refreshToken, 'expired-access-token');

		const result = await runNode({
			nodeType: new CredentialErrorProbeNode(),
			helper,
			parameters: { credentialType: CREDENTIAL_TYPE, url: server.apiUrl('me') },
			credentials: { [CREDENTIAL_TYPE]: ref },
		});

		const error = result.error as (typeof result.error & { context?: { tokenGuard?: unknown } }) | undefined;
		expect(error).toBeDefined();
		expect(error?.context?.tokenGuard).toMatchObject({
			category: 'refresh_token_invalid',
			action: 'reconnect',
			credential: { type: CREDENTIAL_TYPE, id: ref.id, name: credentialName },
		});
		expect(error?.description).toMatch(/reconnect/i);
		const stats = await server.stats();
		expect(stats.tokenRequests).toMatchObject({ refresh_token: 1, byStatus: { 400: 1 } });
		expect(stats.grantErrors).toHaveLength(1); // the revoked grant, reported by oidc-provider
		expect(helper.writes).toEqual([]); // nothing persisted from a failed refresh
		expect(helper.storedData(ref.id).refreshToken).toBe(grant.refreshToken);

		const message = error?.message ?? '';
		expect(message).toContain(credentialName);
		expect(message).toMatch(/reconnect/i);
	});
});

describe('Check Credential on a manual credential whose provider rotates refresh tokens', () => {
	it('reports the queue-mode rotation risk as info and as one warning hint in the editor, healthy all the same', async () => {
		const grant = await server.mintGrant();
		const { helper, ref } = manualCredential('manual-check', 'Manual rotating', grant.refreshToken, grant.accessToken);
		const result = await runNode({
			nodeType: new TokenHealth(),
			helper,
			mode: 'trigger',
			parameters: { operation: 'checkCredential', credentialType: CREDENTIAL_TYPE, refreshNow: true },
			credentials: { [CREDENTIAL_TYPE]: ref },
			items: [{ json: {} }, { json: {} }],
		});
		expect(result.error).toBeUndefined();
		const items = result.outputs.flat().map((item) => item.json);
		expect(items).toHaveLength(2);
		for (const json of items) {
			expect(json.status).toBe('healthy');
			const findings = json.findings as Array<{ code: string; severity: string }>;
			expect(findings).toContainEqual(expect.objectContaining({ code: 'manual_rotation_shared', severity: 'info' }));
		}
		const hints = result.runData[result.node.name][0].hints ?? [];
		expect(hints.filter((hint) => hint.type === 'warning')).toEqual([
			expect.objectContaining({ message: expect.stringMatching(/queue-mode workers.*Connect-button credential/s) }),
		]);
		expect(JSON.stringify({ outputs: result.outputs, hints })).not.toContain(grant.refreshToken);
	});
});
