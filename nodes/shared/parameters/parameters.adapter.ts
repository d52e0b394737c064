/**
 * The n8n side of the parameter checks in parameters.ts: reads a parameter, checks it, and turns a
 * problem into the node error "<Field>: <problem>. <fix>." with the fix as its description.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ParameterCheck } from './parameters';

/** Errors about a node's own parameters: shown as they are, never read as an authentication failure. */
const parameterErrors = new WeakSet<Error>();

/** Whether the error is a rejected parameter (a message can quote codes like token_expired; it is not evidence). */
export function isParameterError(error: unknown): error is NodeOperationError {
	return error instanceof Error && parameterErrors.has(error);
}

/** Checks a value already read; a wrong one stops the run, naming the field, with the fix as the description. */
export function checkedValue<T>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	displayName: string,
	value: unknown,
	check: ParameterCheck<T>,
): T {
	const checked = check(value);
	if (checked.ok) return checked.value;
	const { problem, fix } = checked.error;
	const error = new NodeOperationError(ctx.getNode(), `${displayName}: ${problem}. ${fix}.`, {
		itemIndex,
		description: `${fix}.`,
	});
	parameterErrors.add(error);
	throw error;
}

/** Reads one parameter and checks it. */
export function checkedParameter<T>(
	ctx: IExecuteFunctions,
	itemIndex: number,
	parameter: { name: string; displayName: string; fallback: unknown },
	check: ParameterCheck<T>,
): T {
	return checkedValue(
		ctx,
		itemIndex,
		parameter.displayName,
		ctx.getNodeParameter(parameter.name, itemIndex, parameter.fallback),
		check,
	);
}
