import {
	emptyAlertState,
	markReplayed,
	MAX_REPLAYED,
	mergeAlertStates,
	readAlertState,
	recordFailure,
	recordSuccess,
	unmarkReplayed,
} from '../../nodes/shared/diagnose/alertState';
import type { AlertState, FailureInput, RecordedExecution } from '../../nodes/shared/diagnose/alertState';
import {
	countReplays,
	formatDuration,
	keepsForReplay,
	planReplay,
	recoverySentence,
	replayStatus,
	skipReason,
} from '../../nodes/shared/diagnose/replay';
import type { ExecutionState } from '../../nodes/shared/n8nApi/publicApi';
import { readExecutionState, readRetried, refusal } from '../../nodes/shared/n8nApi/publicApi';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

const failure = (executionId: string, nowMs = T0, overrides: Partial<FailureInput> = {}): FailureInput => ({
	key: 'credential:c1',
	category: 'refresh_token_invalid',
	severity: 'critical',
	nowMs,
	cooldownMs: HOUR,
	workflowId: 'wf-sync',
	execution: { id: executionId, workflowId: 'wf-sync', workflowName: 'Order sync' },
	...overrides,
});

function record(inputs: FailureInput[], state: AlertState = emptyAlertState()): AlertState {
	return inputs.reduce((current, input) => recordFailure(current, input).state, state);
}

describe('keepsForReplay', () => {
	const other = { executionId: '7', workflowId: 'wf-sync' };
	const own = { executionId: '9', workflowId: 'wf-handler' };
	it.each([
		['reconnect', other, true],
		['force_refresh', other, true],
		['retry_later', other, true],
		['check_api_key', other, false],
		['none', other, false],
		['reconnect', { executionId: null, workflowId: 'wf-sync' }, false],
		['reconnect', { executionId: '9', workflowId: 'wf-sync' }, false],
		['reconnect', { executionId: '7', workflowId: 'wf-handler' }, false],
	] as const)('%s %j → %s', (action, source, expected) => {
		expect(keepsForReplay(action, source, own)).toBe(expected);
	});
});

describe('the episode keeps its failed executions', () => {
	it('each once, in order, with the workflow name', () => {
		const state = record([failure('1', T0), failure('2', T0 + 1), failure('1', T0 + 2)]);
		const entry = state.entries['credential:c1'];
		expect(entry.executions).toEqual([
			['1', 'wf-sync', T0],
			['2', 'wf-sync', T0 + 1],
		]);
		expect(entry.workflowNames).toEqual({ 'wf-sync': 'Order sync' });
	});

	it('the newest 500', () => {
		const state = record(Array.from({ length: 510 }, (_, index) => failure(String(index), T0 + index)));
		const executions = state.entries['credential:c1'].executions!;
		expect(executions).toHaveLength(500);
		expect(executions[0][0]).toBe('10');
		expect(executions[499][0]).toBe('509');
	});

	it('not once replayed (a stale copy of an episode cannot bring one back)', () => {
		const replayed = markReplayed(emptyAlertState(), ['1'], T0);
		const state = record([failure('1', T0 + 1), failure('2', T0 + 2)], replayed);
		expect(state.entries['credential:c1'].executions!.map(([id]) => id)).toEqual(['2']);
	});

	it(`remembers the newest ${MAX_REPLAYED} replayed executions, for the retention`, () => {
		let state = emptyAlertState();
		for (let index = 0; index < MAX_REPLAYED + 10; index++) state = markReplayed(state, [String(index)], T0 + index);
		expect(Object.keys(state.replayed!)).toHaveLength(MAX_REPLAYED);
		expect(state.replayed!['9']).toBeUndefined();
		expect(state.replayed![String(MAX_REPLAYED + 9)]).toBe(T0 + MAX_REPLAYED + 9);
		const weekLater = markReplayed(state, ['new'], T0 + 8 * 24 * HOUR);
		expect(weekLater.replayed).toEqual({ new: T0 + 8 * 24 * HOUR });
		expect(JSON.stringify(state.replayed).length).toBeLessThan(30_000);
	});

	it('survives a round trip through static data; junk is dropped', () => {
		const state = markReplayed(record([failure('1'), failure('2')]), ['0'], T0);
		const stored = JSON.parse(JSON.stringify(state)) as AlertState;
		expect(readAlertState(stored)).toEqual(state);
		const junk = structuredClone(stored) as any;
		junk.entries['credential:c1'].executions.push(['x'], [3, 'wf', 1], ['ok', 'wf', 'then'], ['4', 'wf-sync', T0]);
		junk.replayed.bad = 'yesterday';
		const read = readAlertState(junk);
		expect(read.entries['credential:c1'].executions!.map(([id]) => id)).toEqual(['1', '2', '4']);
		expect(read.replayed).toEqual({ '0': T0 });
	});

	it('two views of one episode (concurrent runs) keep the executions of both; replayed marks are merged', () => {
		const base = record([failure('1', T0)]);
		const a = markReplayed(record([failure('2', T0 + 10)], base), ['x'], T0);
		const b = markReplayed(record([failure('3', T0 + 20)], base), ['y'], T0 + 5);
		const merged = mergeAlertStates(a, b, T0 + 30);
		expect(merged.entries['credential:c1'].executions!.map(([id]) => id)).toEqual(['1', '2', '3']);
		expect(merged.replayed).toEqual({ x: T0, y: T0 + 5 });
	});

	it('a success closes the episode with its executions and keeps the replayed marks', () => {
		const state = markReplayed(record([failure('1'), failure('2')]), ['1'], T0);
		const { state: after, recovered } = recordSuccess(state, { key: 'credential:c1', nowMs: T0 + HOUR });
		expect(recovered?.entry.executions).toHaveLength(2);
		expect(after.entries).toEqual({});
		expect(after.replayed).toEqual({ '1': T0 });
		expect(unmarkReplayed(after, ['1']).replayed).toBeUndefined();
	});
});

describe('planReplay', () => {
	const executions: RecordedExecution[] = Array.from({ length: 10 }, (_, index) => [
		String(index),
		'wf',
		T0 + index * HOUR,
	]);
	it('oldest first, up to the cap; the rest are left; older than the max age are too old', () => {
		const plan = planReplay(executions, { cap: 3, maxAgeMs: 5 * HOUR }, T0 + 9 * HOUR);
		expect(plan.due.map(([id]) => id)).toEqual(['4', '5', '6']);
		expect(plan).toMatchObject({ left: 3, tooOld: 4 });
	});
});

describe('skipReason', () => {
	const state = (overrides: Partial<ExecutionState>): ExecutionState => ({
		id: '1',
		status: 'error',
		mode: 'webhook',
		retryOf: null,
		retrySuccessId: null,
		...overrides,
	});
	it.each([
		[null, 'deleted'],
		[state({}), undefined],
		[state({ status: 'crashed' }), undefined],
		[state({ status: 'success' }), 'succeeded'],
		[state({ retrySuccessId: '12' }), 'retried'],
		[state({ status: 'running' }), 'running'],
		[state({ status: 'waiting' }), 'running'],
		[state({ mode: 'retry', retryOf: '5' }), 'retryOfRecorded'],
		[state({ mode: 'retry', retryOf: '99' }), undefined],
	] as const)('%j → %s', (execution, expected) => {
		expect(skipReason(execution, new Set(['1', '5']))).toBe(expected);
	});
});

describe('what a replay says', () => {
	it.each([
		[40_000, '40 s'],
		[4 * 60_000, '4 min'],
		[3 * HOUR + 12 * 60_000, '3 h 12 min'],
		[2 * HOUR, '2 h'],
		[51 * HOUR, '2 d 3 h'],
	])('formatDuration(%d) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

	it('the recovery sentence with counts, the cap and the rest', () => {
		const plan = { due: [], left: 7, tooOld: 2 };
		const counts = countReplays(['succeeded', 'succeeded', 'failed', 'skipped', 'error'], plan);
		expect(counts).toEqual({ replayed: 3, succeeded: 2, failed: 2, skipped: 1, left: 7, tooOld: 2 });
		expect(recoverySentence(3 * HOUR + 12 * 60_000, counts, 5)).toBe(
			"reconnected after 3 h 12 min; 3 executions replayed, 2 succeeded; 1 could not be retried; 1 skipped; 7 left by the cap of 5 (retry them in n8n's Executions list); 2 too old to replay",
		);
		expect(recoverySentence(60_000, undefined, 50)).toBe('reconnected after 1 min');
		expect(replayStatus('success')).toBe('succeeded');
		expect(replayStatus('error')).toBe('failed');
	});
});

describe("n8n's execution records", () => {
	it('reads status and retry links, numbers as text; no id is no record', () => {
		expect(readExecutionState({ id: 12, status: 'error', mode: 'webhook', retryOf: null, retrySuccessId: 14 })).toEqual(
			{ id: '12', status: 'error', mode: 'webhook', retryOf: null, retrySuccessId: '14' },
		);
		expect(readExecutionState({ status: 'error' })).toBeUndefined();
		expect(readRetried({ id: '15', status: 'success', data: { resultData: {} } })).toEqual({
			id: '15',
			status: 'success',
		});
	});

	it('a refusal names the execution scope', () => {
		expect(refusal('retryExecution', 403).message).toBe(
			'The n8n API key may not retry executions (HTTP 403): it needs the scope execution:retry',
		);
		expect(refusal('readExecution', 403).description).toContain('execution:read, execution:retry');
	});
});
