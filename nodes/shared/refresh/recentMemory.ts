/**
 * A small in-process memory of recent results by key: at most `maxEntries` (the oldest is evicted
 * first) and each entry forgotten `ttlMs` after it was stored. The refresh paths use it to remember
 * refusals, rotations and token lifetimes without letting the process grow without bound
 * (docs/ARCHITECTURE.md#refresh-paths).
 */
export interface RecentMemoryOptions {
	maxEntries: number;
	/** How long an entry is remembered; `Infinity` keeps it until it is evicted. */
	ttlMs: number;
}

export class RecentMemory<V> {
	private readonly entries = new Map<string, { value: V; atMs: number }>();

	constructor(private readonly options: RecentMemoryOptions) {}

	get size(): number {
		return this.entries.size;
	}

	/** The value stored under `key` if it is younger than ttlMs and `usable` accepts it; otherwise forgotten. */
	get(key: string, nowMs: number, usable: (value: V) => boolean = () => true): V | undefined {
		const entry = this.entries.get(key);
		if (entry === undefined) return undefined;
		if (nowMs - entry.atMs < this.options.ttlMs && usable(entry.value)) return entry.value;
		this.entries.delete(key);
		return undefined;
	}

	set(key: string, value: V, nowMs: number): void {
		// Re-inserting moves the key to the end: Maps iterate in insertion order, oldest first.
		this.entries.delete(key);
		this.entries.set(key, { value, atMs: nowMs });
		if (this.entries.size > this.options.maxEntries) {
			const oldest = this.entries.keys().next().value;
			if (oldest !== undefined) this.entries.delete(oldest);
		}
	}

	clear(): void {
		this.entries.clear();
	}
}
