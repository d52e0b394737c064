/**
 * Test-only nodes for the foundation's integration tests (never shipped).
 *
 * n8n lets a node read only the credential types its description lists, so HttpProbe (which lists the
 * harness's own types) cannot use ours. `TokenGuardProbeNode` is HttpProbe with our types added.
 * `CredentialErrorProbeNode` makes the same authenticated request the way a Token Guard node will:
 * the preAuthentication hook cannot know the credential's name, so the node turns a failure into the
 * error `toNodeError` builds, or (onFailure = report) into an item carrying the engine's verdict and a
 * `refresh.failed` event sent through the real event sink.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	INodeCredentialDescription,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { MANUAL_CREDENTIAL_TYPE, WEBHOOK_CREDENTIAL_TYPE } from '../../nodes/shared/credentialCatalog';
import type { TokenGuardError } from '../../nodes/shared/errors/errors';
import { emitEvent } from '../../nodes/shared/events/eventSink.adapter';
import { eventSinkCredentialSlot, eventSinkProperties } from '../../nodes/shared/events/eventSinkProperties';
import { findTokenGuardError } from '../../nodes/shared/errors/classification';
import { toNodeError } from '../../nodes/shared/errors/nodeErrors.adapter';
import { collectSecrets } from '../../nodes/shared/security/secretCollection';
import { HttpProbeNode } from './testNodes';

const CONNECT_CREDENTIAL_TYPE = 'tokenGuardOAuth2Api';

/** The Token Guard credential types these nodes drive through n8n's request helpers. */
export const TOKEN_GUARD_PROBED_CREDENTIAL_TYPES = [
	MANUAL_CREDENTIAL_TYPE,
	CONNECT_CREDENTIAL_TYPE,
	WEBHOOK_CREDENTIAL_TYPE,
];

const optionalCredentials = (names: string[]): INodeCredentialDescription[] =>
	names.map((name) => ({ name, required: false }));

/** HttpProbe (modes authRequest / readCredential / …) allowed to use Token Guard's credential types. */
export class TokenGuardProbeNode extends HttpProbeNode {
	description: INodeTypeDescription = {
		...new HttpProbeNode().description,
		displayName: 'Token Guard Probe',
		name: 'tokenGuardProbe',
		defaults: { name: 'Token Guard Probe' },
		credentials: optionalCredentials(TOKEN_GUARD_PROBED_CREDENTIAL_TYPES),
	};
}

type FailureHandling = 'throw' | 'report';

/** One authenticated GET per item; a failure is named after the credential (see the file comment). */
export class CredentialErrorProbeNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Credential Error Probe',
		name: 'credentialErrorProbe',
		group: ['transform'],
		version: 1,
		description: 'Test-only node that names the credential in authentication failures',
		defaults: { name: 'Credential Error Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [...optionalCredentials([MANUAL_CREDENTIAL_TYPE, CONNECT_CREDENTIAL_TYPE]), eventSinkCredentialSlot],
		properties: [
			{ displayName: 'Credential Type', name: 'credentialType', type: 'string', default: MANUAL_CREDENTIAL_TYPE },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{
				displayName: 'On Failure',
				name: 'onFailure',
				type: 'options',
				options: [
					{ name: 'Throw the Node Error', value: 'throw' },
					{ name: 'Report on the Item', value: 'report' },
				],
				default: 'throw',
			},
			...eventSinkProperties,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const credentialType = this.getNodeParameter('credentialType', 0) as string;
		const onFailure = this.getNodeParameter('onFailure', 0) as FailureHandling;
		const reference = this.getNode().credentials?.[credentialType];
		const credential = { type: credentialType, id: reference?.id ?? undefined, name: reference?.name ?? '' };
		const results: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < this.getInputData().length; itemIndex++) {
			let response: IDataObject;
			try {
				response = (await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
					url: this.getNodeParameter('url', itemIndex) as string,
					method: 'GET',
					json: true,
				})) as IDataObject;
			} catch (error) {
				// Read after the failure, so secrets rotated in during the attempt are known too.
				const secrets = collectSecrets(await this.getCredentials(credentialType, itemIndex));
				const nodeError = toNodeError(this.getNode(), error, { credential, itemIndex, secrets });
				if (onFailure === 'throw') throw nodeError;
				results.push({
					json: await reportFailure.call(this, nodeError, findTokenGuardError(error), credential, itemIndex, secrets),
					pairedItem: { item: itemIndex },
				});
				continue;
			}
			results.push({ json: { failed: false, response }, pairedItem: { item: itemIndex } });
		}
		return [results];
	}
}

async function reportFailure(
	this: IExecuteFunctions,
	nodeError: Error & { description?: string | null },
	engineError: TokenGuardError | undefined,
	credential: { type: string; id?: string; name: string },
	itemIndex: number,
	secrets: string[],
): Promise<IDataObject> {
	const classification = engineError?.classification;
	const { event, delivery } = await emitEvent(
		this,
		'refresh.failed',
		{
			credential,
			provider: classification?.provider ?? 'unknown',
			category: classification?.category,
			action: classification?.action,
			severity: classification?.severity ?? 'critical',
			attempts: engineError?.stats.attempts,
			details: { reason: classification?.reason ?? nodeError.message },
		},
		{ itemIndex, secrets },
	);
	return {
		failed: true,
		category: classification?.category ?? null,
		attempts: engineError?.stats.attempts ?? null,
		waitedMs: engineError?.stats.waitedMs ?? null,
		message: nodeError.message,
		description: nodeError.description ?? null,
		event: event as unknown as IDataObject,
		delivery: delivery as unknown as IDataObject,
	};
}
