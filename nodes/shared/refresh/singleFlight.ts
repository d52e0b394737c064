/**
 * In-process de-duplication of concurrent work: callers asking for the same key while it runs share
 * one promise. n8n has no lock on the preAuthentication refresh path (docs/ARCHITECTURE.md#what-n8n-does),
 * and with rotating refresh tokens a second parallel refresh burns the grant, so this is what keeps
 * parallel items of one process from refreshing twice. It cannot coordinate queue-mode workers.
 */
import { createHash } from 'crypto';

export class SingleFlight<T> {
	private readonly inFlight = new Map<string, Promise<T>>();

	/**
	 * `maxKeys` bounds the map. When that many distinct keys are in flight, further new keys run
	 * unshared: blocking them would stall unrelated credentials and dropping them would fail a
	 * caller for no reason of its own, while running them merely loses de-duplication for them.
	 */
	constructor(private readonly maxKeys = 1000) {}

	get size(): number {
		return this.inFlight.size;
	}

	/**
	 * Every caller of one flight settles with the same value or the SAME error object, so nobody
	 * hangs. The key is freed as soon as the flight settles, so the next call starts fresh work.
	 */
	async run(key: string, work: () => Promise<T>): Promise<T> {
		const existing = this.inFlight.get(key);
		if (existing) return await existing;
		if (this.inFlight.size >= this.maxKeys) return await work();

		const flight = SingleFlight.start(work).finally(() => {
			if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
		});
		this.inFlight.set(key, flight);
		return await flight;
	}

	/** A work function that throws synchronously must still reject the flight, not escape it. */
	private static start<T>(work: () => Promise<T>): Promise<T> {
		try {
			return Promise.resolve(work());
		} catch (error) {
			return Promise.reject(error);
		}
	}
}

/**
 * A single-flight key from parts that may be secrets (refresh tokens): sha256 hex, so the map never
 * holds a secret. Each part is length-prefixed, so ('ab', 'c') and ('a', 'bc') never collide.
 */
export function singleFlightKey(...parts: string[]): string {
	const hash = createHash('sha256');
	for (const part of parts) hash.update(`${part.length}:${part};`);
	return hash.digest('hex');
}
