/**
 * Reads executions straight from a user folder's SQLite database, with the sqlite3 binding of the
 * cached n8n install (run on its Node 24). n8n 2.40 has no CLI command that exports executions, and the
 * database is what n8n itself reads: if a secret is in there, it is in n8n's execution data.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

import { e2eEnv } from '../n8n';
import type { UserFolder } from '../n8n';

export interface StoredExecution {
	id: string;
	workflowId: string;
	mode: string;
	status: string;
	finished: boolean;
	/** execution_data.data exactly as stored (n8n's "flatted" JSON text). */
	rawData: string;
	/** The same, parsed: the run data n8n shows in the editor. */
	data: Record<string, any> | undefined;
}

const READER = `
const [modulesDir, databasePath] = process.argv.slice(1);
const sqlite3 = require(modulesDir + '/sqlite3');
const { parse } = require(modulesDir + '/flatted');
const db = new sqlite3.Database(databasePath, sqlite3.OPEN_READONLY);
db.all(
	'SELECT e.id, e.workflowId, e.mode, e.status, e.finished, d.data FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id ORDER BY e.id',
	(error, rows) => {
		if (error) { console.error(error.message); process.exit(2); }
		const out = rows.map((row) => {
			let data;
			try { data = row.data ? parse(row.data) : undefined; } catch { data = undefined; }
			return { id: String(row.id), workflowId: row.workflowId, mode: row.mode, status: row.status, finished: Boolean(row.finished), rawData: row.data ?? '', data };
		});
		process.stdout.write(JSON.stringify(out));
		db.close();
	},
);
`;

export function databasePath(userFolder: UserFolder): string {
	return join(userFolder.path, '.n8n', 'database.sqlite');
}

export function readExecutions(userFolder: UserFolder): StoredExecution[] {
	const { nodeBinary, n8nBin } = e2eEnv();
	// <cache>/n8n-<version>/node_modules/n8n/bin/n8n → <cache>/n8n-<version>/node_modules
	const modulesDir = dirname(dirname(dirname(n8nBin)));
	const result = spawnSync(nodeBinary, ['-e', READER, modulesDir, databasePath(userFolder)], {
		encoding: 'utf8',
		maxBuffer: 256 * 1024 * 1024,
	});
	if (result.status !== 0) throw new Error(`reading executions from ${databasePath(userFolder)} failed: ${result.stderr}`);
	return JSON.parse(result.stdout) as StoredExecution[];
}

/** Output items (json) of one node in a stored execution. */
export function storedNodeOutput(execution: StoredExecution | undefined, nodeName: string, output = 0): Array<Record<string, any>> {
	const runs = execution?.data?.resultData?.runData?.[nodeName] as Array<{ data?: { main?: Array<Array<{ json: Record<string, any> }> | null> } }> | undefined;
	return (runs?.[0]?.data?.main?.[output] ?? []).map((item) => item.json);
}
