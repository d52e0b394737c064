/**
 * Test-only node and credential types used by the harness's own tests (never shipped).
 * HttpProbe exercises n8n's helpers the way our real nodes will: authenticated requests,
 * forced OAuth2 refresh, credential reads and workflow static data. Secrets never leave it:
 * credential values are reported as fingerprints.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestMethods,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { fingerprint } from '../../nodes/shared/security/redact';

// The product's own token fingerprint (docs/ARCHITECTURE.md#secrets), re-exported for the harness tests.
export { fingerprint };

function fingerprintStrings(data: IDataObject): Record<string, string> {
	const result: Record<string, string> = {};
	for (const [key, value] of Object.entries(data)) {
		if (typeof value === 'string') result[key] = fingerprint(value);
	}
	return result;
}

/**
 * Generic-path credential (no OAuth2 parent): a hidden expirable `sessionToken` that
 * preAuthentication fetches from `tokenUrl` by spending (and rotating) `refreshToken`.
 */
export class HarnessSessionApi implements ICredentialType {
	name = 'harnessSessionApi';

	displayName = 'Harness Session API';

	properties: ICredentialType['properties'] = [
		{ displayName: 'Token URL', name: 'tokenUrl', type: 'string', default: '' },
		{
			displayName: 'Refresh Token',
			name: 'refreshToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true },
			default: '',
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url: credentials.tokenUrl as string,
			body: { refresh_token: credentials.refreshToken },
			json: true,
		})) as { session_token: string; refresh_token: string };
		return { sessionToken: response.session_token, refreshToken: response.refresh_token };
	}

	authenticate: ICredentialType['authenticate'] = {
		type: 'generic',
		properties: { headers: { Authorization: '=Bearer {{$credentials.sessionToken}}' } },
	};
}

/** A Connect-button style credential: extends oAuth2Api and pins its flow like our presets. */
export class HarnessOAuth2Api implements ICredentialType {
	name = 'harnessOAuth2Api';

	displayName = 'Harness OAuth2 API';

	extends = ['oAuth2Api'];

	properties: ICredentialType['properties'] = [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}

export const HARNESS_CREDENTIAL_TYPES: ICredentialType[] = [new HarnessSessionApi(), new HarnessOAuth2Api()];

const PROBED_CREDENTIAL_TYPES = [
	'harnessSessionApi',
	'harnessOAuth2Api',
	'oAuth2Api',
	'googleSheetsOAuth2Api',
	'xeroOAuth2Api',
];

type ProbeMode = 'authRequest' | 'refresh' | 'readCredential' | 'bumpStaticData';

export class HttpProbeNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HTTP Probe',
		name: 'httpProbe',
		group: ['transform'],
		version: 1,
		description: 'Test-only node that drives n8n request and credential helpers',
		defaults: { name: 'HTTP Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: PROBED_CREDENTIAL_TYPES.map((name) => ({ name, required: false })),
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: [
					{ name: 'Authenticated Request', value: 'authRequest' },
					{ name: 'Force OAuth2 Refresh', value: 'refresh' },
					{ name: 'Read Credential', value: 'readCredential' },
					{ name: 'Bump Static Data', value: 'bumpStaticData' },
				],
				default: 'authRequest',
			},
			{ displayName: 'Credential Type', name: 'credentialType', type: 'string', default: '' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Method', name: 'method', type: 'string', default: 'GET' },
			{
				displayName: 'Parallel',
				name: 'parallel',
				type: 'boolean',
				default: false,
				description: "Whether to send all items' requests at once",
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const mode = this.getNodeParameter('mode', 0) as ProbeMode;
		const credentialType = this.getNodeParameter('credentialType', 0) as string;

		if (mode === 'bumpStaticData') {
			const staticData = this.getWorkflowStaticData('global');
			staticData.counter = ((staticData.counter as number | undefined) ?? 0) + 1;
			return [[{ json: { counter: staticData.counter } }]];
		}
		if (mode === 'refresh') {
			const tokenData = (await this.helpers.refreshOAuth2Token.call(this, credentialType)) as IDataObject;
			const json = {
				keys: Object.keys(tokenData).sort(),
				fingerprints: fingerprintStrings(tokenData),
				n8n_expires_at: tokenData.n8n_expires_at ?? null,
			};
			return [[{ json }]];
		}
		if (mode === 'readCredential') {
			const credentials = await this.getCredentials(credentialType);
			const json = {
				keys: Object.keys(credentials).sort(),
				fingerprints: fingerprintStrings(credentials),
				oauthTokenDataFingerprints: fingerprintStrings((credentials.oauthTokenData ?? {}) as IDataObject),
			};
			return [[{ json }]];
		}

		const request = async (itemIndex: number): Promise<INodeExecutionData> => {
			const response = (await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
				url: this.getNodeParameter('url', itemIndex) as string,
				method: this.getNodeParameter('method', itemIndex) as IHttpRequestMethods,
				json: true,
			})) as IDataObject;
			return { json: response, pairedItem: { item: itemIndex } };
		};
		if (this.getNodeParameter('parallel', 0) as boolean) {
			return [await Promise.all(items.map(async (_item, index) => await request(index)))];
		}
		const results: INodeExecutionData[] = [];
		for (let index = 0; index < items.length; index++) results.push(await request(index));
		return [results];
	}
}
