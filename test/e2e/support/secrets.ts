/**
 * Canary secrets: unique values planted in every secret credential field (and the tokens the provider
 * issues), then searched for in everything n8n wrote: execution data, the database file, its log and
 * console output, and what receivers got.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import type { UserFolder } from '../n8n';
import { databasePath, readExecutions } from './database';

export function canary(label: string): string {
	return `tg-canary-${label}-${randomBytes(9).toString('hex')}`;
}

export interface Leak {
	secret: string;
	source: string;
}

/** Which labelled secret appears in which named text. Empty secrets are ignored. */
export function findLeaks(secrets: Record<string, string | undefined>, sources: Record<string, string>): Leak[] {
	const leaks: Leak[] = [];
	for (const [secretLabel, value] of Object.entries(secrets)) {
		if (!value) continue;
		for (const [source, text] of Object.entries(sources)) {
			if (text.includes(value)) leaks.push({ secret: secretLabel, source });
		}
	}
	return leaks;
}

/**
 * Everything n8n itself wrote in a user folder: every stored execution's data, the raw database and WAL
 * files (latin1, so any table's text is searchable) and the log file. The test's own import and export
 * files are not n8n's writing and are left out.
 */
export function n8nWrittenTexts(userFolder: UserFolder): Record<string, string> {
	const texts: Record<string, string> = {
		'execution data': readExecutions(userFolder)
			.map((execution) => execution.rawData)
			.join('\n'),
		'n8n log file': existsSync(userFolder.logFile) ? readFileSync(userFolder.logFile, 'utf8') : '',
	};
	for (const suffix of ['', '-wal']) {
		const file = `${databasePath(userFolder)}${suffix}`;
		if (existsSync(file)) texts[`database file${suffix}`] = readFileSync(file).toString('latin1');
	}
	return texts;
}
