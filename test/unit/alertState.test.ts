import {
	alertKey,
	emptyAlertState,
	ENTRY_RETENTION_MS,
	MAX_EPISODE_WORKFLOWS,
	MAX_ALERT_ENTRIES,
	mergeAlertStates,
	pruneAlertState,
	readAlertState,
	recordFailure,
	recordSuccess,
} from '../../nodes/shared/diagnose/alertState';
import type { AlertState, FailureInput } from '../../nodes/shared/diagnose/alertState';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

const failure = (overrides: Partial<FailureInput> = {}): FailureInput => ({
	key: 'credential:c1',
	category: 'refresh_token_invalid',
	severity: 'critical',
	nowMs: T0,
	cooldownMs: 60 * MINUTE,
	...overrides,
});

/** Feeds failures in order and returns each decision's duplicate flag. */
function duplicates(inputs: FailureInput[]): boolean[] {
	let state = emptyAlertState();
	return inputs.map((input) => {
		const result = recordFailure(state, input);
		state = result.state;
		return result.decision.duplicate;
	});
}

describe('alertKey', () => {
	it.each([
		[{ credentialId: 'c1', workflowId: 'w1', category: 'rate_limited' as const }, 'credential:c1'],
		[{ credentialId: null, workflowId: 'w1', category: 'rate_limited' as const }, 'workflow:w1:rate_limited'],
		[{ category: 'not_auth_related' as const }, 'workflow:unknown:not_auth_related'],
	])('%j → %s', (subject, key) => {
		expect(alertKey(subject)).toBe(key);
	});
});

describe('recordFailure', () => {
	it.each([
		['first failure alerts', [failure()], [false]],
		['a repeat inside the cooldown is a duplicate', [failure(), failure({ nowMs: T0 + 10 * MINUTE })], [false, true]],
		['a repeat after the cooldown alerts again', [failure(), failure({ nowMs: T0 + 61 * MINUTE })], [false, false]],
		[
			'the cooldown runs from the last alert, not the last duplicate',
			[failure(), failure({ nowMs: T0 + 50 * MINUTE }), failure({ nowMs: T0 + 70 * MINUTE })],
			[false, true, false],
		],
		[
			'a different category is news',
			[failure(), failure({ nowMs: T0 + MINUTE, category: 'rate_limited', severity: 'warning' })],
			[false, false],
		],
		[
			'two problems reported in turn (refresh revoked, API refuses the token) each alert once per cooldown',
			[
				failure(),
				failure({ nowMs: T0 + 1, category: 'access_token_rejected', severity: 'warning' }),
				failure({ nowMs: T0 + 10 * MINUTE }),
				failure({ nowMs: T0 + 10 * MINUTE + 1, category: 'access_token_rejected', severity: 'warning' }),
				failure({ nowMs: T0 + 61 * MINUTE }),
			],
			[false, false, true, true, false],
		],
		[
			'another credential is independent',
			[failure(), failure({ key: 'credential:c2', nowMs: T0 + MINUTE })],
			[false, false],
		],
		[
			'cooldown 0 never de-duplicates',
			[failure({ cooldownMs: 0 }), failure({ cooldownMs: 0, nowMs: T0 + 1 })],
			[false, false],
		],
		[
			'a clock that went backwards is not inside the cooldown',
			[failure(), failure({ nowMs: T0 - MINUTE })],
			[false, false],
		],
	])('%s', (_name, inputs, expected) => {
		expect(duplicates(inputs)).toEqual(expected);
	});

	it('counts occurrences and reports the duplicates held back when the next alert goes out', () => {
		let state = emptyAlertState();
		const times = [0, 5, 10, 61];
		const decisions = times.map((minutes) => {
			const result = recordFailure(state, failure({ nowMs: T0 + minutes * MINUTE }));
			state = result.state;
			return result.decision;
		});
		expect(decisions.map((decision) => decision.occurrences)).toEqual([1, 2, 3, 4]);
		expect(decisions.map((decision) => decision.suppressed)).toEqual([0, 1, 2, 2]);
		expect(decisions[3].firstSeenMs).toBe(T0);
	});

	it('does not mutate the state it was given', () => {
		const state = emptyAlertState();
		recordFailure(state, failure());
		expect(state.entries).toEqual({});
	});
});

describe('the episode digest', () => {
	it('names each failed workflow once, in order, and closes with the counts', () => {
		let state = emptyAlertState();
		const seen: Array<{ duplicate: boolean; occurrences: number; workflows: string[] }> = [];
		for (const [minute, workflowId] of [
			[0, 'w1'],
			[5, 'w2'],
			[10, 'w1'],
			[61, 'w3'],
		] as const) {
			const result = recordFailure(state, failure({ nowMs: T0 + minute * MINUTE, workflowId }));
			state = result.state;
			seen.push({
				duplicate: result.decision.duplicate,
				occurrences: result.decision.occurrences,
				workflows: result.decision.workflows,
			});
		}
		// The alert after the cooldown carries the whole episode so far: 4 failures in 3 workflows.
		expect(seen).toEqual([
			{ duplicate: false, occurrences: 1, workflows: ['w1'] },
			{ duplicate: true, occurrences: 2, workflows: ['w1', 'w2'] },
			{ duplicate: true, occurrences: 3, workflows: ['w1', 'w2'] },
			{ duplicate: false, occurrences: 4, workflows: ['w1', 'w2', 'w3'] },
		]);
		const { recovered } = recordSuccess(state, { key: 'credential:c1', nowMs: T0 + 90 * MINUTE });
		expect(recovered).toMatchObject({
			downtimeMs: 90 * MINUTE,
			entry: { occurrences: 4, workflows: ['w1', 'w2', 'w3'] },
		});
	});

	it('keeps at most MAX_EPISODE_WORKFLOWS workflows, and static data round-trips them', () => {
		let state = emptyAlertState();
		for (let index = 0; index < MAX_EPISODE_WORKFLOWS + 5; index++) {
			state = recordFailure(state, failure({ nowMs: T0 + index, workflowId: `w${index}` })).state;
		}
		const workflows = state.entries['credential:c1'].workflows;
		expect(workflows).toHaveLength(MAX_EPISODE_WORKFLOWS);
		expect(readAlertState(JSON.parse(JSON.stringify(state))).entries['credential:c1'].workflows).toEqual(workflows);
		const junk = { ...state.entries['credential:c1'], workflows: ['w1', 7, null] };
		expect(readAlertState({ entries: { k: junk } }).entries.k.workflows).toEqual(['w1']);
	});
});

describe('recordSuccess', () => {
	it('reports a recovery once, with the downtime, and forgets the episode', () => {
		const { state } = recordFailure(emptyAlertState(), failure({ credential: { id: 'c1', name: 'Gmail' } }));
		const first = recordSuccess(state, { key: 'credential:c1', nowMs: T0 + 30 * MINUTE });
		expect(first.recovered).toMatchObject({
			key: 'credential:c1',
			downtimeMs: 30 * MINUTE,
			entry: { category: 'refresh_token_invalid', credential: { name: 'Gmail' } },
		});
		const second = recordSuccess(first.state, { key: 'credential:c1', nowMs: T0 + 31 * MINUTE });
		expect(second.recovered).toBeUndefined();
	});

	it('a failure after a recovery alerts again', () => {
		const failed = recordFailure(emptyAlertState(), failure()).state;
		const recovered = recordSuccess(failed, { key: 'credential:c1', nowMs: T0 + MINUTE }).state;
		expect(recordFailure(recovered, failure({ nowMs: T0 + 2 * MINUTE })).decision.duplicate).toBe(false);
	});

	it('a success without an open episode reports nothing', () => {
		expect(recordSuccess(emptyAlertState(), { key: 'credential:c1', nowMs: T0 }).recovered).toBeUndefined();
	});
});

describe('readAlertState and pruning', () => {
	it.each([
		['undefined', undefined],
		['a string', 'junk'],
		['entries as an array', { entries: [1, 2] }],
		['entries with bad fields', { entries: { a: { category: 'x', severity: 'loud' }, b: null } }],
	])('%s → an empty, valid state', (_name, value) => {
		expect(readAlertState(value)).toEqual(emptyAlertState());
	});

	it('keeps valid entries from stored JSON', () => {
		const stored = JSON.parse(JSON.stringify(recordFailure(emptyAlertState(), failure()).state)) as unknown;
		expect(readAlertState(stored).entries['credential:c1']).toMatchObject({
			occurrences: 1,
			category: 'refresh_token_invalid',
		});
	});

	it('drops entries past retention and keeps the most recently seen above the cap', () => {
		const entries: AlertState['entries'] = {};
		for (let index = 0; index < MAX_ALERT_ENTRIES + 10; index++) {
			entries[`k${index}`] = {
				category: 'rate_limited',
				severity: 'warning',
				firstSeenMs: T0,
				lastSeenMs: T0 + index,
				lastAlertMs: T0,
				occurrences: 1,
				suppressed: 0,
			};
		}
		entries.old = { ...entries.k0, lastSeenMs: T0 - ENTRY_RETENTION_MS };
		const pruned = pruneAlertState({ version: 1, entries }, T0 + 1000);
		expect(Object.keys(pruned.entries)).toHaveLength(MAX_ALERT_ENTRIES);
		expect(pruned.entries.old).toBeUndefined();
		expect(pruned.entries[`k${MAX_ALERT_ENTRIES + 9}`]).toBeDefined();
		expect(pruned.entries.k0).toBeUndefined();
	});
});

describe('mergeAlertStates', () => {
	const entry = (lastAlertMs: number, lastSeenMs: number, occurrences: number) => ({
		category: 'refresh_token_invalid' as const,
		severity: 'critical' as const,
		firstSeenMs: 0,
		lastSeenMs,
		lastAlertMs,
		occurrences,
		suppressed: 0,
	});
	const state = (entries: AlertState['entries']): AlertState => ({ version: 1, entries });

	it('keeps the fresher view of each entry, so an older copy never overwrites a newer one', () => {
		const memory = state({ a: entry(2_000, 5_000, 9), b: entry(1_000, 1_000, 1) });
		const stored = state({ a: entry(1_000, 9_000, 3), b: entry(1_000, 4_000, 2), c: entry(3_000, 3_000, 1) });
		const merged = mergeAlertStates(memory, stored, 10_000);
		expect(merged.entries.a.occurrences).toBe(9);
		expect(merged.entries.b.occurrences).toBe(2);
		expect(merged.entries.c.occurrences).toBe(1);
	});
});
