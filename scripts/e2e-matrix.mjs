#!/usr/bin/env node
/**
 * `npm run test:e2e`: the e2e tier once per row of test/e2e/versions.env (the n8n version matrix), the same test
 * files each time, one after the other (each run drives real n8n processes; two cores are not enough to overlap).
 * Every line a run prints is prefixed with its n8n version, so a failure names the version it failed on, and a
 * summary line per version ends the output. Arguments are passed to jest (e.g. `-- test/e2e/smoke.e2e.test.ts`);
 * TOKEN_GUARD_E2E_N8N=<version> runs that row only. Exit code 1 when any version failed.
 *
 * Each run also records the README's Compatibility cells for its version (test/e2e/compatibility.cjs). After a
 * full run (every row, no jest arguments) the table rendered from those results must equal the README's;
 * TOKEN_GUARD_COMPAT_WRITE=1 writes it into the README instead.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
require('../test/e2e/support/requireTs.cjs').registerTypeScript();
const { readVersionRows, N8N_ROW_ENV } = require('../test/e2e/n8n.ts');
const compatibility = require('../test/e2e/compatibility.cjs');
const COMPAT_REPORTER = join(ROOT, 'test', 'e2e', 'compatibility.cjs');

const selected = process.env[N8N_ROW_ENV];
const rows = readVersionRows().filter((row) => !selected || row.n8nVersion === selected);
if (rows.length === 0) {
	process.stderr.write(`${N8N_ROW_ENV}=${selected} is not a row of test/e2e/versions.env\n`);
	process.exit(1);
}

function prefixLines(stream, prefix, out) {
	createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix}${line}\n`));
}

async function runRow(row) {
	const prefix = `[n8n ${row.n8nVersion}] `;
	const started = Date.now();
	const child = spawn(
		join(ROOT, 'node_modules', '.bin', 'jest'),
		[
			'--selectProjects',
			'e2e',
			'--runInBand',
			'--reporters=default',
			`--reporters=${COMPAT_REPORTER}`,
			...process.argv.slice(2),
		],
		{
			cwd: ROOT,
			env: { ...process.env, [N8N_ROW_ENV]: row.n8nVersion, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	prefixLines(child.stdout, prefix, process.stdout);
	prefixLines(child.stderr, prefix, process.stderr);
	const code = await new Promise((resolve) => child.once('close', (exitCode, signal) => resolve(exitCode ?? signal)));
	return { version: row.n8nVersion, node: row.nodeVersion, code, seconds: Math.round((Date.now() - started) / 1000) };
}

const fullRun = !selected && process.argv.length === 2;
// A full run compares only what it measured itself, never a file an earlier run left behind.
if (fullRun) rmSync(compatibility.RESULTS_DIR, { recursive: true, force: true });
const results = [];
for (const row of rows) results.push(await runRow(row));

process.stdout.write('\ne2e matrix (test/e2e/versions.env):\n');
for (const result of results) {
	const outcome = result.code === 0 ? 'passed' : `FAILED (jest exit ${result.code})`;
	process.stdout.write(`  n8n ${result.version} on Node ${result.node}: ${outcome} in ${result.seconds} s\n`);
}
let compatible = true;
if (fullRun) {
	const table = compatibility.renderTable(rows.map((row) => row.n8nVersion));
	if (process.env.TOKEN_GUARD_COMPAT_WRITE === '1' && table !== undefined) {
		compatibility.writeReadmeTable(table);
		process.stdout.write('README.md Compatibility table written from this run.\n');
	} else if (table !== compatibility.readmeTable()) {
		compatible = false;
		process.stdout.write(
			`\nREADME.md's Compatibility table differs from what this run measured (TOKEN_GUARD_COMPAT_WRITE=1 writes it):\n${table ?? '(a version recorded no results)'}\n`,
		);
	} else {
		process.stdout.write("README.md's Compatibility table matches this run.\n");
	}
}
process.exitCode = compatible && results.every((result) => result.code === 0) ? 0 : 1;
