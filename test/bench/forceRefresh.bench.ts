/**
 * Force Refresh benchmarks (not timed tests): prints one JSON document.
 *
 *   node --require ./test/bench/register.js test/bench/forceRefresh.bench.ts [burst|proactive|overhead]…
 *
 * - burst:     token calls for 1,000 items that hit an expired token at once (both families, and n8n's
 *              own httpRequestWithAuthentication on the same Connect-button credential for comparison).
 * - proactive: API 401s per access-token lifetime with proactive refresh on, with it off, and for n8n's
 *              own httpRequestWithAuthentication (which refreshes only after a 401).
 * - overhead:  wall time of Request With Auto-Refresh vs n8n's httpRequestWithAuthentication for 10,000
 *              items with a valid token, same concurrency, same API (ratio target ≤ 1.05).
 * Everything runs on 127.0.0.1 through n8n-core's WorkflowExecute (the test harness).
 */
import { performance } from 'node:perf_hooks';
import type { IDataObject } from 'n8n-workflow';

import { forgetRefreshMemory } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import { forgetRecentRefreshes } from '../../nodes/shared/refresh/manualGrant';
import { clearCapturedLogs, runNode } from '../harness';
import type { HarnessCredentialsHelper, RunResult } from '../harness';
import type { StoredRef } from '../integration/forceRefreshSupport';
import {
	addConnectCredential,
	addManualCredential,
	newHelper,
	runForceRefresh,
	waitMs,
} from '../integration/forceRefreshSupport';
import { startFaultServer } from '../servers/faultServer';
import { startOidcServer } from '../servers/oidcServer';
import type { OidcServerHandle } from '../servers/oidcServer';
import { HttpRequestWithAuthenticationBaseline, benchItems as items } from './baselineNode';
import { runBenchmarks } from './runner';

async function staleGrant(server: OidcServerHandle) {
	return { ...(await server.mintGrant()), accessToken: `stale-${Date.now()}-${Math.random().toString(36).slice(2)}` };
}

async function burst(): Promise<IDataObject[]> {
	const server = await startOidcServer({ accessTokenTtlSeconds: 300 });
	const ITEMS = 1000;
	try {
		const rows: IDataObject[] = [];
		const cases: Array<[string, (helper: HarnessCredentialsHelper) => Promise<StoredRef>, boolean]> = [
			[
				'forceRefresh request, connect family',
				async (helper) => addConnectCredential(helper, server, await staleGrant(server)),
				false,
			],
			[
				'forceRefresh request, manual family',
				async (helper) => addManualCredential(helper, server, await staleGrant(server)),
				false,
			],
			[
				'n8n httpRequestWithAuthentication, connect family',
				async (helper) => addConnectCredential(helper, server, await staleGrant(server)),
				true,
			],
		];
		for (const [name, addCredential, baseline] of cases) {
			forgetRecentRefreshes();
			forgetRefreshMemory();
			const helper = newHelper();
			const credential = await addCredential(helper);
			await server.resetStats();
			const startedAt = performance.now();
			const result = baseline
				? await runNode({
						nodeType: new HttpRequestWithAuthenticationBaseline(),
						helper,
						mode: 'trigger',
						parameters: { url: server.apiUrl('me'), concurrency: ITEMS },
						credentials: { [credential.type]: credential.ref },
						items: items(ITEMS),
					})
				: await runForceRefresh(
						helper,
						credential,
						{ operation: 'request', url: server.apiUrl('me'), concurrency: ITEMS },
						{ itemCount: ITEMS },
					);
			const durationMs = Math.round(performance.now() - startedAt);
			const stats = await server.stats();
			rows.push({
				case: name,
				items: ITEMS,
				tokenCalls: stats.tokenRequests.refresh_token,
				api401s: stats.apiRequests.byStatus['401'] ?? 0,
				api200s: stats.apiRequests.byStatus['200'] ?? 0,
				failedItems: result.error ? ITEMS : 0,
				durationMs,
			});
			clearCapturedLogs();
		}
		return rows;
	} finally {
		await server.stop();
	}
}

async function proactive(): Promise<IDataObject[]> {
	// Long enough that oidc-provider's whole-second `exp` (up to 1 s earlier than expires_in implies)
	// stays inside the proactive margin, which is capped at half the lifetime.
	const TTL_SECONDS = 4;
	const LIFETIMES = 4;
	const server = await startOidcServer({ accessTokenTtlSeconds: TTL_SECONDS });
	try {
		const rows: IDataObject[] = [];
		// [case, family, proactive margin, n8n's own path instead of ours, items in flight per execution]
		const cases: Array<[string, 'connect' | 'manual', number, boolean, number]> = [
			['proactive on (default margin), connect family', 'connect', 300, false, 5],
			['proactive on (default margin), manual family', 'manual', 300, false, 5],
			['proactive off (401 → refresh → replay), connect family', 'connect', 0, false, 5],
			[
				'n8n httpRequestWithAuthentication (refresh after a 401), connect family, 5 items in flight',
				'connect',
				0,
				true,
				5,
			],
			[
				'n8n httpRequestWithAuthentication (refresh after a 401), connect family, 1 item at a time',
				'connect',
				0,
				true,
				1,
			],
		];
		for (const [name, family, proactiveMarginSeconds, baseline, concurrency] of cases) {
			forgetRecentRefreshes();
			forgetRefreshMemory();
			const helper = newHelper();
			const grant = await server.mintGrant();
			const expiresAtMs = Date.now() + TTL_SECONDS * 1000;
			const credential =
				family === 'connect'
					? addConnectCredential(helper, server, grant, {
							tokenData: { expires_in: TTL_SECONDS, n8n_expires_at: String(expiresAtMs) },
						})
					: addManualCredential(helper, server, grant, { expiresAt: new Date(expiresAtMs).toISOString() });
			await server.resetStats();
			const endAt = Date.now() + LIFETIMES * TTL_SECONDS * 1000;
			let executions = 0;
			let failedExecutions = 0;
			while (Date.now() < endAt) {
				const result: RunResult = baseline
					? await runNode({
							nodeType: new HttpRequestWithAuthenticationBaseline(),
							helper,
							mode: 'trigger',
							parameters: { url: server.apiUrl('me'), concurrency },
							credentials: { [credential.type]: credential.ref },
							items: items(5),
						})
					: await runForceRefresh(
							helper,
							credential,
							{ operation: 'request', url: server.apiUrl('me'), proactiveMarginSeconds, concurrency },
							{ itemCount: 5 },
						);
				executions++;
				if (result.error) failedExecutions++;
				clearCapturedLogs();
				await waitMs(50);
			}
			const stats = await server.stats();
			const api401s = stats.apiRequests.byStatus['401'] ?? 0;
			rows.push({
				case: name,
				itemsInFlight: concurrency,
				tokenLifetimeSeconds: TTL_SECONDS,
				lifetimes: LIFETIMES,
				executions,
				requests: stats.apiRequests.total,
				api401s,
				api401sPerTokenLifetime: api401s / LIFETIMES,
				tokenCalls: stats.tokenRequests.refresh_token,
				failedExecutions,
			});
		}
		return rows;
	} finally {
		await server.stop();
	}
}

async function overhead(): Promise<IDataObject> {
	const ITEMS = 10_000;
	const CONCURRENCY = 10;
	const ROUNDS = 3;
	const [server, api] = await Promise.all([startOidcServer({ accessTokenTtlSeconds: 3600 }), startFaultServer()]);
	try {
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await server.mintGrant());
		const url = `${api.url}/items`;
		const ours = async () =>
			await runForceRefresh(
				helper,
				credential,
				{ operation: 'request', url, concurrency: CONCURRENCY },
				{ itemCount: ITEMS },
			);
		const baseline = async () =>
			await runNode({
				nodeType: new HttpRequestWithAuthenticationBaseline(),
				helper,
				mode: 'trigger',
				parameters: { url, concurrency: CONCURRENCY },
				credentials: { [credential.type]: credential.ref },
				items: items(ITEMS),
			});
		const time = async (run: () => Promise<{ error?: unknown }>): Promise<number> => {
			api.reset();
			const startedAt = performance.now();
			const result = await run();
			const elapsed = performance.now() - startedAt;
			clearCapturedLogs();
			if (result.error) throw new Error(`benchmark run failed: ${String((result.error as Error).message)}`);
			if (api.requests.length !== ITEMS) throw new Error(`expected ${ITEMS} API requests, saw ${api.requests.length}`);
			return elapsed;
		};
		// Warm-up: module loading and JIT, discarded.
		await time(baseline);
		await time(ours);
		const oursMs: number[] = [];
		const baselineMs: number[] = [];
		for (let round = 0; round < ROUNDS; round++) {
			baselineMs.push(await time(baseline));
			oursMs.push(await time(ours));
		}
		const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
		return {
			items: ITEMS,
			concurrency: CONCURRENCY,
			rounds: ROUNDS,
			forceRefreshMs: oursMs.map(Math.round),
			httpRequestWithAuthenticationMs: baselineMs.map(Math.round),
			ratio: Math.round((median(oursMs) / median(baselineMs)) * 1000) / 1000,
			target: 1.05,
		};
	} finally {
		await Promise.all([server.stop(), api.stop()]);
	}
}

runBenchmarks({ burst, proactive, overhead });
