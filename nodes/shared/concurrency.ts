/** Bounded concurrency for work that must not flood a server: items of a run, pages of an API. Pure. */

/**
 * Runs `work(0…count-1)` with at most `limit` in flight, results in input order. After the first
 * failure no new item starts; the ones running finish, then that failure is thrown.
 */
export async function mapWithConcurrency<T>(
	count: number,
	limit: number,
	work: (index: number) => Promise<T>,
): Promise<T[]> {
	const results = new Array<T>(count);
	let next = 0;
	let failure: { error: unknown } | undefined;
	const worker = async (): Promise<void> => {
		while (failure === undefined && next < count) {
			const index = next++;
			try {
				results[index] = await work(index);
			} catch (error) {
				failure ??= { error };
			}
		}
	};
	const workers = Array.from({ length: Math.max(1, Math.min(Math.floor(limit), count)) }, async () => await worker());
	await Promise.all(workers);
	if (failure !== undefined) throw failure.error;
	return results;
}
