/**
 * Replay on recovery (docs/ARCHITECTURE.md#alert-memory): which failed executions of an episode Diagnose Error keeps,
 * which of them a recovery retries, and what it says about them. Pure; the requests are in replay.adapter.ts.
 */
import type { Action } from '../types';
import type { ExecutionState } from '../n8nApi/publicApi';
import type { RecordedExecution } from './alertState';

/** The actions that say the credential caused the failure: its executions are worth a replay once it works again. */
export const REPLAY_ACTIONS: readonly Action[] = ['reconnect', 'force_refresh', 'retry_later'];

export const DEFAULT_REPLAY_CAP = 50;
export const MAX_REPLAY_CAP = 500;
export const DEFAULT_REPLAY_MAX_AGE_HOURS = 24;
/**
 * One retry at a time unless the user asks for more: the retries all use the credential that just recovered, and on
 * n8n 1.x (no refresh lock) parallel runs of one rotating credential race its refresh (measured on 1.123.81 with 4 at
 * a time: 3 of 10 retries failed invalid_grant; one at a time: 10 of 10 succeeded).
 */
export const DEFAULT_REPLAY_CONCURRENCY = 1;
export const MAX_REPLAY_CONCURRENCY = 10;

export interface ReplaySettings {
	enabled: boolean;
	/** At most this many retries per recovery. */
	cap: number;
	/** Executions that failed longer ago are not replayed. */
	maxAgeMs: number;
	/** n8n's loadWorkflow: true runs the workflow as saved now, false as it was when the execution ran. */
	loadWorkflow: boolean;
	concurrency: number;
}

/**
 * Whether Diagnose Error keeps a failed execution for replay: the credential caused it, and it is another
 * workflow's execution (never the error workflow's own run, nor an item of this very execution).
 */
export function keepsForReplay(
	action: Action,
	source: { executionId?: string | null; workflowId?: string | null },
	own: { executionId?: string | null; workflowId?: string | null },
): boolean {
	if (!REPLAY_ACTIONS.includes(action)) return false;
	if (!source.executionId || !source.workflowId) return false;
	return source.executionId !== own.executionId && source.workflowId !== own.workflowId;
}

export interface ReplayPlan {
	/** Within the max age and the cap, oldest first (the order they failed in). */
	due: RecordedExecution[];
	/** Within the max age but beyond the cap. */
	left: number;
	tooOld: number;
}

export function planReplay(
	executions: readonly RecordedExecution[],
	settings: Pick<ReplaySettings, 'cap' | 'maxAgeMs'>,
	nowMs: number,
): ReplayPlan {
	const fresh = [...executions].filter(([, , atMs]) => nowMs - atMs <= settings.maxAgeMs).sort((a, b) => a[2] - b[2]);
	const cap = Math.max(0, Math.floor(settings.cap));
	return { due: fresh.slice(0, cap), left: Math.max(0, fresh.length - cap), tooOld: executions.length - fresh.length };
}

export type SkipReason = 'deleted' | 'succeeded' | 'retried' | 'running' | 'retryOfRecorded';

export const SKIP_TEXT: Readonly<Record<SkipReason, string>> = {
	deleted: 'n8n no longer has this execution',
	succeeded: 'it has succeeded since',
	retried: 'a retry of it has succeeded since',
	running: 'it is still running or waiting',
	retryOfRecorded: 'it is a retry of another failed execution that is replayed instead',
};

/** Why an execution is not retried, from what n8n says of it now; undefined when it is due. */
export function skipReason(state: ExecutionState | null, recordedIds: ReadonlySet<string>): SkipReason | undefined {
	if (state === null) return 'deleted';
	if (state.retrySuccessId !== null) return 'retried';
	if (state.status === 'success') return 'succeeded';
	if (['running', 'new', 'waiting'].includes(state.status)) return 'running';
	if (state.retryOf !== null && recordedIds.has(state.retryOf)) return 'retryOfRecorded';
	return undefined;
}

export type ReplayStatus = 'succeeded' | 'failed' | 'skipped' | 'error';

/** A retry's outcome from the new execution's status: n8n answers once the retry has finished. */
export function replayStatus(newStatus: string): ReplayStatus {
	return newStatus === 'success' ? 'succeeded' : 'failed';
}

export interface ReplayCounts {
	/** Retries started. */
	replayed: number;
	succeeded: number;
	/** Retries that ran and failed, or could not be started (a conflict, an unreachable API). */
	failed: number;
	/** Not retried: succeeded or retried since, deleted, running, already replayed. */
	skipped: number;
	/** Left by the cap. */
	left: number;
	tooOld: number;
}

export function countReplays(statuses: readonly ReplayStatus[], plan: ReplayPlan): ReplayCounts {
	const count = (status: ReplayStatus) => statuses.filter((one) => one === status).length;
	return {
		replayed: count('succeeded') + count('failed'),
		succeeded: count('succeeded'),
		failed: count('failed') + count('error'),
		skipped: count('skipped'),
		left: plan.left,
		tooOld: plan.tooOld,
	};
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "3 h 12 min", "4 min", "40 s", "2 d 3 h". */
export function formatDuration(ms: number): string {
	const seconds = Math.max(0, Math.round(ms / 1000));
	if (seconds < 60) return `${seconds} s`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes} min`;
	const hours = Math.floor(minutes / 60);
	if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
	return hours % 24 === 0 ? `${Math.floor(hours / 24)} d` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "41 executions replayed, 40 succeeded; 7 left by the cap of 3 (retry them in n8n's Executions list)". */
export function replaySentence(counts: ReplayCounts, cap: number): string {
	const parts = [`${plural(counts.replayed, 'execution')} replayed, ${counts.succeeded} succeeded`];
	if (counts.failed > counts.replayed - counts.succeeded)
		parts.push(`${counts.failed - (counts.replayed - counts.succeeded)} could not be retried`);
	if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
	if (counts.left > 0) parts.push(`${counts.left} left by the cap of ${cap} (retry them in n8n's Executions list)`);
	if (counts.tooOld > 0) parts.push(`${counts.tooOld} too old to replay`);
	return parts.join('; ');
}

/** The recovery in one line: "reconnected after 3 h 12 min; 41 executions replayed, 40 succeeded". */
export function recoverySentence(downtimeMs: number, counts: ReplayCounts | undefined, cap: number): string {
	const reconnected = `reconnected after ${formatDuration(downtimeMs)}`;
	return counts ? `${reconnected}; ${replaySentence(counts, cap)}` : reconnected;
}
