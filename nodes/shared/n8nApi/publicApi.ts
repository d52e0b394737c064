/**
 * The instance's own public API (n8n 2.x, `/api/v1`), read by Audit Credentials and by Diagnose Error's affected
 * workflows. Pure: URLs, pages, the shapes n8n answers with, which credential types are OAuth2, which workflows use
 * which credential, and what to say when the API key may not do something. The requests are in publicApi.adapter.ts.
 *
 * Checked against n8n 2.40.7 (dist/public-api/v1/openapi.yml and its controllers):
 * - GET /credentials (API key scope credential:list; the owner and admins see every credential, never its data),
 *   paged with `limit` (at most 250) and `cursor`, answering { data: [{ id, name, type, … }], nextCursor };
 * - POST /credentials/{id}/test (scope credential:read) answers { status: 'OK' | 'Error', message }; a type without a
 *   test answers 'No testing function found for this credential.', an OAuth2 type without one is only checked for a
 *   stored access token ('Connection Successful!' or 'This OAuth2 credential was not connected to an account.');
 * - GET /workflows (scope workflow:list), paged the same way, each with `active`, `nodes` (their `credentials` as
 *   { [type]: { id, name } }) and, when published, `activeVersion.nodes` (what production runs);
 * - GET /executions/{id} (scope execution:read) and POST /executions/{id}/retry (scope execution:retry, body
 *   { loadWorkflow }: true runs the workflow as saved now, false as it was when the execution ran), used by Replay
 *   Failed Executions After Recovery; a finished (successful) execution answers 409, a deleted one 404.
 * A key without the scope gets 403 { message: 'Forbidden' }, which names nothing; the node names the scope.
 */
import { credentialTypeInfo } from '../credentialCatalog';
import { isRecord } from '../errors/facts';
import { withoutTrailingSlashes } from '../security/urls';
import type { Result } from '../types';
import { err, ok } from '../types';

/** What each call needs, as n8n names the API key scopes. */
export const API_SCOPES = {
	listCredentials: 'credential:list',
	testCredential: 'credential:read',
	listWorkflows: 'workflow:list',
	readExecution: 'execution:read',
	retryExecution: 'execution:retry',
} as const;
export type ApiCall = keyof typeof API_SCOPES;

const CALL_LABELS: Readonly<Record<ApiCall, string>> = {
	listCredentials: 'list the credentials of the instance',
	testCredential: 'test credentials',
	listWorkflows: 'list the workflows of the instance',
	readExecution: 'read executions',
	retryExecution: 'retry executions',
};

/** The scopes each feature's key needs, for the refusal's advice. */
const FEATURE_SCOPES: Readonly<Record<ApiCall, string>> = {
	listCredentials: 'Audit Credentials needs credential:list, credential:read, workflow:list',
	testCredential: 'Audit Credentials needs credential:list, credential:read, workflow:list',
	listWorkflows: 'Audit Credentials needs credential:list, credential:read, workflow:list',
	readExecution: 'Replay Failed Executions After Recovery needs execution:read, execution:retry',
	retryExecution: 'Replay Failed Executions After Recovery needs execution:read, execution:retry',
};

/** n8n's largest page. */
export const PAGE_LIMIT = 250;
/** A bound on pages per listing (50,000 records): a cursor that never ends cannot hold a run forever. */
export const MAX_PAGES = 200;
/**
 * Credential tests in flight at once: one. n8n 2.40's request-based credential test registers a stand-in node type
 * under one shared name for the duration of each test and deletes it afterwards, so overlapping tests fail each
 * other ("Node not found", another credential's request). Measured against n8n 2.40.7 in test/e2e/audit.e2e.test.ts.
 */
export const TEST_CONCURRENCY = 1;

export const NO_TEST_MESSAGE = 'No testing function found for this credential.';
/**
 * n8n's stand-in test for an OAuth2 type without a test of its own (most built-in ones): it passes whenever an
 * access token is stored and calls nobody, so its pass proves nothing about the grant. n8n 2.40's own wording
 * (constants.ts OAUTH2_CREDENTIAL_TEST_SUCCEEDED; a real test request passes as 'Connection successful!').
 */
export const STORED_TOKEN_ONLY_MESSAGE = 'Connection Successful!';

export function publicApiUrl(baseUrl: string, path: string): string {
	return `${withoutTrailingSlashes(baseUrl.trim())}/api/v1${path}`;
}

/** A Base URL the requests can be built on: http(s) with a host, nothing after the path. */
export function checkBaseUrl(value: unknown): Result<string, string> {
	const text = typeof value === 'string' ? value.trim() : '';
	if (text === '') return err('The N8n (Token Guard) API credential has no Base URL');
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return err('The Base URL of the N8n (Token Guard) API credential is not a URL');
	}
	if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '')
		return err('The Base URL of the N8n (Token Guard) API credential must be an http(s) address without query');
	return ok(withoutTrailingSlashes(text));
}

export interface Page<T> {
	items: T[];
	nextCursor: string | null;
}

/** One page of a listing; records that are not what n8n documents are skipped, not guessed at. */
export function readPage<T>(body: unknown, readItem: (raw: unknown) => T | undefined): Result<Page<T>, string> {
	if (!isRecord(body) || !Array.isArray(body.data)) return err('the answer is not a page of n8n records');
	const items: T[] = [];
	for (const raw of body.data) {
		const item = readItem(raw);
		if (item !== undefined) items.push(item);
	}
	const cursor = body.nextCursor;
	return ok({ items, nextCursor: typeof cursor === 'string' && cursor !== '' ? cursor : null });
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export interface InstanceCredential {
	id: string;
	name: string;
	type: string;
}

export function readCredential(raw: unknown): InstanceCredential | undefined {
	if (!isRecord(raw)) return undefined;
	const id = text(raw.id);
	const type = text(raw.type);
	if (id === undefined || type === undefined) return undefined;
	return { id, type, name: text(raw.name) ?? id };
}

export interface InstanceWorkflow {
	id: string;
	name: string;
	active: boolean;
	/** Ids of the credentials its nodes (saved or published) use. */
	credentialIds: string[];
}

function credentialIdsOf(nodes: unknown, into: Set<string>): void {
	if (!Array.isArray(nodes)) return;
	for (const node of nodes) {
		const credentials = isRecord(node) ? node.credentials : undefined;
		if (!isRecord(credentials)) continue;
		for (const reference of Object.values(credentials)) {
			const id = isRecord(reference) ? text(reference.id) : undefined;
			if (id !== undefined) into.add(id);
		}
	}
}

export function readWorkflow(raw: unknown): InstanceWorkflow | undefined {
	if (!isRecord(raw)) return undefined;
	const id = text(raw.id);
	if (id === undefined) return undefined;
	const ids = new Set<string>();
	credentialIdsOf(raw.nodes, ids);
	// A published workflow runs its active version, which may use other credentials than the draft.
	if (isRecord(raw.activeVersion)) credentialIdsOf(raw.activeVersion.nodes, ids);
	return { id, name: text(raw.name) ?? id, active: raw.active === true, credentialIds: [...ids] };
}

export interface WorkflowRef {
	id: string;
	name: string;
	active: boolean;
	url: string | null;
}

export function workflowUrl(instanceBaseUrl: string, workflowId: string): string | null {
	const base = typeof instanceBaseUrl === 'string' ? instanceBaseUrl.trim() : '';
	return base === '' ? null : `${withoutTrailingSlashes(base)}/workflow/${encodeURIComponent(workflowId)}`;
}

/** Credential id → the workflows that use it, active ones first, then by name. */
export function workflowsByCredential(
	workflows: readonly InstanceWorkflow[],
	instanceBaseUrl: string,
): Map<string, WorkflowRef[]> {
	const byCredential = new Map<string, WorkflowRef[]>();
	for (const workflow of workflows) {
		const ref: WorkflowRef = {
			id: workflow.id,
			name: workflow.name,
			active: workflow.active,
			url: workflowUrl(instanceBaseUrl, workflow.id),
		};
		for (const credentialId of workflow.credentialIds) {
			const list = byCredential.get(credentialId) ?? [];
			list.push(ref);
			byCredential.set(credentialId, list);
		}
	}
	for (const list of byCredential.values()) {
		list.sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name));
	}
	return byCredential;
}

// n8n names every OAuth2 credential type …OAuth2… (gmailOAuth2, mcpOAuth2Api, salesforceOAuth2Api): the instance's
// own list says which exist, so types this package does not know (MCP, agent tools, newer nodes) are found too.
const OAUTH2_TYPE = /oauth2/i;

/** Whether a credential type is an OAuth2 one: any …OAuth2… type of the instance, or an OAuth type of this package. */
export function isOAuthCredentialType(type: string): boolean {
	return OAUTH2_TYPE.test(type) || credentialTypeInfo(type) !== undefined;
}

export type TestOutcome =
	{ kind: 'passed'; message: string } | { kind: 'failed'; message: string } | { kind: 'untestable'; message: string };

/** n8n's credential test answer: passed, failed with n8n's message, or no test for this type. */
export function readTestResult(body: unknown): TestOutcome {
	const status = isRecord(body) ? body.status : undefined;
	const message = isRecord(body) && typeof body.message === 'string' ? body.message : '';
	if (status === 'OK' && message === STORED_TOKEN_ONLY_MESSAGE)
		return {
			kind: 'untestable',
			message: 'n8n has no test for this credential type: it only checked that an access token is stored',
		};
	if (status === 'OK') return { kind: 'passed', message };
	if (status === 'Error' && message.trim() === NO_TEST_MESSAGE) return { kind: 'untestable', message };
	if (status === 'Error') return { kind: 'failed', message: message === '' ? 'The credential test failed' : message };
	return { kind: 'untestable', message: 'n8n answered the credential test with no result' };
}

/** The refusal of an API call, naming what the key or its user lacks. */
export function refusal(call: ApiCall, status: number): { message: string; description: string } {
	const scope = API_SCOPES[call];
	if (status === 401) {
		return {
			message: `n8n rejected the API key (HTTP 401) when asked to ${CALL_LABELS[call]}`,
			description:
				'Check the API Key of the N8n (Token Guard) API credential: it may be mistyped, deleted or expired. Create a new one in Settings → n8n API.',
		};
	}
	return {
		message: `The n8n API key may not ${CALL_LABELS[call]} (HTTP ${status}): it needs the scope ${scope}`,
		description: `Edit the API key in Settings → n8n API and add the scope ${scope} (${FEATURE_SCOPES[call]}). ${call === 'readExecution' || call === 'retryExecution' ? "The key's user must also be allowed to run the failed workflows." : 'Listing every credential also needs the key to belong to the instance owner or an admin.'}`,
	};
}

/**
 * HTTP 405: this n8n's public API has the path but not the method. n8n 1.123 answers GET /api/v1/credentials so
 * ({"message":"GET method not allowed"}): listing credentials arrived with n8n 2.x.
 */
export function unsupportedCall(call: ApiCall, method: string, path: string): { message: string; description: string } {
	const feature = FEATURE_SCOPES[call].split(' needs ')[0];
	return {
		message: `This n8n's public API cannot ${CALL_LABELS[call]} (HTTP 405 to ${method} /api/v1${path}): ${feature} needs n8n 2.x`,
		description: `n8n 2.x's public API can ${CALL_LABELS[call]} (${method} /api/v1${path}, API key scope ${API_SCOPES[call]}); n8n 1.x's cannot. Update n8n to use ${feature}.`,
	};
}

/**
 * An execution as GET /executions/{id} (scope execution:read) answers, without its data: whether a replay is still
 * due. n8n 2.40.7: `status` (error, crashed, canceled, success, running, new, waiting, unknown), `mode`, `retryOf`
 * (this execution is a retry of that one) and `retrySuccessId` (a retry of this one succeeded).
 */
export interface ExecutionState {
	id: string;
	status: string;
	mode: string | null;
	retryOf: string | null;
	retrySuccessId: string | null;
}

const idText = (value: unknown): string | null =>
	typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

export function readExecutionState(raw: unknown): ExecutionState | undefined {
	if (!isRecord(raw)) return undefined;
	const id = idText(raw.id);
	if (id === null) return undefined;
	return {
		id,
		status: text(raw.status) ?? 'unknown',
		mode: text(raw.mode) ?? null,
		retryOf: idText(raw.retryOf),
		retrySuccessId: idText(raw.retrySuccessId),
	};
}

/**
 * What POST /executions/{id}/retry (scope execution:retry, body { loadWorkflow }) answered: n8n 2.40.7 waits for the
 * retry to finish and answers with the new execution, its id and status (its run data is never read here).
 */
export function readRetried(raw: unknown): { id: string; status: string } | undefined {
	if (!isRecord(raw)) return undefined;
	const id = idText(raw.id);
	return id === null ? undefined : { id, status: text(raw.status) ?? 'unknown' };
}
