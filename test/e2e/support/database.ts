/**
 * Reads executions straight from a user folder's database, with the sqlite3 (or, for a folder whose n8n uses
 * Postgres, pg) module of the cached n8n install (run on its Node 24). n8n 2.40 has no CLI command that exports
 * executions, and the database is what n8n itself reads: if a secret is in there, it is in n8n's execution data.
 * Queries quote camelCase columns ("workflowId") and use `?` placeholders, so one text runs on both.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

import { e2eEnv, hasWorkflowPublishing } from '../n8n';
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

/** Runs one read-only query on Node 24; a column named `data` is parsed from n8n's "flatted" JSON into `parsedData`. */
const QUERY_SCRIPT = `
const [modulesDir, databasePath, sql, paramsJson] = process.argv.slice(1);
const sqlite3 = require(modulesDir + '/sqlite3');
const { parse } = require(modulesDir + '/flatted');
const db = new sqlite3.Database(databasePath, sqlite3.OPEN_READONLY);
db.all(sql, JSON.parse(paramsJson), (error, rows) => {
	if (error) { console.error(error.message); process.exit(2); }
	for (const row of rows) {
		if (typeof row.data !== 'string') continue;
		try { row.parsedData = parse(row.data); } catch { row.parsedData = undefined; }
	}
	process.stdout.write(JSON.stringify(rows));
	db.close();
});
`;

/** The same for Postgres (the queue-mode tier): `?` placeholders become $1, $2, … */
const PG_QUERY_SCRIPT = `
const [modulesDir, connectionJson, sql, paramsJson] = process.argv.slice(1);
const { Client } = require(modulesDir + '/pg');
const { parse } = require(modulesDir + '/flatted');
let index = 0;
const text = sql.replace(/\\?/g, () => '$' + ++index);
const client = new Client(JSON.parse(connectionJson));
client.connect()
	.then(() => client.query(text, JSON.parse(paramsJson)))
	.then(({ rows }) => {
		for (const row of rows) {
			if (typeof row.data !== 'string') continue;
			try { row.parsedData = parse(row.data); } catch { row.parsedData = undefined; }
		}
		process.stdout.write(JSON.stringify(rows));
		return client.end();
	})
	.catch((error) => { console.error(error.message); process.exit(2); });
`;

export function databasePath(userFolder: UserFolder): string {
	return join(userFolder.path, '.n8n', 'database.sqlite');
}

export function queryDatabase<Row = Record<string, any>>(
	userFolder: UserFolder,
	sql: string,
	params: unknown[] = [],
): Row[] {
	const { nodeBinary, n8nBin } = e2eEnv();
	// <cache>/n8n-<version>/node_modules/n8n/bin/n8n → <cache>/n8n-<version>/node_modules
	const modulesDir = dirname(dirname(dirname(n8nBin)));
	const env = userFolder.env;
	const [script, target] =
		env.DB_TYPE === 'postgresdb'
			? [
					PG_QUERY_SCRIPT,
					JSON.stringify({
						host: env.DB_POSTGRESDB_HOST,
						port: Number(env.DB_POSTGRESDB_PORT),
						database: env.DB_POSTGRESDB_DATABASE,
						user: env.DB_POSTGRESDB_USER,
						password: env.DB_POSTGRESDB_PASSWORD,
					}),
				]
			: [QUERY_SCRIPT, databasePath(userFolder)];
	const where = env.DB_TYPE === 'postgresdb' ? `postgres database ${env.DB_POSTGRESDB_DATABASE}` : target;
	const result = spawnSync(nodeBinary, ['-e', script, modulesDir, target, sql, JSON.stringify(params)], {
		encoding: 'utf8',
		maxBuffer: 256 * 1024 * 1024,
	});
	if (result.status !== 0) throw new Error(`query on ${where} failed: ${result.stderr}`);
	return JSON.parse(result.stdout) as Row[];
}

export function readExecutions(userFolder: UserFolder): StoredExecution[] {
	const rows = queryDatabase<{
		id: number;
		workflowId: string;
		mode: string;
		status: string;
		finished: number | boolean;
		data: string | null;
		parsedData: unknown;
	}>(
		userFolder,
		'SELECT e.id, e."workflowId", e.mode, e.status, e.finished, d.data FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id ORDER BY e.id',
	);
	return rows.map((row) => ({
		id: String(row.id),
		workflowId: row.workflowId,
		mode: row.mode,
		status: row.status,
		finished: Boolean(row.finished),
		rawData: row.data ?? '',
		data: row.parsedData as Record<string, any> | undefined,
	}));
}

/**
 * Waits until n8n serves the published version of each workflow. n8n 2.40 applies a publication in
 * the background (an outbox plus a reconciler every 10 s): after a re-import and `publish:workflow` in
 * an existing user folder, a running n8n keeps serving the previously published version for a while.
 */
export async function waitForPublishedVersions(
	userFolder: UserFolder,
	workflowIds: string[],
	timeoutMs = 90_000,
): Promise<void> {
	// n8n 1.x has no published versions: `update:workflow --active=true` took effect before n8n started.
	if (!hasWorkflowPublishing()) return;
	const placeholders = workflowIds.map(() => '?').join(', ');
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = queryDatabase<{ id: string; activeVersionId: string | null; publishedVersionId: string | null }>(
			userFolder,
			`SELECT w.id, w."activeVersionId", p."publishedVersionId" FROM workflow_entity w LEFT JOIN workflow_published_version p ON p."workflowId" = w.id WHERE w.id IN (${placeholders})`,
			workflowIds,
		);
		const pending = rows.filter((row) => !row.activeVersionId || row.publishedVersionId !== row.activeVersionId);
		if (rows.length === workflowIds.length && pending.length === 0) return;
		if (Date.now() > deadline) {
			throw new Error(
				`n8n did not serve the published version of ${pending.map((row) => row.id).join(', ') || workflowIds.join(', ')} within ${timeoutMs} ms`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

/** Output items (json) of one node in a stored execution. */
export function storedNodeOutput(
	execution: StoredExecution | undefined,
	nodeName: string,
	output = 0,
): Array<Record<string, any>> {
	const runs = execution?.data?.resultData?.runData?.[nodeName] as
		Array<{ data?: { main?: Array<Array<{ json: Record<string, any> }> | null> } }> | undefined;
	return (runs?.[0]?.data?.main?.[output] ?? []).map((item) => item.json);
}
