import { createHash } from 'crypto';

import { SingleFlight, singleFlightKey } from '../../nodes/shared/refresh/singleFlight';

/** A promise the test settles by hand, so ordering never depends on timers. */
const deferred = <T>() => {
	let resolve!: (value: T) => void;
	let reject!: (error: unknown) => void;
	const promise = new Promise<T>((res, rej) => {
		resolve = res;
		reject = rej;
	});
	return { promise, resolve, reject };
};

describe('SingleFlight', () => {
	it.each([1, 2, 50])('%i concurrent callers with one key share one execution and one value', async (callers) => {
		const flight = new SingleFlight<{ token: string }>();
		const gate = deferred<{ token: string }>();
		let executions = 0;
		const work = async () => {
			executions++;
			return await gate.promise;
		};
		const results = Array.from({ length: callers }, () => flight.run('k', work));
		expect(flight.size).toBe(1);
		const value = { token: 'new' };
		gate.resolve(value);
		const settled = await Promise.all(results);
		expect(executions).toBe(1);
		for (const result of settled) expect(result).toBe(value);
		expect(flight.size).toBe(0);
	});

	it('a failure rejects every waiter with the same error object and frees the key', async () => {
		const flight = new SingleFlight<string>();
		const gate = deferred<string>();
		const failure = new Error('refresh failed');
		const waiters = Array.from({ length: 50 }, () => flight.run('k', () => gate.promise));
		gate.reject(failure);
		const outcomes = await Promise.allSettled(waiters);
		expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason === failure)).toBe(true);
		expect(flight.size).toBe(0);
		await expect(flight.run('k', async () => 'fresh')).resolves.toBe('fresh');
	});

	it('a work function that throws synchronously rejects all waiters instead of escaping', async () => {
		const flight = new SingleFlight<string>();
		const failure = new Error('sync throw');
		const work = (): Promise<string> => {
			throw failure;
		};
		const outcomes = await Promise.allSettled([flight.run('k', work), flight.run('k', work)]);
		expect(outcomes).toEqual([
			{ status: 'rejected', reason: failure },
			{ status: 'rejected', reason: failure },
		]);
		expect(flight.size).toBe(0);
	});

	it('after success the next call starts fresh work', async () => {
		const flight = new SingleFlight<number>();
		let executions = 0;
		const work = async () => ++executions;
		await expect(flight.run('k', work)).resolves.toBe(1);
		await expect(flight.run('k', work)).resolves.toBe(2);
	});

	it('different keys run independently', async () => {
		const flight = new SingleFlight<string>();
		const a = deferred<string>();
		const b = deferred<string>();
		const runA = flight.run('a', () => a.promise);
		const runB = flight.run('b', () => b.promise);
		expect(flight.size).toBe(2);
		b.resolve('B');
		await expect(runB).resolves.toBe('B');
		expect(flight.size).toBe(1);
		a.resolve('A');
		await expect(runA).resolves.toBe('A');
	});

	it('when maxKeys keys are in flight, a new key runs unshared instead of waiting or failing', async () => {
		const flight = new SingleFlight<string>(2);
		const held = [deferred<string>(), deferred<string>()];
		const heldRuns = held.map((gate, index) => flight.run(`held-${index}`, () => gate.promise));
		let overflowExecutions = 0;
		const overflow = async () => {
			overflowExecutions++;
			return 'overflow';
		};
		const overflowResults = await Promise.all([flight.run('extra', overflow), flight.run('extra', overflow)]);
		expect(overflowResults).toEqual(['overflow', 'overflow']);
		expect(overflowExecutions).toBe(2);
		expect(flight.size).toBe(2);
		// A key already in flight is still shared while the map is full.
		const joined = flight.run('held-0', async () => 'never runs');
		held[0].resolve('h0');
		held[1].resolve('h1');
		await expect(joined).resolves.toBe('h0');
		await expect(Promise.all(heldRuns)).resolves.toEqual(['h0', 'h1']);
	});
});

describe('singleFlightKey', () => {
	it('is the sha256 hex of the length-prefixed parts', () => {
		const expected = createHash('sha256').update('5:https;3:cid;6:secret;').digest('hex');
		expect(singleFlightKey('https', 'cid', 'secret')).toBe(expected);
	});

	it.each([
		[
			['ab', 'c'],
			['a', 'bc'],
		],
		[
			['a', ''],
			['', 'a'],
		],
		[['x'], ['x', '']],
	])('%j and %j do not collide', (left, right) => {
		expect(singleFlightKey(...left)).not.toBe(singleFlightKey(...right));
	});

	it('never contains the secret part', () => {
		const key = singleFlightKey('https://idp/token', 'client', '1//0gRefreshTokenSecret');
		expect(key).toMatch(/^[0-9a-f]{64}$/);
		expect(key).not.toContain('RefreshTokenSecret');
	});
});
