/**
 * Wraps a test body so that any failure, an assertion included, carries the tail of n8n's log: the
 * first thing anyone needs when a real-n8n test fails.
 */
import { logTail } from '../n8n';
import type { UserFolder } from '../n8n';

export function withN8nLog<Args extends unknown[]>(
	userFolder: () => UserFolder | undefined,
	body: (...args: Args) => Promise<void> | void,
): (...args: Args) => Promise<void> {
	return async (...args: Args) => {
		try {
			await body(...args);
		} catch (error) {
			const folder = userFolder();
			if (error instanceof Error && folder)
				error.message += `\n--- n8n log tail (${folder.path}) ---\n${logTail(folder, 60)}`;
			throw error;
		}
	};
}
