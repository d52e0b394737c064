/**
 * n8n in queue mode, as users scale it: one main (`n8n start`: editor, API, production webhooks, enqueues
 * executions in Bull) and N workers (`n8n worker`: run them), sharing Redis, Postgres and one user folder
 * (encryption key, community packages under .n8n/nodes) — on a real deployment the folder is the same
 * N8N_ENCRYPTION_KEY plus the same packages installed on every host. Workflows and credentials are imported
 * and published BEFORE the processes start: the CLI's publish does not reach a running n8n.
 *
 * Each worker gets TOKEN_GUARD_QUEUE_WORKER=worker-<n> in its environment and env access in expressions, so a
 * workflow can record where it ran ({{ $env.TOKEN_GUARD_QUEUE_WORKER }}) without any package code reading the
 * environment; each also writes its own log file, where n8n says "Worker started execution N".
 */
import { join } from 'node:path';

import type { N8nLogLine, UserFolder } from '../../e2e/n8n';
import {
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	logTail,
	n8n,
	packRepo,
	readLogFile,
	removeUserFolder,
} from '../../e2e/n8n';
import { waitForPublishedVersions } from '../../e2e/support/database';
import type { N8nServer } from '../../e2e/support/n8nServer';
import { startN8nServer } from '../../e2e/support/n8nServer';
import type { PostgresHandle, RedisHandle } from './services';
import { startPostgres, startRedis } from './services';

export const WORKER_MARKER_ENV = 'TOKEN_GUARD_QUEUE_WORKER';
/** A Set node field a workflow can carry to say which worker ran it. */
export const WORKER_MARKER_EXPRESSION = `={{ $env.${WORKER_MARKER_ENV} }}`;

export interface QueueClusterOptions {
	workers?: number;
	/** Which packages to install (packed once by the e2e globalSetup). */
	packages?: Array<'core' | 'companion'>;
	credentials?: Array<Record<string, unknown>>;
	workflows?: Array<Record<string, unknown>>;
	/** Workflow ids to publish (production webhooks, error workflows). */
	publish?: string[];
	/** Parallel executions per worker (`n8n worker --concurrency`); n8n's default is 10. */
	concurrency?: number;
}

export interface QueueWorker {
	name: string;
	server: N8nServer;
	logFile: string;
}

export interface QueueCluster {
	redis: RedisHandle;
	postgres: PostgresHandle;
	userFolder: UserFolder;
	main: N8nServer;
	workers: QueueWorker[];
	/** execution id → worker name, from each worker's "Worker started execution N" log lines. */
	executionsByWorker(): Map<string, string>;
	/** Starts a worker again under the same name (after a test killed it); its log file continues. */
	restartWorker(name: string): Promise<QueueWorker>;
	timings: Record<string, number>;
	stop(): Promise<void>;
}

/** The worker's own log file (JSON lines), as for the main's userFolder.logFile. */
function workerLog(userFolder: UserFolder, logFile: string): N8nLogLine[] {
	return readLogFile({ ...userFolder, logFile });
}

export async function startQueueCluster(options: QueueClusterOptions = {}): Promise<QueueCluster> {
	const timings: Record<string, number> = {};
	let started = Date.now();
	await ensureN8nInstalled();
	const tarballs = await Promise.all((options.packages ?? ['core']).map((kind) => packRepo(kind)));
	const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
	timings.servicesMs = Date.now() - started;

	const userFolder = createUserFolder({
		...postgres.n8nEnv,
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: redis.host,
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		// Lets a workflow read its worker's marker; the package itself never reads the environment.
		N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
		// n8n 2.40 warns that Postgres below 17 is not recommended; 15 (Debian 12) works.
		DB_POSTGRESDB_POOL_SIZE: '4',
	});
	const workers: QueueWorker[] = [];
	let main: N8nServer | undefined;
	const startWorker = async (name: string): Promise<QueueWorker> => {
		const logFile = join(userFolder.path, `${name}.log`);
		const server = await startN8nServer(userFolder, {
			command: 'worker',
			env: {
				[WORKER_MARKER_ENV]: name,
				N8N_LOG_FILE_LOCATION: logFile,
				N8N_CONCURRENCY_PRODUCTION_LIMIT: String(options.concurrency ?? 10),
			},
		});
		return { name, server, logFile };
	};
	const stop = async () => {
		await Promise.all([main?.stop(5000), ...workers.map((worker) => worker.server.stop(5000))]);
		await Promise.all([redis.stop(), postgres.stop()]);
		removeUserFolder(userFolder);
	};
	try {
		started = Date.now();
		for (const tarball of tarballs) await installPackageTarball(userFolder, tarball);
		if (options.credentials?.length) await importCredentials(userFolder, options.credentials);
		if (options.workflows?.length) await importWorkflow(userFolder, options.workflows);
		for (const id of options.publish ?? []) {
			const published = await n8n(['publish:workflow', `--id=${id}`], { userFolder });
			if (published.code !== 0) throw new Error(`publish:workflow ${id} failed\n${logTail(userFolder)}`);
		}
		timings.prepareMs = Date.now() - started;

		started = Date.now();
		const count = options.workers ?? 2;
		// Main first: it runs the database migrations the workers expect.
		main = await startN8nServer(userFolder);
		const startedWorkers = await Promise.all(
			Array.from({ length: count }, async (_, index) => await startWorker(`worker-${index + 1}`)),
		);
		workers.push(...startedWorkers);
		if (options.publish?.length) await waitForPublishedVersions(userFolder, options.publish);
		timings.startMs = Date.now() - started;
	} catch (error) {
		await stop();
		throw error;
	}

	return {
		redis,
		postgres,
		userFolder,
		main,
		workers,
		timings,
		executionsByWorker() {
			const byExecution = new Map<string, string>();
			for (const worker of workers) {
				for (const line of workerLog(userFolder, worker.logFile)) {
					const match = /^Worker started execution (\d+)/.exec(line.message);
					if (match) byExecution.set(match[1], worker.name);
				}
			}
			return byExecution;
		},
		async restartWorker(name) {
			const index = workers.findIndex((worker) => worker.name === name);
			await workers[index].server.stop(2000);
			workers[index] = await startWorker(name);
			return workers[index];
		},
		stop,
	};
}
