/**
 * Benchmark: hostile text through the parsers that used backtracking regexes. Prints milliseconds as
 * JSON (median and worst of the timed runs, plus the very first run, before V8 has optimised anything).
 *
 *   node --require ./test/bench/register.js test/bench/redos.bench.ts [formBody] [redaction]
 *
 * formBody: the 82- and 88-byte `a=&a=…<<` token endpoint answers through parseTokenResponse (the old
 * form-body regex backtracked exponentially on them). redaction: 200 KB error messages through
 * redactText (a run of `eyJ-` made the old JWT pattern quadratic; the mixed one is realistic text), and
 * the `eyJ-` run once more just under the size cap.
 */
import { redactText } from '../../nodes/shared/security/redact';
import { parseTokenResponse } from '../../nodes/shared/oauth/refreshGrant';
import { runBenchmarks } from './runner';

const RUNS = 25;
const KIB_200 = 200 * 1024;

const repeated = (unit: string, length: number): string =>
	unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

function timed(run: () => unknown): { firstMs: number; medianMs: number; maxMs: number; runs: number } {
	const durations: number[] = [];
	for (let index = 0; index <= RUNS; index++) {
		const started = process.hrtime.bigint();
		run();
		durations.push(Number(process.hrtime.bigint() - started) / 1e6);
	}
	const [firstMs, ...rest] = durations;
	const sorted = [...rest].sort((a, b) => a - b);
	const round = (ms: number) => Math.round(ms * 1000) / 1000;
	return {
		firstMs: round(firstMs),
		medianMs: round(sorted[Math.floor(sorted.length / 2)]),
		maxMs: round(sorted[sorted.length - 1]),
		runs: RUNS,
	};
}

async function formBody(): Promise<Record<string, unknown>> {
	const context = { previousRefreshToken: 'rt-bench-0001', nowMs: 0 };
	const result: Record<string, unknown> = { benchmark: 'form-body-detection' };
	for (const body of [`a=${'&a='.repeat(26)}<<`, `a=${'&a='.repeat(28)}<<`]) {
		result[`bytes${body.length}`] = timed(() =>
			parseTokenResponse({ status: 200, headers: { 'content-type': 'text/plain' }, body }, context),
		);
	}
	return result;
}

async function redaction(): Promise<Record<string, unknown>> {
	const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJlLWJlbmNo';
	const mixedUnit =
		`GET https://api.example.com/v1/items?access_token=at-${'9'.repeat(24)}&page=2 failed: 401 ` +
		`{"error":"invalid_token","access_token":"at-123456","detail":"Bearer ${jwt} rejected"} `;
	const messages = {
		eyJDashRun: repeated('eyJ-', KIB_200),
		// Just under redaction's 64 KiB cap, so the patterns read all of it (past the cap, a run is dropped whole).
		eyJDashRunUnderCap: repeated('eyJ-', 65_535),
		mixed: repeated(mixedUnit, KIB_200),
	};
	const result: Record<string, unknown> = { benchmark: 'redact-200kb' };
	for (const [name, message] of Object.entries(messages))
		result[name] = timed(() => redactText(message, ['rt-bench-0001']));
	return result;
}

runBenchmarks({ formBody, redaction });
