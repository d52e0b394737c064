/**
 * Diagnose Error on the real-world corpus (test/fixtures/real-world): every case through the real node
 * (n8n-core WorkflowExecute), scored "fully right" when category, isOAuthIssue, action and — where the
 * case names one — provider all match. Fails below 95 %; prints every miss and the score of each half
 * (realWorldCorpus.ts explains the split) and writes them to test-results/real-world-corpus.json.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import type { IDataObject } from 'n8n-workflow';

import { CATEGORY_TRAITS, ALL_CATEGORIES } from '../../nodes/shared/classify/taxonomy';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { CorpusHalf, RealWorldCase } from './realWorldCorpus';
import { corpusHalf, corpusItem, loadCorpus } from './realWorldCorpus';

const REQUIRED_SCORE = 0.95;
const corpus = loadCorpus();

interface Scored {
	entry: RealWorldCase;
	half: CorpusHalf;
	got: IDataObject;
	misses: string[];
}

async function diagnoseAll(entries: RealWorldCase[]): Promise<IDataObject[]> {
	const result = await runNode({
		nodeType: new TokenHealth(),
		helper: new HarnessCredentialsHelper(),
		mode: 'error',
		instanceBaseUrl: 'https://n8n.example.com',
		parameters: { operation: 'diagnoseError' },
		items: entries.map((entry) => ({ json: corpusItem(entry) })),
	});
	const byInput: IDataObject[] = [];
	for (const item of result.outputs.flat()) {
		const paired = item.pairedItem as { item: number };
		byInput[paired.item] = item.json;
	}
	return byInput;
}

function missesOf(entry: RealWorldCase, got: IDataObject): string[] {
	const misses: string[] = [];
	const { expected } = entry;
	if (got.category !== expected.category) misses.push(`category ${String(got.category)} ≠ ${expected.category}`);
	if (got.isOAuthIssue !== expected.isOAuthIssue) {
		misses.push(`isOAuthIssue ${String(got.isOAuthIssue)} ≠ ${String(expected.isOAuthIssue)}`);
	}
	if (got.action !== expected.action) misses.push(`action ${String(got.action)} ≠ ${expected.action}`);
	if (expected.provider !== null && got.provider !== expected.provider) {
		misses.push(`provider ${String(got.provider)} ≠ ${expected.provider}`);
	}
	return misses;
}

function score(scored: Scored[]): { cases: number; fullyRight: number; share: number } {
	const fullyRight = scored.filter((entry) => entry.misses.length === 0).length;
	return { cases: scored.length, fullyRight, share: scored.length === 0 ? 0 : fullyRight / scored.length };
}

describe('the corpus itself', () => {
	it('has at least 150 sourced cases, every category at least 5 times, 15 providers, a third not OAuth', () => {
		expect(corpus.length).toBeGreaterThanOrEqual(150);
		const thin = ALL_CATEGORIES.map(
			(category) => [category, corpus.filter((entry) => entry.expected.category === category).length] as const,
		).filter(([, cases]) => cases < 5);
		expect(thin).toEqual([]);
		expect(new Set(corpus.map((entry) => entry.provider).filter(Boolean)).size).toBeGreaterThanOrEqual(15);
		expect(corpus.filter((entry) => !entry.expected.isOAuthIssue).length * 3).toBeGreaterThanOrEqual(corpus.length);
	});

	it('every case has a public source URL, a unique id and text, and an action that fits its category', () => {
		const ids = new Set<string>();
		const texts = new Set<string>();
		for (const entry of corpus) {
			expect(entry.url).toMatch(/^https:\/\/[^\s]+$/);
			expect(entry.error.message.trim()).not.toBe('');
			expect(ids.has(entry.id)).toBe(false);
			expect(texts.has(entry.error.message)).toBe(false);
			ids.add(entry.id);
			texts.add(entry.error.message);
			expect({ id: entry.id, action: entry.expected.action }).toEqual({
				id: entry.id,
				action: CATEGORY_TRAITS[entry.expected.category].action,
			});
		}
	});
});

describe('Diagnose Error on the real-world corpus', () => {
	it(`gets at least ${REQUIRED_SCORE * 100} % fully right (category, isOAuthIssue, action, provider)`, async () => {
		const diagnoses = await diagnoseAll(corpus);
		const scored: Scored[] = corpus.map((entry, index) => ({
			entry,
			half: corpusHalf(entry),
			got: diagnoses[index],
			misses: missesOf(entry, diagnoses[index] ?? {}),
		}));
		const report = {
			overall: score(scored),
			rules: score(scored.filter((entry) => entry.half === 'rules')),
			heldOut: score(scored.filter((entry) => entry.half === 'held-out')),
			misses: scored
				.filter((entry) => entry.misses.length > 0)
				.map(({ entry, half, got, misses }) => ({
					id: entry.id,
					half,
					url: entry.url,
					misses,
					matched: got.evidence === undefined ? null : ((got.evidence as IDataObject).matched ?? null),
				})),
		};
		const directory = join(__dirname, '..', '..', 'test-results');
		mkdirSync(directory, { recursive: true });
		writeFileSync(join(directory, 'real-world-corpus.json'), `${JSON.stringify(report, null, 2)}\n`);
		console.log(
			`real-world corpus: ${report.overall.fullyRight}/${report.overall.cases} fully right ` +
				`(rules half ${report.rules.fullyRight}/${report.rules.cases}, held-out half ${report.heldOut.fullyRight}/${report.heldOut.cases})\n` +
				report.misses.map((miss) => `  ${miss.id} [${miss.half}]: ${miss.misses.join('; ')}`).join('\n'),
		);
		expect(diagnoses.filter(Boolean)).toHaveLength(corpus.length);
		expect(report.overall.share).toBeGreaterThanOrEqual(REQUIRED_SCORE);
	});
});
