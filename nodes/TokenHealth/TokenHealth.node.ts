import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { eventSinkCredentialSlot, eventSinkProperties } from '../shared/events/eventSinkProperties';
import * as checkCredential from './actions/checkCredential.operation';
import { alertingProperties, OPERATION_PARAMETER } from './actions/common';
import * as diagnoseError from './actions/diagnoseError.operation';
import { router } from './actions/router';

/**
 * The selected credential for Check Credential (this package's own types), and the webhook sink when "Send
 * Events to Webhook" is on. The companion package derives its edition for n8n's built-in credentials from this
 * description (docs/ARCHITECTURE.md#packages).
 */
const credentials = [...checkCredential.credentials, eventSinkCredentialSlot];

/**
 * Token Health: the error-workflow handler (Diagnose Error) and the scheduled credential check
 * (Check Credential). Two outputs so the usual workflow needs no IF node: "Needs Attention" → alert,
 * "OK" → nothing (or a log).
 */
export class TokenHealth implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Token Health',
		name: 'tokenHealth',
		icon: { light: 'file:../../icons/tokenHealth.svg', dark: 'file:../../icons/tokenHealth.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "checkCredential" ? "Check Credential" : "Diagnose Error" }}',
		description: 'Diagnose failed executions in error workflows, check OAuth2 credentials and announce token problems',
		defaults: { name: 'Token Health' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Needs Attention', 'OK'],
		credentials,
		properties: [
			{
				displayName: 'Operation',
				name: OPERATION_PARAMETER,
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Diagnose Error',
						value: 'diagnoseError',
						action: 'Diagnose a failed execution',
						description:
							'Explain an error from an Error Trigger, an error output or Continue On Fail: OAuth problem or not, which credential, what to do',
					},
					{
						name: 'Check Credential',
						value: 'checkCredential',
						action: 'Check a credential',
						description:
							'Report whether a credential can still refresh, when its token expires, its scopes and clock drift',
					},
				],
				default: 'diagnoseError',
			},
			...diagnoseError.description,
			...checkCredential.description,
			...alertingProperties,
			...eventSinkProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
