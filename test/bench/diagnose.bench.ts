/**
 * Benchmark: 10,000 error payloads (the payload table and the real-world corpus) through Token Health's diagnosis (item → §5.1 fields, classifier
 * included). Prints CPU time from process.cpuUsage as JSON; the target is ≤ 1 s of CPU.
 *
 *   node --require ./test/bench/register.js test/bench/diagnose.bench.ts
 */
import { diagnose } from '../../nodes/shared/diagnose/diagnosis';
import { corpusItem, loadCorpus } from '../integration/realWorldCorpus';
import { PAYLOADS } from '../integration/tokenHealthPayloads';
import { runBenchmarks } from './runner';

const PAYLOAD_COUNT = 10_000;
const WARM_UP = 500;
const TARGET_CPU_MS = 1000;
const options = { instanceBaseUrl: 'https://n8n.example.com' };

async function diagnoseBench(): Promise<Record<string, unknown>> {
	// The payload table and the real-world corpus, cycled: n8n, provider, model-key, network and unrelated errors.
	const distinct = [...PAYLOADS.map((payload) => payload.json), ...loadCorpus().map(corpusItem)];
	const payloads = Array.from({ length: PAYLOAD_COUNT }, (_unused, index) => distinct[index % distinct.length]);

	for (let index = 0; index < WARM_UP; index++) diagnose(payloads[index], options);

	const categories: Record<string, number> = {};
	const cpuBefore = process.cpuUsage();
	const wallBefore = process.hrtime.bigint();
	for (const payload of payloads) {
		const result = diagnose(payload, options);
		const category = result.ok ? result.value.category : 'error';
		categories[category] = (categories[category] ?? 0) + 1;
	}
	const wallMs = Number(process.hrtime.bigint() - wallBefore) / 1e6;
	const cpu = process.cpuUsage(cpuBefore);
	const cpuTotalMs = (cpu.user + cpu.system) / 1000;

	return {
		benchmark: 'token-health-diagnose',
		payloads: PAYLOAD_COUNT,
		distinctPayloads: distinct.length,
		cpuUserMs: Math.round(cpu.user / 1000),
		cpuSystemMs: Math.round(cpu.system / 1000),
		cpuTotalMs: Math.round(cpuTotalMs),
		wallMs: Math.round(wallMs),
		cpuPerPayloadUs: Math.round((cpuTotalMs * 1000) / PAYLOAD_COUNT),
		targetCpuMs: TARGET_CPU_MS,
		withinTarget: cpuTotalMs <= TARGET_CPU_MS,
		categories,
	};
}

runBenchmarks({ diagnose: diagnoseBench });
