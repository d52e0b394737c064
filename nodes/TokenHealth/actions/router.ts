/**
 * Runs the chosen operation item by item (Audit Credentials once per run) and splits the results onto the outputs:
 * 0 "Needs Attention", 1 "OK" and, from version 2, 2 "Already Reported". Continue On Fail puts an item's error on
 * "Needs Attention".
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { ItemOperation, ItemResult } from '../../operationContract';
import { paired } from '../../operationContract';
import { describeValue } from '../../shared/parameters/parameters';
import { redactText } from '../../shared/security/redact';
import * as checkCredential from './checkCredential.operation';
import type { RoutedItem, TokenHealthOperation } from './common';
import { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import { hasAlreadyReportedOutput, NEEDS_ATTENTION_OUTPUT, OPERATION_PARAMETER, OUTPUT_INDEX } from './common';
import * as diagnoseError from './diagnoseError.operation';
import * as auditCredentials from './auditCredentials.operation';

/** An operation that works once per run and puts out its own items (Audit Credentials: one per credential). */
interface RunOperation {
	runsOnce: true;
	executeOnce: (this: IExecuteFunctions, ledger: AlertLedger) => Promise<RoutedItem[]>;
	summarize?: (outputs: ItemResult[]) => string | undefined;
}

// Every operation shares the run's alert ledger (nodes/operationContract.ts).
const OPERATIONS: Readonly<Record<TokenHealthOperation, ItemOperation<AlertLedger, RoutedItem> | RunOperation>> = {
	diagnoseError,
	checkCredential,
	auditCredentials: { runsOnce: true, ...auditCredentials },
};

/** The one run of a run-level operation; its items are paired with the first input item (the trigger's). */
async function runOnce(
	ctx: IExecuteFunctions,
	operation: RunOperation,
	outputs: INodeExecutionData[][],
	ledger: AlertLedger,
): Promise<void> {
	const routed = await operation.executeOnce.call(ctx, ledger);
	for (const { item, route, followers } of routed)
		outputs[OUTPUT_INDEX[route]].push(paired(item, 0), ...(followers ?? []).map((follower) => paired(follower, 0)));
	const summary = operation.summarize?.(routed.map(({ item }) => item));
	if (summary !== undefined) ctx.addExecutionHints({ message: summary, location: 'outputPane' });
}

function nodeErrorOf(ctx: IExecuteFunctions, error: unknown, itemIndex: number): NodeOperationError | NodeApiError {
	return error instanceof NodeOperationError || error instanceof NodeApiError
		? error
		: new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error), { itemIndex });
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operation: unknown = this.getNodeParameter(OPERATION_PARAMETER, 0);
	// Own keys only: "constructor" or "__proto__" must not reach Object.prototype.
	const chosen =
		typeof operation === 'string' && Object.prototype.hasOwnProperty.call(OPERATIONS, operation)
			? OPERATIONS[operation as TokenHealthOperation]
			: undefined;
	if (chosen === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`Operation: ${describeValue(operation)} is not supported. Pick "Diagnose Error", "Check Credential" or "Audit Credentials".`,
		);
	}

	const outputs: INodeExecutionData[][] = hasAlreadyReportedOutput(this) ? [[], [], []] : [[], []];
	const ledger = AlertLedger.open(this);
	try {
		if (chosen.runsOnce === true) {
			try {
				await runOnce(this, chosen, outputs, ledger);
			} catch (error) {
				const nodeError = nodeErrorOf(this, error, 0);
				if (!this.continueOnFail()) throw nodeError;
				outputs[NEEDS_ATTENTION_OUTPUT].push(paired({ json: { error: redactText(nodeError.message) } }, 0));
			}
			return outputs;
		}
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const routed = await chosen.execute.call(this, items[itemIndex], itemIndex, ledger);
				outputs[OUTPUT_INDEX[routed.route]].push(
					paired(routed.item, itemIndex),
					...(routed.followers ?? []).map((follower) => paired(follower, itemIndex)),
				);
			} catch (error) {
				const nodeError = nodeErrorOf(this, error, itemIndex);
				if (!this.continueOnFail()) throw nodeError;
				const message = nodeError.message;
				outputs[NEEDS_ATTENTION_OUTPUT].push(paired({ json: { error: redactText(message) } }, itemIndex));
			}
		}
	} finally {
		// n8n saves static data even for failed executions; what was learned before the failure counts.
		ledger.save();
	}
	return outputs;
}
