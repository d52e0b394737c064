/**
 * The one way a benchmark file prints its result: each file names its benchmarks, the command line may
 * pick some of them (`node --require ./test/bench/register.js <file> [name…]`), and one JSON document
 * goes to stdout — progress and errors go to stderr, so stdout stays parseable for scripts/bench.mjs.
 */
export type Benchmarks = Record<string, () => Promise<unknown>>;

export function runBenchmarks(benchmarks: Benchmarks): void {
	const requested = process.argv.slice(2).filter((name) => name in benchmarks);
	const names = requested.length > 0 ? requested : Object.keys(benchmarks);
	const main = async (): Promise<void> => {
		const report: Record<string, unknown> = { node: process.version, startedAt: new Date().toISOString() };
		for (const name of names) {
			process.stderr.write(`[bench] ${name}…\n`);
			report[name] = await benchmarks[name]();
		}
		process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
	};
	main().catch((error: unknown) => {
		process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exitCode = 1;
	});
}
