/**
 * n8n's own way of calling an API with a credential, as a node: a GET per item through
 * `this.helpers.httpRequestWithAuthentication`, which refreshes an OAuth2 token after a 401. The
 * benchmarks run it next to Request With Auto-Refresh on the same credential, API and concurrency.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { mapWithConcurrency } from '../../nodes/shared/concurrency';
import { CONNECT_TYPE } from '../integration/forceRefreshSupport';

export class HttpRequestWithAuthenticationBaseline implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Baseline',
		name: 'httpRequestWithAuthenticationBaseline',
		group: ['transform'],
		version: 1,
		description: 'GET through this.helpers.httpRequestWithAuthentication',
		defaults: { name: 'Baseline' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: CONNECT_TYPE, required: true }],
		properties: [
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Concurrency', name: 'concurrency', type: 'number', default: 10 },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const concurrency = this.getNodeParameter('concurrency', 0) as number;
		const results = await mapWithConcurrency(items.length, concurrency, async (index) => {
			const url = this.getNodeParameter('url', index) as string;
			const body = (await this.helpers.httpRequestWithAuthentication.call(this, CONNECT_TYPE, {
				method: 'GET',
				url,
				json: true,
			})) as IDataObject;
			return { json: body, pairedItem: { item: index } };
		});
		return [results];
	}
}

export const benchItems = (count: number): INodeExecutionData[] =>
	Array.from({ length: count }, (_value, index) => ({ json: { index } }));
