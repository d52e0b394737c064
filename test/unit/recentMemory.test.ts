import { RecentMemory } from '../../nodes/shared/refresh/recentMemory';

describe('RecentMemory', () => {
	it('forgets an entry once it is ttlMs old', () => {
		const memory = new RecentMemory<string>({ maxEntries: 10, ttlMs: 1000 });
		memory.set('a', 'one', 0);
		expect(memory.get('a', 999)).toBe('one');
		expect(memory.get('a', 1000)).toBeUndefined();
		expect(memory.size).toBe(0);
	});

	it('evicts the oldest entry beyond maxEntries, counting a re-set as new', () => {
		const memory = new RecentMemory<number>({ maxEntries: 2, ttlMs: Number.POSITIVE_INFINITY });
		memory.set('a', 1, 0);
		memory.set('b', 2, 0);
		memory.set('a', 3, 0);
		memory.set('c', 4, 0);
		expect(memory.get('b', 0)).toBeUndefined();
		expect(memory.get('a', 0)).toBe(3);
		expect(memory.get('c', 0)).toBe(4);
	});

	it('forgets an entry the caller no longer finds usable', () => {
		const memory = new RecentMemory<{ expiresAtMs: number }>({ maxEntries: 10, ttlMs: 60_000 });
		memory.set('a', { expiresAtMs: 500 }, 0);
		expect(memory.get('a', 600, (value) => value.expiresAtMs > 600)).toBeUndefined();
		expect(memory.get('a', 100)).toBeUndefined();
	});
});
