/**
 * Requests to the instance's own public API with the N8n (Token Guard) API credential (the shapes and decisions are
 * publicApi.ts). The API key goes only where the credential's Allowed HTTP Request Domains let it (the Base URL is
 * an endpoint the credential declares: docs/ARCHITECTURE.md#security-boundary) and follows no redirect.
 */
import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { N8N_API_CREDENTIAL_TYPE } from '../credentialCatalog';
import { mapWithConcurrency } from '../concurrency';
import { messageOf } from '../errors/facts';
import { credentialEndpointBoundary } from '../security/domainRestriction.adapter';
import { redactText } from '../security/redact';
import { collectSecrets } from '../security/secretCollection';
import type { ApiCall, ExecutionState, InstanceCredential, InstanceWorkflow, Page, TestOutcome } from './publicApi';
import {
	checkBaseUrl,
	readExecutionState,
	readRetried,
	MAX_PAGES,
	PAGE_LIMIT,
	publicApiUrl,
	readCredential,
	readPage,
	readTestResult,
	readWorkflow,
	refusal,
	unsupportedCall,
} from './publicApi';

const REQUEST_TIMEOUT_MS = 30_000;
/** n8n answers a retry when the new execution has finished: give it the time a workflow may take. */
const RETRY_TIMEOUT_MS = 300_000;
const NOT_TESTABLE = Symbol('not testable');
const NOT_FOUND = Symbol('not found');

/** Errors that are the API key's refusal (HTTP 401/403): the call never ran. */
const refusals = new WeakSet<NodeOperationError>();

/** The error, if it is this client's report of the API refusing the key (missing scope, rejected key). */
export function refusalOf(error: unknown): NodeOperationError | undefined {
	return error instanceof NodeOperationError && refusals.has(error) ? error : undefined;
}

interface FullResponse {
	statusCode?: number;
	body?: unknown;
}

export class N8nPublicApi {
	private constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly credentials: ICredentialDataDecryptedObject,
		private readonly baseUrl: string,
		/** The API key and every other secret of the credential: redacted from anything this class reports. */
		readonly secrets: string[],
	) {}

	/** Reads the node's N8n (Token Guard) API credential; a missing or unusable one stops the run with what to fix. */
	static async open(ctx: IExecuteFunctions, itemIndex: number): Promise<N8nPublicApi> {
		let credentials: ICredentialDataDecryptedObject;
		try {
			credentials = await ctx.getCredentials(N8N_API_CREDENTIAL_TYPE, itemIndex);
		} catch (error) {
			throw new NodeOperationError(ctx.getNode(), 'No N8n (Token Guard) API credential could be read', {
				itemIndex,
				description: `Select an N8n (Token Guard) API credential. ${redactText(messageOf(error))}`,
			});
		}
		// `apiKey` is a secret-named field, so collectSecrets already holds the key.
		const secrets = collectSecrets(credentials);
		const baseUrl = checkBaseUrl(credentials.baseUrl);
		if (!baseUrl.ok) {
			throw new NodeOperationError(ctx.getNode(), baseUrl.error, {
				itemIndex,
				description: "Set Base URL to this n8n's own address, e.g. http://127.0.0.1:5678",
			});
		}
		return new N8nPublicApi(ctx, credentials, baseUrl.value, secrets);
	}

	private fail(call: ApiCall, message: string, description?: string): NodeOperationError {
		return new NodeOperationError(this.ctx.getNode(), redactText(message, this.secrets), {
			...(description === undefined ? {} : { description: redactText(description, this.secrets) }),
		});
	}

	/** One request; 2xx answers come back as the body, everything else as a NodeOperationError that says why. */
	private async send(
		call: ApiCall,
		request: Pick<IHttpRequestOptions, 'method' | 'qs' | 'body' | 'timeout'> & { path: string },
		notFound?: unknown,
	): Promise<unknown> {
		const url = publicApiUrl(this.baseUrl, request.path);
		let boundary;
		try {
			boundary = credentialEndpointBoundary(this.credentials, url, this.ctx.getNode());
		} catch (error) {
			throw this.fail(call, messageOf(error));
		}
		let response: FullResponse;
		try {
			response = (await this.ctx.helpers.httpRequestWithAuthentication.call(
				this.ctx,
				N8N_API_CREDENTIAL_TYPE,
				{
					method: request.method ?? 'GET',
					url,
					...(request.qs ? { qs: request.qs } : {}),
					...(request.body === undefined ? {} : { body: request.body }),
					json: true,
					timeout: request.timeout ?? REQUEST_TIMEOUT_MS,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					...boundary,
				},
				{ credentialsDecrypted: { id: '', name: '', type: N8N_API_CREDENTIAL_TYPE, data: this.credentials } },
			)) as FullResponse;
		} catch (error) {
			throw this.fail(
				call,
				`n8n's public API at ${this.baseUrl} could not be reached: ${messageOf(error)}`,
				'Check the Base URL of the N8n (Token Guard) API credential: it must be an address this n8n can reach itself.',
			);
		}
		const status = typeof response?.statusCode === 'number' ? response.statusCode : 0;
		if (status >= 200 && status < 300) return response.body;
		if (status === 404 && notFound !== undefined) return notFound;
		if (status === 405) {
			const { message, description } = unsupportedCall(call, request.method ?? 'GET', request.path);
			throw this.fail(call, message, description);
		}
		if (status === 401 || status === 403) {
			const { message, description } = refusal(call, status);
			const refused = this.fail(call, message, description);
			refusals.add(refused);
			throw refused;
		}
		throw this.fail(
			call,
			`n8n's public API answered HTTP ${status} to ${request.method ?? 'GET'} /api/v1${request.path}`,
			status === 404
				? "Check the Base URL (the instance's address without /api/v1) and that the public API is not disabled (N8N_PUBLIC_API_DISABLED)."
				: undefined,
		);
	}

	/** Every record of a paged listing, page after page (each page needs the previous one's cursor). */
	private async listAll<T>(
		call: ApiCall,
		path: string,
		readItem: (raw: unknown) => T | undefined,
		extraQuery: Record<string, string | number | boolean> = {},
	): Promise<T[]> {
		const all: T[] = [];
		let cursor: string | null = null;
		for (let page = 0; page < MAX_PAGES; page++) {
			const body = await this.send(call, {
				path,
				qs: { ...extraQuery, limit: PAGE_LIMIT, ...(cursor === null ? {} : { cursor }) },
			});
			const read: { ok: true; value: Page<T> } | { ok: false; error: string } = readPage(body, readItem);
			if (!read.ok) throw this.fail(call, `n8n's public API answered GET /api/v1${path} with ${read.error}`);
			all.push(...read.value.items);
			cursor = read.value.nextCursor;
			if (cursor === null) return all;
		}
		return all;
	}

	async listCredentials(): Promise<InstanceCredential[]> {
		return await this.listAll('listCredentials', '/credentials', readCredential);
	}

	async listWorkflows(): Promise<InstanceWorkflow[]> {
		return await this.listAll('listWorkflows', '/workflows', readWorkflow, { excludePinnedData: true });
	}

	/** An execution's status and retry links (no data); null when n8n has no such execution (any more). */
	async executionState(id: string): Promise<ExecutionState | null> {
		const body = await this.send(
			'readExecution',
			{ path: `/executions/${encodeURIComponent(id)}`, qs: { includeData: false } },
			NOT_FOUND,
		);
		if (body === NOT_FOUND) return null;
		const state = readExecutionState(body);
		if (state === undefined)
			throw this.fail('readExecution', `n8n's public API answered GET /api/v1/executions/${id} with no execution`);
		return state;
	}

	/** Retries an execution (loadWorkflow: with the workflow as saved now) and answers when the retry finished. */
	async retryExecution(id: string, loadWorkflow: boolean): Promise<{ id: string; status: string }> {
		const body = await this.send('retryExecution', {
			method: 'POST',
			path: `/executions/${encodeURIComponent(id)}/retry`,
			body: { loadWorkflow },
			timeout: RETRY_TIMEOUT_MS,
		});
		const retried = readRetried(body);
		if (retried === undefined)
			throw this.fail('retryExecution', `n8n's public API answered the retry of execution ${id} with no new execution`);
		return retried;
	}

	/** n8n's own credential test of each credential, `concurrency` at a time, in input order. */
	async testCredentials(ids: readonly string[], concurrency: number): Promise<TestOutcome[]> {
		return await mapWithConcurrency(ids.length, concurrency, async (index) => {
			// n8n tests only credentials that belong to a project (not instance-wide ones): the others are untestable.
			const body = await this.send(
				'testCredential',
				{ method: 'POST', path: `/credentials/${encodeURIComponent(ids[index])}/test` },
				NOT_TESTABLE,
			);
			if (body === NOT_TESTABLE)
				return { kind: 'untestable', message: "n8n's API does not test this credential (it belongs to no project)" };
			const outcome = readTestResult(body);
			return { ...outcome, message: redactText(outcome.message, this.secrets) };
		});
	}
}
