/** Waiting for a burst of queue-mode executions and telling which worker ran each. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StoredExecution } from '../../e2e/support/database';
import { queryDatabase, readExecutions, storedNodeOutput } from '../../e2e/support/database';
import type { QueueCluster } from './queueCluster';
import { MARK_WORKER } from './workflows';

const FINISHED = ['success', 'error', 'crashed', 'canceled'];

/** Waits until `count` executions of the workflow have finished (any outcome), then reads them with their data. */
export async function finishedBurst(
	cluster: QueueCluster,
	workflowId: string,
	count: number,
	timeoutMs: number,
): Promise<StoredExecution[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = queryDatabase<{ status: string }>(
			cluster.userFolder,
			'SELECT status FROM execution_entity WHERE "workflowId" = ?',
			[workflowId],
		);
		const finished = rows.filter((row) => FINISHED.includes(row.status)).length;
		if (finished >= count) break;
		if (Date.now() > deadline) {
			throw new Error(
				`after ${timeoutMs} ms: ${finished} of ${count} executions of ${workflowId} finished (${JSON.stringify(rows.map((row) => row.status))})`,
			);
		}
		await sleep(500);
	}
	return readExecutions(cluster.userFolder).filter((execution) => execution.workflowId === workflowId);
}

export interface WorkerSpread {
	/** worker marker (from the execution data) → executions it ran. */
	byMarker: Record<string, number>;
	/** Every execution's marker is the worker whose log says "Worker started execution N". */
	markerMatchesLog: boolean;
}

/** Which worker ran each execution, read from the execution data (the Mark worker node) and the worker logs. */
export function workerSpread(cluster: QueueCluster, executions: StoredExecution[]): WorkerSpread {
	const fromLogs = cluster.executionsByWorker();
	const byMarker: Record<string, number> = {};
	let markerMatchesLog = true;
	for (const execution of executions) {
		const marker = String(storedNodeOutput(execution, MARK_WORKER)[0]?.worker ?? 'unknown');
		byMarker[marker] = (byMarker[marker] ?? 0) + 1;
		if (fromLogs.get(execution.id) !== marker) markerMatchesLog = false;
	}
	return { byMarker, markerMatchesLog };
}
