import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CURRENT_VERSION, FIRST_VERSION, ownCredentialChoice } from '../shared/credentialCatalog';
import { eventSinkCredentialSlot, eventSinkProperties } from '../shared/events/eventSinkProperties';
import * as refresh from './actions/refresh.operation';
import * as refreshIfExpiring from './actions/refreshIfExpiring.operation';
import * as request from './actions/request.operation';
import { router } from './actions/router';

// This package's own credential types only (n8n's no-credential-reuse rule); the companion package derives its
// edition for n8n's built-in credentials from this description (docs/ARCHITECTURE.md#packages).
const credentials = [...ownCredentialChoice.slots, eventSinkCredentialSlot];

/** Thin assembly: parameters come from the operation files, work from the router (docs/ARCHITECTURE.md#layers). */
export class ForceRefresh implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Force Refresh',
		name: 'forceRefresh',
		icon: { light: 'file:../../icons/forceRefresh.svg', dark: 'file:../../icons/forceRefresh.dark.svg' },
		group: ['transform'],
		version: [FIRST_VERSION, CURRENT_VERSION],
		defaultVersion: CURRENT_VERSION,
		subtitle:
			'={{ { refresh: "Refresh Now", refreshIfExpiring: "Refresh If Expiring", request: "Request With Auto-Refresh" }[$parameter["operation"]] }}',
		description: 'Refresh OAuth2 tokens now or before they expire, and make HTTP requests that survive token expiry',
		defaults: { name: 'Force Refresh' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials,
		properties: [
			...ownCredentialChoice.properties,
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Refresh If Expiring',
						value: 'refreshIfExpiring',
						action: 'Refresh the token if it expires soon',
						description: 'Refresh only when the token expires within a margin; otherwise pass the items through',
					},
					{
						name: 'Refresh Now',
						value: 'refresh',
						action: 'Refresh the token now',
						description: 'Get a new access token now and save it in the credential',
					},
					{
						name: 'Request With Auto-Refresh',
						value: 'request',
						action: 'Make a request that survives token expiry',
						description: 'Send an HTTP request signed with the token; refresh once and replay once when it has expired',
					},
				],
				default: 'refresh',
			},
			...refresh.description,
			...refreshIfExpiring.description,
			...request.description,
			...eventSinkProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
