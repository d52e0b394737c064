/**
 * An in-memory ICredentialsHelper that follows the rules of n8n's CLI helper
 * (packages/cli/src/credentials-helper.ts, 2.40/2.41) closely enough that n8n-core's own
 * request helpers behave as in a real instance: OAuth2 routing by parent types, property
 * defaults, the preAuthentication/expirable persistence rule, and the two write paths.
 * Data is stored DECRYPTED; every write is appended to `writes` so tests can assert
 * exactly what n8n would have persisted.
 */
import { getAdditionalKeys } from 'n8n-core';
import {
	ICredentials,
	ICredentialsHelper,
	NodeHelpers,
	UnexpectedError,
	UserError,
	getCredentialOwnRequestAllowedDomains,
	isExpression,
} from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsEncrypted,
	ICredentialsExpressionResolveValues,
	ICredentialType,
	IExecuteData,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeParameters,
	INodeProperties,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow,
	WorkflowExecuteMode,
} from 'n8n-workflow';

import { BUILT_IN_CREDENTIAL_TYPES } from './builtInCredentialTypes';

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
	/** Decrypted data exactly as n8n would keep it in the database (no defaults applied). */
	data: ICredentialDataDecryptedObject;
}

/** One persisted change: `updateCredentials` rewrites the whole blob, `oauthTokenData` only that field. */
export interface CredentialWrite {
	id: string;
	type: string;
	kind: 'updateCredentials' | 'oauthTokenData';
	at: number;
	/** Deep copy of the full stored data right after the write. */
	data: ICredentialDataDecryptedObject;
}

export interface HarnessCredentialsHelperOptions {
	/**
	 * n8n 2.41 drops stored values of hidden "pinned" OAuth fields (authUrl, accessTokenUrl,
	 * grantType, …) in favour of the type's default. n8n 2.40 keeps them, which is what lets
	 * built-in types such as Google point at a loopback token endpoint. Default: false (2.40).
	 */
	pinOAuthFields?: boolean;
}

/** `OAUTH_PINNED_FIELDS` from packages/cli/src/oauth/dcr-managed-fields.ts (2.41). */
const OAUTH_PINNED_FIELDS = [
	'useDynamicClientRegistration',
	'authUrl',
	'accessTokenUrl',
	'grantType',
	'authentication',
	'usePkce',
	'requestTokenUrl',
	'signatureMethod',
];

const deepCopy = <T>(value: T): T => structuredClone(value);

/** What `getCredentials()` returns: enough of n8n-core's `Credentials` for read-backs. */
class StoredCredentials extends ICredentials {
	private stored: ICredentialDataDecryptedObject;

	constructor(credential: StoredCredential) {
		super({ id: credential.id, name: credential.name }, credential.type);
		this.stored = deepCopy(credential.data);
	}

	async getData(): Promise<ICredentialDataDecryptedObject> {
		return deepCopy(this.stored);
	}

	getDataToSave(): ICredentialsEncrypted {
		return { id: this.id, name: this.name, type: this.type, data: JSON.stringify(this.stored) };
	}

	async setData(data: ICredentialDataDecryptedObject): Promise<void> {
		this.stored = deepCopy(data);
	}

	async updateData(toUpdate: ICredentialDataDecryptedObject, toDelete: string[] = []): Promise<void> {
		this.stored = { ...this.stored, ...deepCopy(toUpdate) };
		for (const key of toDelete) delete this.stored[key];
	}
}

export class HarnessCredentialsHelper extends ICredentialsHelper {
	/** Every persisted change, oldest first. */
	readonly writes: CredentialWrite[] = [];

	private readonly store = new Map<string, StoredCredential>();

	private readonly types = new Map<string, ICredentialType>();

	private readonly pinOAuthFields: boolean;

	constructor(options: HarnessCredentialsHelperOptions = {}) {
		super();
		this.pinOAuthFields = options.pinOAuthFields ?? false;
		for (const type of BUILT_IN_CREDENTIAL_TYPES) this.registerCredentialType(type);
	}

	/** Registers (or replaces) a credential type class instance, e.g. one of ours. */
	registerCredentialType(type: ICredentialType): this {
		this.types.set(type.name, type);
		return this;
	}

	/** Stores a credential and returns the `{ id, name }` reference a node's `credentials` needs. */
	addCredential(credential: StoredCredential): INodeCredentialsDetails & { id: string } {
		this.getCredentialType(credential.type);
		this.store.set(credential.id, { ...credential, data: deepCopy(credential.data) });
		return { id: credential.id, name: credential.name };
	}

	/** Deep copy of the raw stored data (what the database row would decrypt to). */
	storedData(id: string): ICredentialDataDecryptedObject {
		const credential = this.store.get(id);
		if (!credential) throw new UserError(`Credential with ID "${id}" was not found.`);
		return deepCopy(credential.data);
	}

	getCredentialType(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) {
			throw new UnexpectedError(`Unknown credential type "${name}": register it with registerCredentialType()`);
		}
		return type;
	}

	// ---- ICredentialsHelper ----

	/** All ancestors through `extends`, nearest first (mirrors CredentialTypes.getParentTypes). */
	getParentTypes(typeName: string): string[] {
		const parents = [...(this.types.get(typeName)?.extends ?? [])];
		for (const parent of [...parents]) parents.push(...this.getParentTypes(parent));
		return parents;
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.getCredentialType(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (typeof authenticate === 'object') {
			if (!workflow || !node) {
				throw new UnexpectedError('Workflow and node are required for declarative credential authentication');
			}
			requestOptions.headers ??= {};
			if (authenticate.type === 'generic') {
				const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
				for (const [outerKey, entries] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(entries as Record<string, string>)) {
						const resolvedKey = resolveCredentialTemplate(key, credentials, workflow, node);
						target[outerKey] ??= {};
						target[outerKey][resolvedKey] = resolveCredentialTemplate(value, credentials, workflow, node);
					}
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	/**
	 * The CLI rule for the generic (non-OAuth) path: the hook runs only for a type with a
	 * hidden `expirable` field, and only when that field is empty, the request just failed
	 * as expired, or the credential is being tested. Its whole output is persisted over the
	 * stored raw data, except over keys the user stored as expressions.
	 */
	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.getCredentialType(typeName);
		const expirable = credentialType.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirable?.name === undefined) return undefined;
		if (typeof credentialType.preAuthentication !== 'function') return undefined;

		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';
		if (credentials[expirable.name] !== '' && !credentialsExpired && !isTestingCredentials) {
			return undefined;
		}

		const output = (await credentialType.preAuthentication.call(
			restrictToCredentialDomains(helpers, credentials),
			credentials,
		)) as ICredentialDataDecryptedObject;
		if (output[expirable.name] === undefined) return undefined;
		if (!node.credentials) return undefined;

		const nodeCredentials = node.credentials[credentialType.name];
		const storedData = await (await this.getCredentials(nodeCredentials, credentialType.name)).getData();
		const dataToPersist: ICredentialDataDecryptedObject = { ...storedData };
		for (const [key, value] of Object.entries(output)) {
			if (key === expirable.name || !isExpression(storedData[key])) dataToPersist[key] = value;
		}
		await this.updateCredentials(nodeCredentials, credentialType.name, dataToPersist);
		return Object.assign(credentials, output);
	}

	/** In-memory transform used by requestOAuth2 on every request: no expirable check, no write. */
	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const { preAuthentication } = this.getCredentialType(typeName);
		if (typeof preAuthentication !== 'function') return undefined;
		const output = await preAuthentication.call(restrictToCredentialDomains(helpers, credentials), credentials);
		return (output as ICredentialDataDecryptedObject | undefined) ?? undefined;
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		return new StoredCredentials(this.findCredential(nodeCredentials, type));
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = deepCopy(this.findCredential(nodeCredentials, type).data);
		if (raw === true) return stored;
		return this.applyDefaults(additionalData, stored, type, mode, executeData, expressionResolveValues);
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const credential = this.findCredential(nodeCredentials, type);
		credential.data = deepCopy(data);
		this.recordWrite(credential, 'updateCredentials');
	}

	async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		const credential = this.findCredential(nodeCredentials, type);
		credential.data = { ...credential.data, oauthTokenData: deepCopy(data.oauthTokenData) };
		this.recordWrite(credential, 'oauthTokenData');
	}

	/** Own properties merged over every parent's (mirrors the CLI, including `doNotInherit`). */
	getCredentialsProperties(type: string): INodeProperties[] {
		const credentialType = this.getCredentialType(type);
		if (credentialType.extends === undefined) {
			if (['oAuth1Api', 'oAuth2Api'].includes(type)) {
				return [
					...credentialType.properties,
					{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', required: false, default: {} },
				];
			}
			return credentialType.properties;
		}
		const combined: INodeProperties[] = [];
		for (const parent of credentialType.extends) {
			NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
		}
		NodeHelpers.mergeNodeProperties(combined, credentialType.properties);
		return combined;
	}

	// ---- internals ----

	private findCredential(nodeCredentials: INodeCredentialsDetails | undefined, type: string): StoredCredential {
		if (!nodeCredentials?.id) {
			throw new UnexpectedError('Found credential with no ID.', {
				extra: { credentialName: nodeCredentials?.name },
				tags: { credentialType: type },
			});
		}
		const credential = this.store.get(nodeCredentials.id);
		if (!credential || credential.type !== type) {
			throw new UserError(`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`);
		}
		return credential;
	}

	private recordWrite(credential: StoredCredential, kind: CredentialWrite['kind']): void {
		this.writes.push({
			id: credential.id,
			type: credential.type,
			kind,
			at: Date.now(),
			data: deepCopy(credential.data),
		});
	}

	/** The CLI's applyDefaultsAndOverwrites minus admin overwrites and external secrets. */
	private applyDefaults(
		additionalData: IWorkflowExecuteAdditionalData,
		original: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData: IExecuteData | undefined,
		expressionResolveValues: ICredentialsExpressionResolveValues | undefined,
	): ICredentialDataDecryptedObject {
		const properties = this.getCredentialsProperties(type);
		const storedData = { ...original };
		if (this.pinOAuthFields) {
			for (const field of OAUTH_PINNED_FIELDS) {
				if (properties.some((p) => p.name === field && p.type === 'hidden')) delete storedData[field];
			}
		}
		let decrypted = NodeHelpers.getNodeParameters(
			properties,
			storedData as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		// Not declared as properties, so getNodeParameters drops them; n8n adds them back.
		if (original.oauthTokenData !== undefined) decrypted.oauthTokenData = original.oauthTokenData;
		for (const key of ['allowedHttpRequestDomains', 'allowedDomains']) {
			if (decrypted[key] === undefined && original[key] !== undefined) decrypted[key] = original[key];
		}
		if (expressionResolveValues) {
			const { workflow, runExecutionData, runIndex, itemIndex, node, connectionInputData } = expressionResolveValues;
			try {
				decrypted = workflow.expression.getParameterValue(
					decrypted as INodeParameters,
					runExecutionData,
					runIndex,
					itemIndex,
					node.name,
					connectionInputData,
					mode,
					getAdditionalKeys(additionalData, mode, null, { isCredential: true }),
					executeData,
					false,
					decrypted,
				) as ICredentialDataDecryptedObject;
			} catch (error) {
				(error as Error).message += ' [Error resolving credentials]';
				throw error;
			}
		}
		return decrypted;
	}
}

/** Resolves '=Bearer {{$credentials.x}}' with n8n's own expression engine, as the CLI does. */
function resolveCredentialTemplate(
	value: string,
	credentials: ICredentialDataDecryptedObject,
	workflow: Workflow,
	node: INode,
): string {
	if (!isExpression(value)) return value;
	const resolved = workflow.expression.getSimpleParameterValue(
		node,
		value,
		'internal',
		{ $credentials: credentials },
		undefined,
		'',
	);
	return resolved ? String(resolved) : '';
}

/** The hook's `this`: only `helpers.httpRequest`, limited to the credential's allowed domains. */
function restrictToCredentialDomains(
	helpers: IHttpRequestHelper,
	credentials: ICredentialDataDecryptedObject,
): IHttpRequestHelper {
	return {
		helpers: {
			httpRequest: async (requestOptions: IHttpRequestOptions) => {
				const allowedDomains = getCredentialOwnRequestAllowedDomains(credentials);
				if (allowedDomains === undefined) return await helpers.helpers.httpRequest(requestOptions);
				if (requestOptions.allowedDomains !== undefined) {
					throw new UserError(
						'This credential restricts requests to specific domains, which cannot be combined ' +
							'with the domains its authentication step asks for.',
					);
				}
				return await helpers.helpers.httpRequest({ ...requestOptions, allowedDomains });
			},
		},
	};
}
