/**
 * Rotating refresh tokens under load: 20 executions of Request With Auto-Refresh run in parallel on
 * one credential store, through 10 access-token expiries. oidc-provider rotates the refresh token on
 * every refresh and revokes the whole grant when a consumed one is presented again (its store consumes
 * atomically, so a double spend is always caught). Any duplicate refresh would show up as
 * invalid_grant and failed items.
 */
import type { IDataObject } from 'n8n-workflow';

import { forgetRefreshMemory } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import { forgetRecentRefreshes } from '../../nodes/shared/refresh/manualGrant';
import { startOidcServer } from '../servers/oidcServer';
import type { OidcServerHandle } from '../servers/oidcServer';
import {
	addConnectCredential,
	addManualCredential,
	newHelper,
	runForceRefresh,
	tokenGuardOf,
	waitMs,
} from './forceRefreshSupport';

jest.setTimeout(120_000);

const EXECUTIONS = 20;
const CYCLES = 10;
const ITEMS_PER_EXECUTION = 3;
const ACCESS_TOKEN_TTL_SECONDS = 2;

let server: OidcServerHandle;
beforeAll(async () => {
	server = await startOidcServer({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });
});
afterAll(async () => await server.stop());

type Family = 'connect' | 'manual';

it(`${EXECUTIONS} parallel executions × ${CYCLES} expiry cycles, both families at once → 0 invalid_grant, and the final refresh tokens work`, async () => {
	forgetRecentRefreshes();
	forgetRefreshMemory();
	await server.resetStats();
	const helper = newHelper();
	const families: Family[] = ['connect', 'manual'];
	const grants = await Promise.all(families.map(async () => await server.mintGrant()));
	const credentials = [
		addConnectCredential(helper, server, grants[0], { tokenData: { expires_in: ACCESS_TOKEN_TTL_SECONDS } }),
		addManualCredential(helper, server, grants[1]),
	];

	const reasons = new Set<unknown>();
	for (let cycle = 0; cycle < CYCLES; cycle++) {
		await waitMs(ACCESS_TOKEN_TTL_SECONDS * 1000 + 150);
		// Odd cycles: proactive refresh off, so every execution meets the 401 path instead.
		const proactiveMarginSeconds = cycle % 2 === 0 ? 300 : 0;
		const runs = await Promise.all(
			credentials.flatMap((credential) =>
				Array.from(
					{ length: EXECUTIONS },
					async (_value, execution) =>
						await runForceRefresh(
							helper,
							credential,
							{
								operation: 'request',
								url: server.apiUrl('me'),
								proactiveMarginSeconds,
								concurrency: ITEMS_PER_EXECUTION,
							},
							{ itemCount: ITEMS_PER_EXECUTION, executionId: `cycle-${cycle}-${credential.type}-${execution}` },
						),
				),
			),
		);
		for (const run of runs) {
			expect(run.error?.message).toBeUndefined();
			for (const item of run.outputs[0]) {
				expect(tokenGuardOf(item).statusCode).toBe(200);
				reasons.add(tokenGuardOf(item).reason);
			}
		}
	}

	const stats = await server.stats();
	expect(stats.grantErrors).toEqual([]);
	expect(Object.keys(stats.tokenRequests.byStatus)).toEqual(['200']);
	// At least one refresh per expiry and credential, and never one per execution.
	expect(stats.tokenRequests.refresh_token).toBeGreaterThanOrEqual(CYCLES * families.length);
	expect(stats.tokenRequests.refresh_token).toBeLessThan(CYCLES * families.length * 2);
	expect(reasons).toEqual(new Set(['proactive', 'expiry-signal']));

	for (const [index, credential] of credentials.entries()) {
		const stored = helper.storedData(credential.ref.id) as IDataObject;
		const finalRefreshToken = (
			families[index] === 'connect' ? (stored.oauthTokenData as IDataObject).refresh_token : stored.refreshToken
		) as string;
		expect(finalRefreshToken).not.toBe(grants[index].refreshToken);
		const check = await server.refresh(finalRefreshToken);
		expect([families[index], check.status, check.json.error]).toEqual([families[index], 200, undefined]);
	}
});
