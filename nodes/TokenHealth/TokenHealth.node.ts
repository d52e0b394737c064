import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CURRENT_VERSION, FIRST_VERSION } from '../shared/credentialCatalog';
import { eventSinkCredentialSlot, eventSinkProperties } from '../shared/events/eventSinkProperties';
import * as checkCredential from './actions/checkCredential.operation';
import { alertingProperties, OPERATION_PARAMETER, TOKEN_HEALTH_OUTPUTS } from './actions/common';
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
 * (Check Credential). Its outputs spare the usual workflow an IF node: "Needs Attention" → alert, "OK" →
 * nothing (or a log), and from version 2 "Already Reported" for repeats of an alert inside the cooldown.
 */
export class TokenHealth implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Token Health',
		name: 'tokenHealth',
		icon: { light: 'file:../../icons/tokenHealth.svg', dark: 'file:../../icons/tokenHealth.dark.svg' },
		group: ['transform'],
		version: [FIRST_VERSION, CURRENT_VERSION],
		defaultVersion: CURRENT_VERSION,
		subtitle: '={{ $parameter["operation"] === "checkCredential" ? "Check Credential" : "Diagnose Error" }}',
		description: 'Diagnose failed executions in error workflows, check OAuth2 credentials and announce token problems',
		defaults: { name: 'Token Health' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: TOKEN_HEALTH_OUTPUTS,
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
