/**
 * Token Health → Check Credential against a real authorization server (oidc-provider on 127.0.0.1):
 * a healthy credential with every live probe, an expiring token, a revoked grant, a missing refresh
 * token, a missing scope, and a 5-minute clock skew seen in the probe's Date header. n8n's own
 * refreshOAuth2Token does the refresh; the tokens it issues never appear in an item or the log.
 */
import { randomBytes } from 'node:crypto';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { TokenGuardOAuth2Api } from '../../credentials/TokenGuardOAuth2Api.credentials';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunResult } from '../harness';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';

const NEEDS_ATTENTION = 0;
const OK = 1;
const ALREADY_REPORTED = 2;
const TYPE = 'tokenGuardOAuth2Api';
const CLIENT_SECRET = `CANARY-client-secret-${randomBytes(8).toString('hex')}`;

let server: OidcServerHandle;
beforeAll(async () => {
	server = await startOidcServer({ accessTokenTtlSeconds: 3600, clientSecret: CLIENT_SECRET });
});
afterAll(async () => server?.stop());

const node = new TokenHealth();
/** Every token the server issued to these tests: none may appear in an output or a log line. */
const issuedTokens: string[] = [];
let credentialCounter = 0;

interface Stored {
	helper: HarnessCredentialsHelper;
	id: string;
	ref: { id: string; name: string };
}

function store(grant: MintedGrant, tokenData: IDataObject = {}, existing?: Stored): Stored {
	issuedTokens.push(grant.accessToken, grant.refreshToken);
	const helper = existing?.helper ?? new HarnessCredentialsHelper().registerCredentialType(new TokenGuardOAuth2Api());
	const id = existing?.id ?? `check-${++credentialCounter}`;
	const ref = helper.addCredential({
		id,
		name: 'Demo API',
		type: TYPE,
		data: {
			grantType: 'authorizationCode',
			authUrl: `${server.issuer}/auth`,
			accessTokenUrl: server.tokenUrl,
			clientId: server.clientId,
			clientSecret: CLIENT_SECRET,
			scope: 'openid offline_access api:read',
			authentication: 'header',
			oauthTokenData: {
				access_token: grant.accessToken,
				refresh_token: grant.refreshToken,
				token_type: 'Bearer',
				expires_in: grant.expiresIn,
				scope: grant.scope,
				n8n_expires_at: String(Date.now() + 3_600_000),
				...tokenData,
			},
		},
	});
	return { helper, id, ref };
}

async function check(stored: Stored, parameters: INodeParameters = {}, staticData?: IDataObject): Promise<RunResult> {
	const result = await runNode({
		nodeType: node,
		helper: stored.helper,
		mode: 'trigger',
		staticData,
		parameters: { operation: 'checkCredential', credentialType: TYPE, ...parameters },
		credentials: { [TYPE]: stored.ref },
	});
	// Whatever n8n stored after a refresh is a secret too.
	const tokenData = stored.helper.storedData(stored.id).oauthTokenData as IDataObject;
	issuedTokens.push(String(tokenData.access_token ?? ''), String(tokenData.refresh_token ?? ''));
	return result;
}

function single(result: RunResult): { output: number; json: IDataObject } {
	expect(result.error).toBeUndefined();
	const all = result.outputs.flatMap((items, output) => items.map((item) => ({ output, json: item.json })));
	expect(all).toHaveLength(1);
	return all[0];
}

const findingCodes = (json: IDataObject) => (json.findings as Array<{ code: string }>).map((finding) => finding.code);
const finding = (json: IDataObject, code: string) =>
	(json.findings as IDataObject[]).find((candidate) => candidate.code === code);
const eventTypes = (json: IDataObject) =>
	(json.events as Array<{ type: string }>).map((event) => event.type.replace('io.n8n.tokenguard.', ''));

describe('Check Credential against oidc-provider', () => {
	it('healthy: refresh now, probe URL and introspection all pass', async () => {
		const grant = await server.mintGrant();
		const stored = store(grant);
		await server.resetStats();
		const { output, json } = single(
			await check(stored, {
				refreshNow: true,
				probeUrl: server.apiUrl('me'),
				introspect: true,
				requiredScopes: 'api:read openid',
			}),
		);

		expect(output).toBe(OK);
		expect(json.status).toBe('healthy');
		expect(findingCodes(json)).toEqual(
			expect.arrayContaining([
				'refresh_token_present',
				'token_valid',
				'scopes_granted',
				'refresh_ok',
				'probe_ok',
				'introspection_active',
			]),
		);
		expect(json).toMatchObject({
			refreshTokenPresent: true,
			missingScopes: [],
			probe: { httpCode: 200 },
			introspection: { tokenKind: 'refresh_token', active: true },
		});
		expect(json.refresh).toMatchObject({ attempts: 1, refreshTokenRotated: true });
		expect(json.expiresInSeconds).toBeGreaterThan(3500);
		expect(eventTypes(json)).toEqual(['refresh.succeeded', 'health.checked']);

		const stats = await server.stats();
		expect(stats.tokenRequests.refresh_token).toBe(1);
		expect(stats.providerRequests.introspection).toBe(1);
		expect(stats.apiRequests.byStatus['200']).toBe(1);
		// n8n persisted the rotated refresh token, and the probes used the new access token.
		const tokenData = stored.helper.storedData(stored.id).oauthTokenData as IDataObject;
		expect(tokenData.refresh_token).not.toBe(grant.refreshToken);
		expect(json.tokenFingerprint).not.toBe(undefined);
	});

	it('expiring: inside the margin it is reported and announced, but a refresh token keeps it healthy', async () => {
		const stored = store(await server.mintGrant(), { n8n_expires_at: String(Date.now() + 60_000) });
		const { output, json } = single(await check(stored, { expiryMarginMinutes: 5 }));
		expect(output).toBe(OK);
		expect(json).toMatchObject({ status: 'healthy', expiring: true });
		expect(json.expiresInSeconds).toBeLessThanOrEqual(60);
		expect(finding(json, 'token_expiring')).toMatchObject({ severity: 'info' });
		expect(eventTypes(json)).toEqual(['token.expiring', 'health.checked']);
	});

	it('revoked: the refresh fails with invalid_grant and introspection calls the refresh token inactive (critical)', async () => {
		const grant = await server.mintGrant();
		await server.revokeGrant(grant.grantId);
		const stored = store(grant);
		const { output, json } = single(
			await check(stored, { refreshNow: true, introspect: true, probeUrl: server.apiUrl('me') }),
		);

		expect(output).toBe(NEEDS_ATTENTION);
		expect(json.status).toBe('critical');
		expect(finding(json, 'refresh_failed')).toMatchObject({ severity: 'critical', category: 'refresh_token_invalid' });
		expect(finding(json, 'refresh_token_inactive')).toMatchObject({
			severity: 'critical',
			category: 'refresh_token_invalid',
		});
		expect(finding(json, 'probe_rejected')).toMatchObject({ category: 'access_token_rejected' });
		expect(json.summary).toMatch(/^The credential "Demo API" can no longer refresh its access token/);
		expect(eventTypes(json)).toEqual(['refresh.failed', 'health.checked']);
	});

	it('missing refresh token: critical, with reconnect guidance', async () => {
		const grant = await server.mintGrant();
		const stored = store(grant, { refresh_token: undefined });
		const { output, json } = single(await check(stored));
		expect(output).toBe(NEEDS_ATTENTION);
		expect(json).toMatchObject({ status: 'critical', refreshTokenPresent: false });
		expect(finding(json, 'refresh_token_missing')).toMatchObject({
			severity: 'critical',
			category: 'refresh_token_missing',
		});
		expect(String(finding(json, 'refresh_token_missing')?.remediation)).toMatch(/offline/);
	});

	it('missing scope: the required scope is absent and the scoped API answers 403 insufficient_scope', async () => {
		const stored = store(await server.mintGrant({ scope: 'openid offline_access' }));
		const { output, json } = single(
			await check(stored, { requiredScopes: 'api:read', probeUrl: server.apiUrl('scoped') }),
		);
		expect(output).toBe(NEEDS_ATTENTION);
		expect(json).toMatchObject({
			status: 'critical',
			missingScopes: ['api:read'],
			grantedScopes: ['openid', 'offline_access'],
		});
		expect(finding(json, 'scope_missing')).toMatchObject({ severity: 'critical' });
		expect(finding(json, 'probe_rejected')).toMatchObject({ category: 'scope_insufficient' });
	});

	it("clock skew: a provider 5 minutes ahead shows in the probe's Date header", async () => {
		const stored = store(await server.mintGrant());
		await server.setClockSkew(5 * 60_000);
		try {
			const { output, json } = single(await check(stored, { probeUrl: server.apiUrl('me') }));
			expect(output).toBe(NEEDS_ATTENTION);
			expect(json.status).toBe('warning');
			expect(Math.abs(Number(json.clockSkewMs) - 300_000)).toBeLessThan(2000);
			expect(finding(json, 'clock_skew')).toMatchObject({ severity: 'warning', category: 'clock_skew' });
			expect(String(finding(json, 'clock_skew')?.message)).toMatch(/behind the provider/);
		} finally {
			await server.setClockSkew(0);
		}
		const { json } = single(await check(stored, { probeUrl: server.apiUrl('me') }));
		expect(findingCodes(json)).not.toContain('clock_skew');
	});

	it('20 overlapping checks of one revoked credential: 1 alert, 19 Already Reported, events sent once', async () => {
		const grant = await server.mintGrant();
		await server.revokeGrant(grant.grantId);
		const stored = store(grant);
		// Every execution starts from the same (empty) static data, as n8n hands concurrent executions.
		const runs = await Promise.all(
			Array.from({ length: 20 }, async () => await check(stored, { refreshNow: true }, {})),
		);
		const items = runs.map((run) => single(run));
		expect(items.every((item) => item.json.status === 'critical')).toBe(true);
		expect(items.filter((item) => item.output === NEEDS_ATTENTION)).toHaveLength(1);
		expect(items.filter((item) => item.output === ALREADY_REPORTED)).toHaveLength(19);
		const sent = items.flatMap((item) =>
			(item.json.events as Array<{ type: string; delivery: IDataObject }>).filter(
				(event) => event.delivery.status !== 'suppressed',
			),
		);
		const alerted = items.find((item) => item.output === NEEDS_ATTENTION)!;
		expect(sent).toHaveLength((alerted.json.events as unknown[]).length);
	});

	it('a reconnected credential recovers once after a critical check in the same workflow', async () => {
		const grant = await server.mintGrant();
		await server.revokeGrant(grant.grantId);
		const stored = store(grant);
		const failing = await check(stored, { refreshNow: true });
		expect(single(failing).json.status).toBe('critical');
		const repeat = await check(stored, { refreshNow: true }, failing.staticData);
		expect(single(repeat)).toMatchObject({
			output: ALREADY_REPORTED,
			json: { duplicate: true, delivery: { status: 'suppressed' } },
		});

		store(await server.mintGrant(), {}, stored); // the user reconnects the same credential
		const healthy = await check(stored, { refreshNow: true }, repeat.staticData);
		const { json } = single(healthy);
		expect(json.status).toBe('healthy');
		expect(eventTypes(json)).toEqual(['refresh.succeeded', 'health.checked', 'refresh.recovered']);
		expect(json.recovered).toMatchObject({ failures: 2 });
		const again = await check(stored, {}, healthy.staticData);
		expect(eventTypes(single(again).json)).not.toContain('refresh.recovered');
	});

	it("the credential's tokens and client secret appear in no item and no log line", async () => {
		const grant = await server.mintGrant();
		const stored = store(grant);
		const results = [
			await check(stored, { refreshNow: true, probeUrl: server.apiUrl('me'), introspect: true }),
			await check(stored, { probeUrl: server.apiUrl('scoped'), requiredScopes: 'api:write' }),
		];
		const everything = JSON.stringify(
			results.map((result) => ({ outputs: result.outputs, logs: result.logs.map((line) => line.text) })),
		);
		for (const secret of [...issuedTokens.filter((token) => token.length > 8), CLIENT_SECRET])
			expect(everything).not.toContain(secret);
	});
});
