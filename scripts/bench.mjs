#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in test/bench (each in its own node process, so one's memory and
 * JIT state never colour another's) and prints ONE JSON document on stdout:
 *
 *   { machine, startedAt, durationMs, P1…P5: { value, unit, goal, pass, command, details } }
 *
 * P1 token-endpoint calls per 1,000-item burst on an expired token (goal 1; n8n's own figure alongside)
 * P2 API 401s per token lifetime with proactive refresh on (goal 0; n8n's own figure alongside)
 * P3 Request With Auto-Refresh ÷ n8n httpRequestWithAuthentication, 10,000 items (goal ≤ 1.05)
 * P4 Diagnose Error CPU time for 10,000 payloads (goal ≤ 1,000 ms)
 * P5 heap growth per 10,000 items over 100,000 items through Request With Auto-Refresh (goal flat)
 * P6 alerts per burst of 20 and 200 concurrent failures of one credential (goal 1; static data alone alongside)
 *
 * Progress goes to stderr. Exit code 1 only when a benchmark could not run; a missed goal is data
 * (pass: false), not a crash.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REGISTER = './test/bench/register.js';

/** Heap growth per 10,000 items that still counts as flat: 0.5 MB, i.e. under 50 bytes per item. */
const P5_MAX_HEAP_SLOPE_MB = 0.5;

const BENCHES = {
	forceRefresh: { file: 'test/bench/forceRefresh.bench.ts', args: ['burst', 'proactive', 'overhead'] },
	diagnose: { file: 'test/bench/diagnose.bench.ts', args: [] },
	memory: { file: 'test/bench/memory.bench.ts', args: [], nodeFlags: ['--expose-gc'] },
	alerts: { file: 'test/bench/alerts.bench.ts', args: [] },
};

const commandOf = ({ file, args, nodeFlags = [] }, only = args) =>
	['node', ...nodeFlags, '--require', REGISTER, file, ...only].join(' ');

function runBench(name) {
	const bench = BENCHES[name];
	const argv = [...(bench.nodeFlags ?? []), '--require', REGISTER, bench.file, ...bench.args];
	process.stderr.write(`[bench.mjs] ${commandOf(bench)}\n`);
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
		let stdout = '';
		child.stdout.on('data', (chunk) => {
			stdout += chunk;
		});
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) return reject(new Error(`${name} benchmark exited with code ${code}`));
			try {
				resolve(JSON.parse(stdout));
			} catch {
				reject(new Error(`${name} benchmark printed no JSON: ${stdout.slice(0, 300)}`));
			}
		});
	});
}

function shell(command, args) {
	try {
		return execFileSync(command, args, { encoding: 'utf8' }).trim();
	} catch {
		return undefined;
	}
}

function machine() {
	const cpuinfo = (() => {
		try {
			return readFileSync('/proc/cpuinfo', 'utf8');
		} catch {
			return '';
		}
	})();
	const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
	return {
		cpuModel,
		nproc: Number(shell('nproc', [])) || os.availableParallelism(),
		memory: shell('free', ['-h']) ?? `${Math.round(os.totalmem() / 2 ** 30)} GiB total`,
		totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
		node: process.version,
		platform: `${os.type()} ${os.release()} ${os.arch()}`,
	};
}

const figure = (value, unit, goal, pass, command, details) => ({ value, unit, goal, pass, command, details });

function summarize({ forceRefresh, diagnose, memory, alerts }) {
	const burst = forceRefresh.burst;
	const ours = burst.filter((row) => row.case.startsWith('forceRefresh'));
	const p1 = Math.max(...ours.map((row) => row.tokenCalls));

	const proactive = forceRefresh.proactive;
	const proactiveOn = proactive.filter((row) => row.case.startsWith('proactive on'));
	const p2 = Math.max(...proactiveOn.map((row) => row.api401sPerTokenLifetime));
	const n8nProactive = proactive.filter((row) => row.case.startsWith('n8n'));

	const overhead = forceRefresh.overhead;
	const p4 = diagnose.diagnose.cpuTotalMs;
	const p5 = memory.memory;
	const alertRows = alerts.alerts.rows;
	const oursAlerts = alertRows.filter((row) => !row.case.startsWith('static data'));
	const p6 = Math.max(...oursAlerts.map((row) => row.alerts));

	return {
		P1: figure(
			p1,
			'token-endpoint calls per 1,000-item burst on an expired token',
			'= 1',
			p1 === 1 && ours.every((row) => row.failedItems === 0),
			commandOf(BENCHES.forceRefresh, ['burst']),
			{
				rows: burst,
				n8nHttpRequestWithAuthentication: burst.find((row) => row.case.startsWith('n8n'))?.tokenCalls,
			},
		),
		P2: figure(
			p2,
			'API 401s per access-token lifetime, proactive refresh on',
			'= 0',
			p2 === 0 && proactiveOn.every((row) => row.failedExecutions === 0),
			commandOf(BENCHES.forceRefresh, ['proactive']),
			{
				rows: proactive,
				n8nHttpRequestWithAuthentication: Object.fromEntries(
					n8nProactive.map((row) => [`${row.itemsInFlight} in flight`, row.api401sPerTokenLifetime]),
				),
			},
		),
		P3: figure(
			overhead.ratio,
			'median wall time, Request With Auto-Refresh ÷ httpRequestWithAuthentication, 10,000 items',
			'≤ 1.05',
			overhead.ratio <= 1.05,
			commandOf(BENCHES.forceRefresh, ['overhead']),
			overhead,
		),
		P4: figure(
			p4,
			'ms of CPU (user + system) for 10,000 Diagnose Error payloads',
			'≤ 1000',
			p4 <= 1000,
			commandOf(BENCHES.diagnose),
			diagnose.diagnose,
		),
		P5: figure(
			p5.heapUsedSlopeMbPer10kItems,
			'MB of heap kept per 10,000 items (least-squares slope after gc, 100,000 items)',
			`flat: ≤ ${P5_MAX_HEAP_SLOPE_MB}`,
			p5.heapUsedSlopeMbPer10kItems <= P5_MAX_HEAP_SLOPE_MB && p5.failedExecutions === 0,
			commandOf(BENCHES.memory),
			p5,
		),
		P6: figure(
			p6,
			'alerts per burst of concurrent failures of one credential (20 and 200 executions)',
			'= 1',
			p6 === 1,
			commandOf(BENCHES.alerts),
			{
				rows: alertRows,
				staticDataAlone: Object.fromEntries(
					alertRows
						.filter((row) => row.case.startsWith('static data'))
						.map((row) => [row.concurrentFailures, row.alerts]),
				),
			},
		),
	};
}

async function main() {
	const startedAt = Date.now();
	const results = {};
	for (const name of Object.keys(BENCHES)) results[name] = await runBench(name);
	const report = {
		machine: machine(),
		startedAt: new Date(startedAt).toISOString(),
		durationMs: Date.now() - startedAt,
		...summarize(results),
	};
	process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error) => {
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exitCode = 1;
});
