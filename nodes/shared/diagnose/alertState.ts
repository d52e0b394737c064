/**
 * Alert hygiene in the style of Nango's connection notifications: the first failure of a credential
 * alerts, repeats inside a cooldown are marked duplicates and not re-sent, and the first success after a
 * failure announces the recovery once. The state is a plain JSON object the node keeps in workflow
 * static data (saved by n8n for error, trigger and webhook executions — not for manual runs). Pure: the
 * caller passes the time and gets a new state back.
 */
import type { Category, Severity } from '../types';

export const ALERT_STATE_VERSION = 1;

/** The key under `getWorkflowStaticData('global')` that holds this package's state. */
export const STATIC_DATA_KEY = 'tokenGuardAlerts';

/** Default cooldown: one alert per credential and problem per hour. */
export const DEFAULT_COOLDOWN_MINUTES = 60;

/** Static data is one JSON blob per workflow, rewritten on every execution: keep it small. */
export const MAX_ALERT_ENTRIES = 200;

/** Entries untouched this long are forgotten (a failure nobody saw again for a week is history). */
export const ENTRY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface AlertEntry {
	category: Category;
	severity: Severity;
	/** Epoch ms of the first failure of this open episode. */
	firstSeenMs: number;
	lastSeenMs: number;
	/** Epoch ms of the last failure that was alerted (not a duplicate). */
	lastAlertMs: number;
	/**
	 * Epoch ms each problem of this episode last alerted. Two nodes of one workflow can see one broken credential
	 * as two problems (Refresh If Expiring: the refresh token is revoked; Check Credential: the API refuses the
	 * token); each alerts once per cooldown instead of every run. Absent in state written before it existed.
	 */
	alertedMs?: Partial<Record<Category, number>>;
	/** Failures in this episode, alerted or not. */
	occurrences: number;
	/** Duplicates since the last alert. */
	suppressed: number;
	/** Ids of the workflows that failed in this episode, first seen first (at most MAX_EPISODE_WORKFLOWS). */
	workflows?: string[];
	credential?: { type?: string; id?: string; name?: string };
	/**
	 * The failed executions this credential caused, oldest first, at most MAX_EPISODE_EXECUTIONS (the newest): what
	 * Replay Failed Executions After Recovery retries. Compact tuples, never execution data (static data is one blob
	 * per workflow, rewritten on every execution).
	 */
	executions?: RecordedExecution[];
	/** Names of the workflows in `executions`, by id (at most MAX_EPISODE_WORKFLOWS, each cut to 100 characters). */
	workflowNames?: Record<string, string>;
}

/** A failed execution of an episode: [execution id, workflow id, epoch ms it was diagnosed]. */
export type RecordedExecution = [executionId: string, workflowId: string, atMs: number];

/** The failed executions an episode keeps for replay: the newest ones. */
export const MAX_EPISODE_EXECUTIONS = 500;

/** Replayed executions remembered per workflow (twice the largest cap, about 25 KB), so none is replayed twice however episodes merge. */
export const MAX_REPLAYED = 1000;

/** How many failed workflows an episode names; a digest lists them, it does not replace the log. */
export const MAX_EPISODE_WORKFLOWS = 20;

export interface AlertState {
	version: typeof ALERT_STATE_VERSION;
	entries: Record<string, AlertEntry>;
	/** Execution id → epoch ms it was replayed (claimed for a retry); at most MAX_REPLAYED, kept for the retention. */
	replayed?: Record<string, number>;
}

export interface AlertSubject {
	credentialId?: string | null;
	credentialType?: string | null;
	workflowId?: string | null;
	category: Category;
}

/**
 * Per credential when one is known — a dead credential is one problem however many workflows hit it —
 * otherwise per workflow and category.
 */
/** The key of every problem of one credential: a different category is a new alert, not a new key. */
export const credentialAlertKey = (credentialId: string): string => `credential:${credentialId}`;

export function alertKey(subject: AlertSubject): string {
	if (subject.credentialId) return credentialAlertKey(subject.credentialId);
	return `workflow:${subject.workflowId ?? 'unknown'}:${subject.category}`;
}

export const emptyAlertState = (): AlertState => ({ version: ALERT_STATE_VERSION, entries: {} });

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

function isFiniteNumber(value: unknown): value is number {
	return typeof value === 'number' && Number.isFinite(value);
}

function readEntry(value: unknown): AlertEntry | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const entry = value as Partial<AlertEntry>;
	if (typeof entry.category !== 'string' || !SEVERITIES.includes(entry.severity as Severity)) return undefined;
	if (
		![entry.firstSeenMs, entry.lastSeenMs, entry.lastAlertMs, entry.occurrences, entry.suppressed].every(isFiniteNumber)
	)
		return undefined;
	const workflows = Array.isArray(entry.workflows)
		? entry.workflows.filter((id): id is string => typeof id === 'string').slice(0, MAX_EPISODE_WORKFLOWS)
		: undefined;
	const copy: AlertEntry = { ...(entry as AlertEntry) };
	delete copy.workflows;
	delete copy.alertedMs;
	if (workflows && workflows.length > 0) copy.workflows = workflows;
	const alertedMs = readAlertedMs(entry.alertedMs);
	if (alertedMs) copy.alertedMs = alertedMs;
	delete copy.executions;
	delete copy.workflowNames;
	const executions = readExecutions(entry.executions);
	if (executions.length > 0) copy.executions = executions;
	const names = readWorkflowNames(entry.workflowNames);
	if (names) copy.workflowNames = names;
	return copy;
}

function readExecutions(value: unknown): RecordedExecution[] {
	if (!Array.isArray(value)) return [];
	return value
		.filter(
			(tuple): tuple is RecordedExecution =>
				Array.isArray(tuple) &&
				tuple.length === 3 &&
				typeof tuple[0] === 'string' &&
				tuple[0] !== '' &&
				typeof tuple[1] === 'string' &&
				isFiniteNumber(tuple[2]),
		)
		.slice(-MAX_EPISODE_EXECUTIONS)
		.map(([id, workflowId, atMs]) => [id, workflowId, atMs]);
}

function readWorkflowNames(value: unknown): Record<string, string> | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const valid = Object.entries(value as Record<string, unknown>)
		.filter((pair): pair is [string, string] => typeof pair[1] === 'string')
		.slice(0, MAX_EPISODE_WORKFLOWS)
		.map(([id, name]) => [id, name.slice(0, 100)]);
	return valid.length > 0 ? Object.fromEntries(valid) : undefined;
}

function readReplayed(value: unknown): Record<string, number> | undefined {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
	const valid = Object.entries(value as Record<string, unknown>).filter((pair): pair is [string, number] =>
		isFiniteNumber(pair[1]),
	);
	return valid.length > 0 ? Object.fromEntries(valid.slice(-MAX_REPLAYED)) : undefined;
}

function readAlertedMs(value: unknown): AlertEntry['alertedMs'] {
	if (typeof value !== 'object' || value === null) return undefined;
	const valid = Object.entries(value as Record<string, unknown>).filter(
		(pair): pair is [string, number] => typeof pair[0] === 'string' && isFiniteNumber(pair[1]),
	);
	return valid.length > 0 ? (Object.fromEntries(valid.slice(0, 32)) as AlertEntry['alertedMs']) : undefined;
}

/** Whatever static data holds (nothing, an older shape, hand-edited junk) → a valid state. */
export function readAlertState(value: unknown): AlertState {
	const state = emptyAlertState();
	const entries = typeof value === 'object' && value !== null ? (value as { entries?: unknown }).entries : undefined;
	const replayed =
		typeof value === 'object' && value !== null ? readReplayed((value as AlertState).replayed) : undefined;
	if (replayed) state.replayed = replayed;
	if (typeof entries !== 'object' || entries === null) return state;
	for (const [key, raw] of Object.entries(entries)) {
		const entry = readEntry(raw);
		if (entry) state.entries[key] = entry;
	}
	return state;
}

/** Drops entries past retention, then the least recently seen ones above the cap. */
export function pruneAlertState(state: AlertState, nowMs: number): AlertState {
	const kept = Object.entries(state.entries)
		.filter(([, entry]) => nowMs - entry.lastSeenMs < ENTRY_RETENTION_MS)
		.sort(([, a], [, b]) => b.lastSeenMs - a.lastSeenMs)
		.slice(0, MAX_ALERT_ENTRIES);
	return withReplayed({ version: ALERT_STATE_VERSION, entries: Object.fromEntries(kept) }, state.replayed, nowMs);
}

/** The state with the replayed marks still inside retention, the newest MAX_REPLAYED. */
function withReplayed(state: AlertState, replayed: AlertState['replayed'], nowMs: number): AlertState {
	if (!replayed) return state;
	const kept = Object.entries(replayed)
		.filter(([, atMs]) => nowMs - atMs < ENTRY_RETENTION_MS)
		.sort(([, a], [, b]) => a - b)
		.slice(-MAX_REPLAYED);
	return kept.length > 0 ? { ...state, replayed: Object.fromEntries(kept) } : state;
}

export interface FailureDecision {
	/** True: an alert for the same key and category went out inside the cooldown; do not re-send. */
	duplicate: boolean;
	occurrences: number;
	/** Duplicates folded into this alert (when not a duplicate) or so far (when one). */
	suppressed: number;
	firstSeenMs: number;
	/** The episode's failed workflows so far (the digest an alert carries). */
	workflows: string[];
}

export interface FailureInput {
	key: string;
	category: Category;
	severity: Severity;
	nowMs: number;
	cooldownMs: number;
	credential?: AlertEntry['credential'];
	/** The workflow that failed, for the episode's digest. */
	workflowId?: string | null;
	/** The failed execution, kept for replay when the credential caused it (Diagnose Error). */
	execution?: { id: string; workflowId: string; workflowName?: string };
}

/**
 * Records one failure. A repeat is a duplicate only while the cooldown since that problem last alerted
 * runs: a different problem with the same credential (rate limited, then revoked) is news and alerts,
 * and two problems reported in turn each alert once per cooldown.
 */
export function recordFailure(
	state: AlertState,
	input: FailureInput,
): { state: AlertState; decision: FailureDecision } {
	const previous = state.entries[input.key];
	const cooldownMs = Math.max(0, input.cooldownMs);
	// State written before alertedMs existed knows only its latest problem.
	const alertedMs: Partial<Record<Category, number>> = previous
		? (previous.alertedMs ?? { [previous.category]: previous.lastAlertMs })
		: {};
	const lastAlertOfProblem = alertedMs[input.category];
	const duplicate =
		lastAlertOfProblem !== undefined &&
		input.nowMs - lastAlertOfProblem < cooldownMs &&
		input.nowMs >= lastAlertOfProblem;

	const entry: AlertEntry = previous
		? {
				...previous,
				category: input.category,
				severity: input.severity,
				lastSeenMs: input.nowMs,
				occurrences: previous.occurrences + 1,
				lastAlertMs: duplicate ? previous.lastAlertMs : input.nowMs,
				alertedMs: duplicate ? alertedMs : { ...alertedMs, [input.category]: input.nowMs },
				suppressed: duplicate ? previous.suppressed + 1 : 0,
			}
		: {
				category: input.category,
				severity: input.severity,
				firstSeenMs: input.nowMs,
				lastSeenMs: input.nowMs,
				lastAlertMs: input.nowMs,
				alertedMs: { [input.category]: input.nowMs },
				occurrences: 1,
				suppressed: 0,
			};
	const credential = input.credential ?? previous?.credential;
	if (credential) entry.credential = credential;
	const workflows = episodeWorkflows(previous?.workflows, input.workflowId);
	if (workflows.length > 0) entry.workflows = workflows;
	if (input.execution && state.replayed?.[input.execution.id] === undefined)
		recordExecution(entry, input.execution, input.nowMs);

	const next = pruneAlertState(
		{ version: ALERT_STATE_VERSION, entries: { ...state.entries, [input.key]: entry }, replayed: state.replayed },
		input.nowMs,
	);
	return {
		state: next,
		decision: {
			duplicate,
			occurrences: entry.occurrences,
			// When this alert goes out, it reports the duplicates that were held back since the last one.
			suppressed: duplicate ? entry.suppressed : (previous?.suppressed ?? 0),
			firstSeenMs: entry.firstSeenMs,
			workflows,
		},
	};
}

function episodeWorkflows(known: string[] | undefined, workflowId: string | null | undefined): string[] {
	const workflows = [...(known ?? [])];
	if (workflowId && !workflows.includes(workflowId) && workflows.length < MAX_EPISODE_WORKFLOWS) {
		workflows.push(workflowId);
	}
	return workflows;
}

/** Adds a failed execution to the entry (once per id), keeping the newest MAX_EPISODE_EXECUTIONS. */
function recordExecution(entry: AlertEntry, execution: NonNullable<FailureInput['execution']>, nowMs: number): void {
	const known = entry.executions ?? [];
	if (known.some(([id]) => id === execution.id)) return;
	entry.executions = [...known, [execution.id, execution.workflowId, nowMs] as RecordedExecution].slice(
		-MAX_EPISODE_EXECUTIONS,
	);
	const names = { ...entry.workflowNames };
	if (
		execution.workflowName &&
		(names[execution.workflowId] !== undefined || Object.keys(names).length < MAX_EPISODE_WORKFLOWS)
	)
		names[execution.workflowId] = execution.workflowName.slice(0, 100);
	if (Object.keys(names).length > 0) entry.workflowNames = names;
}

/** Marks executions as replayed (claimed for a retry): each is replayed at most once. */
export function markReplayed(state: AlertState, executionIds: readonly string[], nowMs: number): AlertState {
	const replayed = { ...state.replayed };
	for (const id of executionIds) replayed[id] = nowMs;
	return withReplayed({ ...state }, replayed, nowMs);
}

/** Takes the marks off executions whose retry never started (the API refused it). */
export function unmarkReplayed(state: AlertState, executionIds: readonly string[]): AlertState {
	if (!state.replayed) return state;
	const replayed = { ...state.replayed };
	for (const id of executionIds) delete replayed[id];
	const next: AlertState = { ...state, replayed };
	if (Object.keys(replayed).length === 0) delete next.replayed;
	return next;
}

export interface Recovery {
	key: string;
	/** The open episode that just ended. */
	entry: AlertEntry;
	downtimeMs: number;
}

/** Records a success: closes an open episode for `key` and reports it once; later successes report nothing. */
export function recordSuccess(
	state: AlertState,
	input: { key: string; nowMs: number },
): { state: AlertState; recovered?: Recovery } {
	const entry = state.entries[input.key];
	if (!entry) return { state };
	const entries = { ...state.entries };
	delete entries[input.key];
	return {
		state: { version: ALERT_STATE_VERSION, entries, ...(state.replayed ? { replayed: state.replayed } : {}) },
		recovered: { key: input.key, entry, downtimeMs: Math.max(0, input.nowMs - entry.firstSeenMs) },
	};
}

/** The fresher of two views of one entry: the later alert, then the later sighting. */
function fresherEntry(a: AlertEntry, b: AlertEntry): AlertEntry {
	const fresher =
		a.lastAlertMs !== b.lastAlertMs ? (a.lastAlertMs > b.lastAlertMs ? a : b) : a.lastSeenMs >= b.lastSeenMs ? a : b;
	// Executions recorded by either view (concurrent runs each add their own) all stay up for replay.
	const other = fresher === a ? b : a;
	if (!other.executions?.length) return fresher;
	const byId = new Map<string, RecordedExecution>();
	for (const execution of [...(other.executions ?? []), ...(fresher.executions ?? [])])
		byId.set(execution[0], execution);
	const executions = [...byId.values()].sort((x, y) => x[2] - y[2]).slice(-MAX_EPISODE_EXECUTIONS);
	return {
		...fresher,
		executions,
		...(other.workflowNames || fresher.workflowNames
			? { workflowNames: readWorkflowNames({ ...other.workflowNames, ...fresher.workflowNames }) }
			: {}),
	};
}

/**
 * Two views of one workflow's alert state (this process's memory and what static data held when an
 * execution started) as one: per key the fresher entry, so an older view never overwrites a newer one.
 */
export function mergeAlertStates(a: AlertState, b: AlertState, nowMs: number): AlertState {
	const entries: Record<string, AlertEntry> = { ...a.entries };
	for (const [key, entry] of Object.entries(b.entries)) {
		const mine = entries[key];
		entries[key] = mine === undefined ? entry : fresherEntry(mine, entry);
	}
	const replayed = a.replayed || b.replayed ? { ...b.replayed, ...a.replayed } : undefined;
	if (replayed && b.replayed)
		for (const [id, atMs] of Object.entries(b.replayed)) replayed[id] = Math.max(atMs, replayed[id] ?? 0);
	return pruneAlertState({ version: ALERT_STATE_VERSION, entries, ...(replayed ? { replayed } : {}) }, nowMs);
}
