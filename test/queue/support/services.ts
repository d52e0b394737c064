/**
 * Redis and PostgreSQL for the queue-mode tier, from the Debian packages test/queue/setup installs: each started
 * per test file on a free loopback port in its own temp directory, and removed after. No system service is used.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../e2e/support/n8nServer';

export interface RedisHandle {
	host: string;
	port: number;
	stop(): Promise<void>;
}

export interface PostgresHandle {
	host: string;
	port: number;
	database: string;
	user: string;
	/** A real password: host connections use scram-sha-256, so a wrong one is refused. */
	password: string;
	/** The DB_* variables n8n needs to use this database. */
	n8nEnv: Record<string, string>;
	stop(): Promise<void>;
}

function run(command: string, args: string[], what: string): string {
	const result = spawnSync(command, args, { encoding: 'utf8' });
	if (result.status !== 0) {
		throw new Error(
			`${what} failed (exit ${result.status}): ${result.error?.message ?? ''}${result.stderr}${result.stdout}`,
		);
	}
	return result.stdout;
}

function exited(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		else child.once('exit', () => resolve());
	});
}

/** `redis-server` in the foreground, no persistence; ready once PING answers PONG. */
export async function startRedis(): Promise<RedisHandle> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), 'token-guard-redis-'));
	const child = spawn(
		'redis-server',
		['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let output = '';
	const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
	child.stdout!.on('data', keep);
	child.stderr!.on('data', keep);
	const gone = exited(child);
	const stop = async () => {
		child.kill('SIGKILL');
		await gone;
		rmSync(dir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 15_000;
	for (;;) {
		const ping = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
		if (ping.stdout?.trim() === 'PONG') break;
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`redis-server did not start on port ${port}\n${output.slice(-3000)}`);
		}
		await sleep(100);
	}
	return { host: '127.0.0.1', port, stop };
}

/** The newest PostgreSQL server Debian installed; its tools are not on PATH. */
export function postgresBinDir(): string {
	const root = '/usr/lib/postgresql';
	const majors = (() => {
		try {
			return readdirSync(root).filter((name) => /^\d+$/.test(name));
		} catch {
			return [];
		}
	})().sort((a, b) => Number(a) - Number(b));
	if (majors.length === 0) throw new Error(`no PostgreSQL under ${root}: run test/queue/setup`);
	return join(root, majors[majors.length - 1], 'bin');
}

/**
 * initdb + pg_ctl as the `postgres` user (the server refuses to run as root) in a temp data directory owned by
 * it, listening on 127.0.0.1 only; a role with a password and a database for n8n.
 */
export async function startPostgres(
	options: { database?: string; user?: string; password?: string } = {},
): Promise<PostgresHandle> {
	const bin = postgresBinDir();
	const port = await freePort();
	const database = options.database ?? 'n8n_queue';
	const user = options.user ?? 'n8n_queue';
	const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
	const root = mkdtempSync(join(tmpdir(), 'token-guard-postgres-'));
	const dataDir = join(root, 'data');
	const socketDir = join(root, 'socket');
	const logFile = join(root, 'postgres.log');
	const passwordFile = join(root, 'superuser-password');
	mkdirSync(dataDir);
	mkdirSync(socketDir);
	writeFileSync(passwordFile, `${password}\n`);
	const uid = Number(run('id', ['-u', 'postgres'], 'id -u postgres').trim());
	const gid = Number(run('id', ['-g', 'postgres'], 'id -g postgres').trim());
	chmodSync(root, 0o755);
	for (const path of [root, dataDir, socketDir, passwordFile]) chownSync(path, uid, gid);
	chmodSync(dataDir, 0o700);
	const asPostgres = (command: string, args: string[], what: string) =>
		run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], what);

	let started = false;
	const stop = async () => {
		if (started) {
			spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'], {
				encoding: 'utf8',
			});
		}
		rmSync(root, { recursive: true, force: true });
	};
	try {
		asPostgres(
			'initdb',
			[
				'-D',
				dataDir,
				'-U',
				'postgres',
				'--auth-local=trust',
				'--auth-host=scram-sha-256',
				`--pwfile=${passwordFile}`,
				'-E',
				'UTF8',
				'--locale=C',
			],
			'initdb',
		);
		asPostgres(
			'pg_ctl',
			[
				'-D',
				dataDir,
				'-l',
				logFile,
				'-w',
				'-t',
				'30',
				'-o',
				`-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
				'start',
			],
			'pg_ctl start',
		);
		started = true;
		const psql = (sql: string) =>
			asPostgres(
				'psql',
				['-h', socketDir, '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql],
				sql,
			);
		psql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
		psql(`CREATE DATABASE ${database} OWNER ${user}`);
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		database,
		user,
		password,
		n8nEnv: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: database,
			DB_POSTGRESDB_USER: user,
			DB_POSTGRESDB_PASSWORD: password,
		},
		stop,
	};
}
