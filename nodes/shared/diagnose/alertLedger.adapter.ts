/**
 * The alert ledger: which problems were already announced, so a burst of failures of one credential alerts
 * once (docs/ARCHITECTURE.md#alert-memory). Token Health (Diagnose Error, Check Credential) and Force Refresh
 * (refresh.failed, refresh.recovered) decide through it, per workflow.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { AlertEntry, AlertState, FailureDecision, FailureInput, Recovery } from './alertState';
import {
	emptyAlertState,
	markReplayed,
	mergeAlertStates,
	readAlertState,
	recordFailure,
	recordSuccess,
	STATIC_DATA_KEY,
	unmarkReplayed,
} from './alertState';
import { RecentMemory } from '../refresh/recentMemory';
import { episodeEventId } from '../events/events';

/**
 * This process's alert state per workflow. n8n hands each execution its own copy of static data, read
 * at the start and written at the end (last write wins), so concurrent executions cannot see each
 * other's alerts there. This memory can: every decision reads and writes it synchronously, so of N
 * executions racing on one problem exactly one alerts. Static data stays the durable copy, merged in on
 * open and written back on save. Manual runs keep to their own copy, as n8n never saves theirs. At most
 * 1,000 workflows are held; the least recently used is forgotten first.
 */
const processAlertStates = new RecentMemory<AlertState>({ maxEntries: 1000, ttlMs: Infinity });

export interface AnnouncedFailure {
	decision: FailureDecision;
	eventIdFor(type: string): string | undefined;
}

/** Forgets this process's alert memory, as a restart does (tests). */
export function forgetProcessAlertStates(): void {
	processAlertStates.clear();
}

/**
 * The alert state of this workflow: this process's memory merged with the static data the execution
 * started with. Decisions are made against the process memory; `save` writes the merged state back.
 */
export class AlertLedger {
	private ownState: AlertState | undefined;

	private constructor(
		private readonly staticData: IDataObject,
		private readonly workflowKey: string | undefined,
	) {}

	static open(ctx: IExecuteFunctions): AlertLedger {
		const staticData = ctx.getWorkflowStaticData('global');
		const stored = readAlertState(staticData[STATIC_DATA_KEY]);
		if (ctx.getMode() === 'manual') {
			const ledger = new AlertLedger(staticData, undefined);
			ledger.ownState = stored;
			return ledger;
		}
		const workflowKey = ctx.getWorkflow().id ?? 'unsaved-workflow';
		const inMemory = processAlertStates.get(workflowKey, Date.now());
		processAlertStates.set(workflowKey, inMemory ? mergeAlertStates(inMemory, stored, Date.now()) : stored, Date.now());
		return new AlertLedger(staticData, workflowKey);
	}

	private get state(): AlertState {
		if (this.workflowKey === undefined) return this.ownState ?? emptyAlertState();
		return processAlertStates.get(this.workflowKey, Date.now()) ?? emptyAlertState();
	}

	private set state(state: AlertState) {
		if (this.workflowKey === undefined) this.ownState = state;
		else processAlertStates.set(this.workflowKey, state, Date.now());
	}

	failure(input: FailureInput): FailureDecision {
		const { state, decision } = recordFailure(this.state, input);
		this.state = state;
		return decision;
	}

	/**
	 * Records a failure and names its events: every process that alerts this episode inside the same cooldown
	 * window gives an event the same id (the webhook-id receivers de-duplicate on). Without a cooldown every
	 * alert stands alone and keeps a random id.
	 */
	announce(input: FailureInput, workflowId: string): AnnouncedFailure {
		const decision = this.failure(input);
		const window = input.cooldownMs > 0 ? String(Math.floor(input.nowMs / input.cooldownMs)) : undefined;
		return {
			decision,
			eventIdFor: (type) =>
				window === undefined ? undefined : episodeEventId(type, workflowId, input.key, input.category, window),
		};
	}

	success(key: string, nowMs: number): Recovery | undefined {
		const { state, recovered } = recordSuccess(this.state, { key, nowMs });
		if (recovered) this.state = state;
		return recovered;
	}

	/** The open episode of `key`, if any (read only: a success closes it). */
	episode(key: string): AlertEntry | undefined {
		return this.state.entries[key];
	}

	/**
	 * Claims executions for a replay: returns those no run has claimed yet and marks them, synchronously, so of two
	 * runs closing one episode each execution is retried by one of them, once.
	 */
	claimReplays(executionIds: readonly string[], nowMs: number): string[] {
		const replayed = this.state.replayed ?? {};
		const unclaimed = [...new Set(executionIds)].filter((id) => replayed[id] === undefined);
		if (unclaimed.length > 0) this.state = markReplayed(this.state, unclaimed, nowMs);
		return unclaimed;
	}

	/** Gives back claims whose retry never started (the API refused it), so a later recovery may replay them. */
	releaseReplays(executionIds: readonly string[]): void {
		if (executionIds.length > 0) this.state = unmarkReplayed(this.state, executionIds);
	}

	save(): void {
		const state = this.state;
		const stored = this.staticData[STATIC_DATA_KEY];
		if (stored === undefined && Object.keys(state.entries).length === 0) return;
		if (JSON.stringify(stored) === JSON.stringify(state)) return;
		// Assigning (rather than mutating) is what marks n8n's observable static data as changed.
		this.staticData[STATIC_DATA_KEY] = state as unknown as IDataObject;
	}
}
