/**
 * Runs the chosen operation and owns what every operation would otherwise repeat: the item loop (with
 * the operation's concurrency), Continue On Fail and `pairedItem` (docs/ARCHITECTURE.md#layers).
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ItemOperation, ItemResult, RunOnceOperation } from '../../operationContract';
import { OperationFailure, paired } from '../../operationContract';
import { mapWithConcurrency } from '../../shared/concurrency';
import * as refresh from './refresh.operation';
import * as refreshIfExpiring from './refreshIfExpiring.operation';
import * as request from './request.operation';

export type ForceRefreshOperation = 'refresh' | 'refreshIfExpiring' | 'request';

const OPERATIONS: Record<ForceRefreshOperation, RunOnceOperation | ItemOperation<request.RequestRun>> = {
	refresh,
	refreshIfExpiring,
	request,
};

/** Continue On Fail: the operation's failure json replaces the item; otherwise the node error stops the run. */
function failedItem(ctx: IExecuteFunctions, error: unknown, itemIndex: number): INodeExecutionData {
	if (!(error instanceof OperationFailure)) throw error;
	if (!ctx.continueOnFail()) throw error.nodeError;
	return paired({ json: error.json }, itemIndex);
}

async function runOnce(
	ctx: IExecuteFunctions,
	operation: RunOnceOperation,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	let results: ItemResult[];
	try {
		results = await operation.executeOnce.call(ctx, items);
	} catch (error) {
		// One failure for the whole run: with Continue On Fail every item carries it.
		return items.map((_item, index) => failedItem(ctx, error, index));
	}
	return results.map((result, index) => paired(result, index));
}

async function runItems<Context>(
	ctx: IExecuteFunctions,
	operation: ItemOperation<Context>,
	items: INodeExecutionData[],
): Promise<INodeExecutionData[]> {
	let context: Context;
	try {
		context = (await operation.prepare?.call(ctx)) as Context;
	} catch (error) {
		return items.map((_item, index) => failedItem(ctx, error, index));
	}
	const limit = operation.concurrency?.(context) ?? 1;
	return await mapWithConcurrency(items.length, limit, async (index) => {
		try {
			return paired(await operation.execute.call(ctx, items[index], index, context), index);
		} catch (error) {
			return failedItem(ctx, error, index);
		}
	});
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as ForceRefreshOperation;
	const handler = Object.prototype.hasOwnProperty.call(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
	if (handler === undefined) {
		throw new NodeOperationError(this.getNode(), `The operation "${String(operation)}" is not supported`);
	}
	const items = this.getInputData();
	if (handler.runsOnce === true) return [await runOnce(this, handler, items)];
	const outputs = await runItems(this, handler, items);
	const summary = handler.summarize?.(outputs);
	if (summary !== undefined) this.addExecutionHints({ message: summary, location: 'outputPane' });
	return [outputs];
}
