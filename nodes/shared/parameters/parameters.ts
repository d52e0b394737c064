/**
 * Node parameter checks shared by every node. Expressions (and imported workflows) can hand a
 * parameter any JSON value, so each one is checked before use, and a wrong one stops the run with
 * "<Field>: <problem>. <fix>." instead of being silently read as a default or failing later as a
 * JavaScript error. The checks here are pure (Result-returning); parameters.adapter.ts turns a
 * problem into the node error.
 */
import { redactedSnippet } from '../security/redact';
import type { Result } from '../types';
import { err, ok } from '../types';

/** What is wrong with a value and how to fix it, both as sentences without the field name. */
export interface ParameterProblem {
	problem: string;
	fix: string;
}

export type ParameterCheck<T> = (value: unknown) => Result<T, ParameterProblem>;

const MAX_SHOWN_VALUE_LENGTH = 60;

/** A short, quotable rendering of a wrong value (never the whole of a huge string). */
export function describeValue(value: unknown): string {
	if (typeof value === 'string') {
		// A wrong value can still be a pasted token: redacted before it is shortened.
		return JSON.stringify(redactedSnippet(value, [], MAX_SHOWN_VALUE_LENGTH, { ellipsis: '…' }));
	}
	if (value === null || value === undefined) return 'empty (null)';
	if (Array.isArray(value)) return 'a list';
	if (typeof value === 'object') return 'an object';
	return String(value);
}

/** A number, or a number written as text (an expression's usual output); NaN for anything else. */
function numberFrom(value: unknown): number {
	if (typeof value === 'number') return value;
	return typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
}

/** A finite number of zero or more. */
export function nonNegativeNumber(example: string): ParameterCheck<number> {
	return (value) => {
		const number = numberFrom(value);
		if (!Number.isFinite(number))
			return err({
				problem: `${describeValue(value)} is not a number`,
				fix: `Enter a number of 0 or more, e.g. ${example}`,
			});
		if (number < 0)
			return err({ problem: `${describeValue(value)} is negative`, fix: `Enter 0 or more, e.g. ${example}` });
		return ok(number);
	};
}

/**
 * A finite number of `min` or more. `unit` names what the number counts ("seconds") when the field
 * name alone does not make it plain.
 */
export function numberAtLeast(min: number, example: string, unit?: string): ParameterCheck<number> {
	const wanted = unit === undefined ? `a number of at least ${min}` : `a number of ${unit}, ${min} or more`;
	return (value) => {
		const number = numberFrom(value);
		if (Number.isFinite(number) && number >= min) return ok(number);
		return err({
			problem: `must be ${wanted}, not ${describeValue(value)}`,
			fix: `Enter ${min} or more, e.g. ${example}`,
		});
	};
}

/** Text, trimmed; empty text is allowed (these parameters are optional). */
export function text(example: string): ParameterCheck<string> {
	return (value) =>
		typeof value === 'string'
			? ok(value.trim())
			: err({
					problem: `${describeValue(value)} is not text`,
					fix: `Enter text such as ${example}, or leave it empty`,
				});
}

/**
 * Text to send as it is: a number or boolean from an expression is used as its text, nothing is
 * empty text; an object or list cannot be sent as text.
 */
export function textValue(fix: string): ParameterCheck<string> {
	return (value) => {
		if (typeof value === 'string') return ok(value);
		if (value === undefined || value === null) return ok('');
		if (typeof value === 'number' || typeof value === 'boolean') return ok(String(value));
		return err({ problem: `is ${describeValue(value)}, not text`, fix });
	};
}

export interface Choice<T extends string> {
	name: string;
	value: T;
}

/** One of an options parameter's values (case and surrounding spaces ignored): an expression can set it to anything. */
export function choice<T extends string>(choices: ReadonlyArray<Choice<T>>): ParameterCheck<T> {
	const listed = choices.map((listedChoice) => listedChoice.value).join(', ');
	return (value) => {
		const wanted = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
		const match = choices.find((candidate) => candidate.value.toLowerCase() === wanted);
		return match !== undefined
			? ok(match.value)
			: err({
					problem: `${describeValue(value)} is not one of the values this field takes`,
					fix: `Use one of ${listed}`,
				});
	};
}

function isHttpUrl(value: string): boolean {
	try {
		const url = new URL(value);
		return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
	} catch {
		return false;
	}
}

/** An absolute http(s) URL with a host, or empty (undefined) to skip what it is for. */
export function optionalHttpUrl(example: string): ParameterCheck<string | undefined> {
	return (value) => {
		const fix = `Enter a URL like ${example} or leave it empty`;
		if (typeof value !== 'string') return err({ problem: `${describeValue(value)} is not a URL`, fix });
		const trimmed = value.trim();
		if (trimmed === '') return ok(undefined);
		return isHttpUrl(trimmed)
			? ok(trimmed)
			: err({ problem: `${describeValue(value)} is not an absolute http(s) URL`, fix });
	};
}

/** true or false; the words "true" / "false" from an expression count. */
export const booleanFlag: ParameterCheck<boolean> = (value) => {
	if (typeof value === 'boolean') return ok(value);
	const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
	if (word === 'true' || word === 'false') return ok(word === 'true');
	return err({
		problem: `${describeValue(value)} is not true or false`,
		fix: 'Turn the switch on or off, or use an expression that gives true or false',
	});
};
