/**
 * The one contract every node operation keeps (docs/ARCHITECTURE.md#layers), as n8n's Outlook v2 and
 * Google Sheets v2 nodes do: a router owns the item loop, Continue On Fail and `pairedItem`; an
 * operation exports its `description` and works on one item, or says that it works once per run.
 * It sits beside both nodes rather than in shared/, which is the engine and knows nothing of routing.
 */
import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

/** What an operation produced for one item; the router adds `pairedItem`. */
export interface ItemResult {
	json: IDataObject;
	binary?: IBinaryKeyData;
}

/** An operation that works item by item: the router calls `execute` once per input item. */
export interface ItemOperation<Context, Output = ItemResult> {
	description: INodeProperties[];
	/** Once per run, before the first item: what every item shares (settings, caches). */
	prepare?: (this: IExecuteFunctions) => Promise<Context>;
	/** How many items may run at the same time; without it, one after the other. */
	concurrency?: (context: Context) => number;
	execute: (this: IExecuteFunctions, item: INodeExecutionData, itemIndex: number, context: Context) => Promise<Output>;
	/** One line about the whole run for n8n's output pane (e.g. "1 refresh; 2 of 5 items replayed"). */
	summarize?: (outputs: INodeExecutionData[]) => string | undefined;
	runsOnce?: false;
}

/** An operation that works once per run for all items (Refresh Now refreshes once, not once per item). */
export interface RunOnceOperation<Output = ItemResult> {
	description: INodeProperties[];
	runsOnce: true;
	/** One result per input item, in input order. */
	executeOnce: (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<Output[]>;
}

/**
 * Thrown by an operation when the work failed: `nodeError` is what n8n shows, `json` what Continue On
 * Fail puts out instead of the item (the router decides which one applies).
 */
export class OperationFailure extends Error {
	constructor(
		readonly nodeError: Error,
		readonly json: IDataObject,
	) {
		super(nodeError.message);
		this.name = 'OperationFailure';
	}
}

export const paired = (result: ItemResult, itemIndex: number): INodeExecutionData => ({
	...result,
	pairedItem: { item: itemIndex },
});
