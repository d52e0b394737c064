import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as refresh from './refresh.operation';
import * as refreshIfExpiring from './refreshIfExpiring.operation';
import * as request from './request.operation';

export type ForceRefreshOperation = 'refresh' | 'refreshIfExpiring' | 'request';

const OPERATIONS: Record<ForceRefreshOperation, { execute: (this: IExecuteFunctions) => Promise<INodeExecutionData[][]> }> = {
	refresh,
	refreshIfExpiring,
	request,
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as ForceRefreshOperation;
	const handler = Object.prototype.hasOwnProperty.call(OPERATIONS, operation) ? OPERATIONS[operation] : undefined;
	if (handler === undefined) {
		throw new NodeOperationError(this.getNode(), `The operation "${String(operation)}" is not supported`);
	}
	return await handler.execute.call(this);
}
