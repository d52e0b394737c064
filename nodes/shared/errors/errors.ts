import type { Classification } from '../types';

/** Counters a failed refresh or request carries so callers can report them. */
export interface FailureStats {
	/** HTTP attempts made, including the first one. */
	attempts: number;
	/** Total time spent sleeping between attempts. */
	waitedMs: number;
}

/**
 * The one error type the engine throws. Its message is safe to show (already redacted, no secret);
 * nodes wrap it in NodeApiError/NodeOperationError and add the credential name.
 */
export class TokenGuardError extends Error {
	readonly classification: Classification;
	readonly stats: FailureStats;

	constructor(classification: Classification, message: string, stats: FailureStats = { attempts: 1, waitedMs: 0 }) {
		super(message);
		this.name = 'TokenGuardError';
		this.classification = classification;
		this.stats = stats;
	}
}

export const isTokenGuardError = (error: unknown): error is TokenGuardError =>
	error instanceof TokenGuardError ||
	(typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'TokenGuardError');
