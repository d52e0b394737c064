import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { CURRENT_VERSION, FIRST_VERSION } from '../shared/credentialCatalog';
import { eventSinkCredentialSlot, eventSinkProperties } from '../shared/events/eventSinkProperties';
import * as checkCredential from './actions/checkCredential.operation';
import * as auditCredentials from './actions/auditCredentials.operation';
import { alertingProperties, n8nApiCredentialSlot, OPERATION_PARAMETER, TOKEN_HEALTH_OUTPUTS } from './actions/common';
import * as diagnoseError from './actions/diagnoseError.operation';
import { replayProperties } from './actions/replay';
import { router } from './actions/router';

/**
 * The selected credential for Check Credential (this package's own types), the instance's n8n API for Audit
 * Credentials and Diagnose Error's affected workflows, and the webhook sink when "Send Events to Webhook" is on. The
 * companion package derives its edition for n8n's built-in credentials from this description
 * (docs/ARCHITECTURE.md#packages).
 */
const credentials = [...checkCredential.credentials, n8nApiCredentialSlot, eventSinkCredentialSlot];

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
		subtitle:
			'={{ $parameter["operation"] === "checkCredential" ? "Check Credential" : $parameter["operation"] === "auditCredentials" ? "Audit Credentials" : "Diagnose Error" }}',
		description:
			'Diagnose failed executions in error workflows, check or audit OAuth2 credentials and announce token problems',
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
					{
						name: 'Audit Credentials',
						value: auditCredentials.AUDIT_OPERATION,
						action: 'Audit every OAuth2 credential',
						description:
							'Test every OAuth2 credential of this n8n through its API and list the workflows each one breaks',
					},
				],
				default: 'diagnoseError',
			},
			...diagnoseError.description,
			...checkCredential.description,
			...auditCredentials.description,
			...replayProperties,
			...alertingProperties,
			...eventSinkProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
