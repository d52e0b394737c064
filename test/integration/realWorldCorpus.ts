/**
 * The real-world diagnosis corpus (test/fixtures/real-world/*.json): error texts copied from public issue
 * threads, forum posts and provider docs, each with its source URL, shaped here as the Error Trigger
 * item n8n 2.x hands an error workflow. The corpus is split in two by a rule fixed before any rule was
 * tuned: the first byte of SHA-256(source URL) — even → `rules` (the half rules were written against),
 * odd → `held-out`. Cases from one thread therefore always land in the same half.
 */
import { createHash } from 'crypto';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { IDataObject } from 'n8n-workflow';

import type { Action, Category } from '../../nodes/shared/types';
import { errorTriggerItem, nodeError } from './tokenHealthPayloads';

export const CORPUS_DIR = join(__dirname, '..', 'fixtures', 'real-world');

export interface RealWorldCase {
	id: string;
	url: string;
	provider: string | null;
	nodeType: string;
	credentialType: string | null;
	error: { message: string; description?: string | null; httpCode?: string | null };
	expected: { category: Category; isOAuthIssue: boolean; action: Action; provider: string | null };
	note?: string;
	/** The file the case came from (added by the loader). */
	file: string;
}

export type CorpusHalf = 'rules' | 'held-out';

export function loadCorpus(directory = CORPUS_DIR): RealWorldCase[] {
	return readdirSync(directory)
		.filter((name) => name.endsWith('.json'))
		.sort()
		.flatMap((file) => {
			const parsed = JSON.parse(readFileSync(join(directory, file), 'utf8')) as { cases: RealWorldCase[] };
			return parsed.cases.map((entry) => ({ ...entry, file }));
		});
}

export function corpusHalf(entry: Pick<RealWorldCase, 'url'>): CorpusHalf {
	return createHash('sha256').update(entry.url).digest()[0] % 2 === 0 ? 'rules' : 'held-out';
}

/** The case as an Error Trigger item: the failing node's type and credential, n8n's message/description/httpCode. */
export function corpusItem(entry: RealWorldCase): IDataObject {
	const credentials =
		entry.credentialType === null ? undefined : { [entry.credentialType]: { id: `cred-${entry.id}`, name: 'Account' } };
	return errorTriggerItem(
		nodeError({
			message: entry.error.message,
			description: entry.error.description ?? null,
			httpCode: entry.error.httpCode ?? null,
			nodeType: entry.nodeType,
			nodeName: 'Failing Node',
			credentials,
		}),
		{ id: 'wf-corpus', name: 'Corpus' },
	);
}
