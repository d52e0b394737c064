/**
 * Runs the chosen operation item by item and splits the results onto the outputs: 0 "Needs Attention", 1 "OK"
 * and, from version 2, 2 "Already Reported". Continue On Fail puts an item's error on "Needs Attention".
 */
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { ItemOperation } from '../../operationContract';
import { paired } from '../../operationContract';
import { describeValue } from '../../shared/parameters/parameters';
import { redactText } from '../../shared/security/redact';
import * as checkCredential from './checkCredential.operation';
import type { RoutedItem, TokenHealthOperation } from './common';
import { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import { hasAlreadyReportedOutput, NEEDS_ATTENTION_OUTPUT, OPERATION_PARAMETER, OUTPUT_INDEX } from './common';
import * as diagnoseError from './diagnoseError.operation';

// Both operations work item by item and share the run's alert ledger (nodes/operationContract.ts).
const OPERATIONS: Readonly<Record<TokenHealthOperation, ItemOperation<AlertLedger, RoutedItem>>> = {
	diagnoseError,
	checkCredential,
};

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
			`Operation: ${describeValue(operation)} is not supported. Pick "Diagnose Error" or "Check Credential".`,
		);
	}

	const outputs: INodeExecutionData[][] = hasAlreadyReportedOutput(this) ? [[], [], []] : [[], []];
	const ledger = AlertLedger.open(this);
	try {
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const routed = await chosen.execute.call(this, items[itemIndex], itemIndex, ledger);
				outputs[OUTPUT_INDEX[routed.route]].push(paired(routed.item, itemIndex));
			} catch (error) {
				const nodeError =
					error instanceof NodeOperationError || error instanceof NodeApiError
						? error
						: new NodeOperationError(this.getNode(), error instanceof Error ? error : String(error), { itemIndex });
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
