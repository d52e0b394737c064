/**
 * Benchmark P5: memory over 100,000 items through Force Refresh → Request With Auto-Refresh (valid
 * token, loopback API), run as 100 executions of 1,000 items — the way a busy workflow meets them.
 * After a warm-up, every 10,000 items the heap is collected (global.gc, so run node with --expose-gc)
 * and RSS and heap are read; the slope per 10,000 items says whether anything is kept per item.
 *
 *   node --expose-gc --require ./test/bench/register.js test/bench/memory.bench.ts
 */
import type { IDataObject } from 'n8n-workflow';

import { clearCapturedLogs } from '../harness';
import { addConnectCredential, newHelper, runForceRefresh } from '../integration/forceRefreshSupport';
import { startFaultServer } from '../servers/faultServer';
import { startOidcServer } from '../servers/oidcServer';
import { runBenchmarks } from './runner';

const TOTAL_ITEMS = 100_000;
const ITEMS_PER_EXECUTION = 1_000;
const CHECKPOINT_EVERY = 10_000;
const WARM_UP_ITEMS = 10_000;
const CONCURRENCY = 10;
const MB = 1024 * 1024;

interface Checkpoint {
	items: number;
	rssMb: number;
	heapUsedMb: number;
	externalMb: number;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
	const n = points.length;
	const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
	const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
	const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
	const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
	return variance === 0 ? 0 : covariance / variance;
}

function collect(): void {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (gc === undefined)
		throw new Error('run node with --expose-gc: the memory benchmark reads the heap after a full collection');
	gc();
	gc();
}

async function memory(): Promise<IDataObject> {
	const [server, api] = await Promise.all([startOidcServer({ accessTokenTtlSeconds: 3600 }), startFaultServer()]);
	try {
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await server.mintGrant());
		const url = `${api.url}/items`;
		const checkpoints: Checkpoint[] = [];
		let peakRssMb = 0;
		let failedExecutions = 0;
		const sampler = setInterval(() => {
			peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / MB);
		}, 50);
		const startedAt = Date.now();
		try {
			for (let done = 0; done < WARM_UP_ITEMS + TOTAL_ITEMS; done += ITEMS_PER_EXECUTION) {
				if (done >= WARM_UP_ITEMS && (done - WARM_UP_ITEMS) % CHECKPOINT_EVERY === 0) {
					collect();
					const usage = process.memoryUsage();
					checkpoints.push({
						items: done - WARM_UP_ITEMS,
						rssMb: round(usage.rss / MB),
						heapUsedMb: round(usage.heapUsed / MB),
						externalMb: round(usage.external / MB),
					});
					if (done === WARM_UP_ITEMS) peakRssMb = usage.rss / MB;
				}
				const result = await runForceRefresh(
					helper,
					credential,
					{ operation: 'request', url, concurrency: CONCURRENCY },
					{ itemCount: ITEMS_PER_EXECUTION, executionId: `memory-${done}` },
				);
				if (result.error) failedExecutions++;
				// The harness keeps every captured log line for tests to grep; n8n writes them out instead.
				clearCapturedLogs();
				api.requests.length = 0;
			}
			collect();
			const usage = process.memoryUsage();
			checkpoints.push({
				items: TOTAL_ITEMS,
				rssMb: round(usage.rss / MB),
				heapUsedMb: round(usage.heapUsed / MB),
				externalMb: round(usage.external / MB),
			});
		} finally {
			clearInterval(sampler);
		}
		const per10k = (pick: (point: Checkpoint) => number) =>
			round(slope(checkpoints.map((point) => [point.items / CHECKPOINT_EVERY, pick(point)])), 3);
		const first = checkpoints[0];
		return {
			items: TOTAL_ITEMS,
			warmUpItems: WARM_UP_ITEMS,
			itemsPerExecution: ITEMS_PER_EXECUTION,
			concurrency: CONCURRENCY,
			durationMs: Date.now() - startedAt,
			failedExecutions,
			heapUsedSlopeMbPer10kItems: per10k((point) => point.heapUsedMb),
			rssSlopeMbPer10kItems: per10k((point) => point.rssMb),
			peakRssGrowthMb: round(peakRssMb - first.rssMb),
			checkpoints,
		};
	} finally {
		await Promise.all([server.stop(), api.stop()]);
	}
}

runBenchmarks({ memory });
