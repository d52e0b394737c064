/**
 * Reading an input item the way n8n hands failures around: finding the error in an Error Trigger
 * payload (`execution.error`, `trigger.error`), an error-output or "Continue On Fail" item (`error`), the
 * item itself or a field the user named; then pulling the classifier's evidence out of that error (texts,
 * status, codes, URL, WWW-Authenticate, n8n's `failure`), the failing node, its credentials and the
 * verdict a Token Guard node recorded. Own properties only and bounded everywhere: items are untrusted.
 */
import type { ErrorEvidence } from '../classify/classifier';
import { credentialTypeInfo } from '../credentialCatalog';
import { credentialKind } from '../classify/credentialKinds';
import { PROVIDER_LABELS } from '../classify/providers';
import { CATEGORY_TRAITS } from '../classify/taxonomy';
import { asHttpStatus, isNetworkCode, isRecord, readHeaderValues } from '../errors/facts';
import type { Category, Classification, HttpHeaders, Provider, Result } from '../types';
import { err, ok } from '../types';

export interface DiagnosisSource {
	executionId: string | null;
	executionUrl: string | null;
	workflowId: string | null;
	workflowName: string | null;
	mode: string | null;
}

export interface MissingFieldError {
	field: string;
	/** The longest prefix of the path that does exist, to help the user fix it. */
	existingPrefix: string;
	message: string;
}

const MAX_MESSAGES = 12;
const MAX_PRUNE_DEPTH = 6;
const MAX_PRUNE_KEYS = 60;
const MAX_PATH_SEGMENTS = 32;

/**
 * Keys that describe the workflow, not the failure (user parameters could say "rate limit" and mislead),
 * and Token Guard's own recorded verdict, which is adopted as a whole rather than re-read as text.
 */
const NON_EVIDENCE_KEYS = new Set([
	'node',
	'stack',
	'parameters',
	'workflow',
	'tags',
	'level',
	'shouldReport',
	'functionality',
	'timestamp',
	'lineNumber',
	'tokenGuard',
]);

const WWW_AUTHENTICATE_IN_TEXT_RE = /www-authenticate["']?\s*[:=]\s*["']?((?:Bearer|Basic|DPoP)\b[^\n"']{0,400})/i;
const BEARER_CHALLENGE_IN_TEXT_RE = /\b(Bearer\s+(?:realm="[^"]*",\s*)?error="[a-z_]+"[^\n]{0,300})/i;

type JsonRecord = Record<string, unknown>;

const asRecord = (value: unknown): JsonRecord | undefined => (isRecord(value) ? value : undefined);

const asText = (value: unknown): string | undefined =>
	typeof value === 'string' && value.trim() !== ''
		? value
		: typeof value === 'number' && Number.isFinite(value)
			? String(value)
			: undefined;

const own = (record: JsonRecord | undefined, key: string): unknown =>
	record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;

/** Payload statuses may carry spaces (`" 401 "`), which the fact reader does not accept. */
const httpStatus = (value: unknown): number | undefined =>
	asHttpStatus(typeof value === 'string' ? value.trim() : value);

// ---------------------------------------------------------------------------------------------
// Locating the error in the item

export interface Located {
	error: unknown;
	path: string;
	source: Partial<DiagnosisSource>;
	/** Name of the node n8n last ran, when the error itself does not carry the node. */
	lastNodeExecuted?: string;
}

export function normalisePath(field: string): string[] {
	const trimmed = field.trim().replace(/^\$json\.|^json\./, '');
	return trimmed
		.replace(/\[(\d+)\]/g, '.$1')
		.split('.')
		.filter((segment) => segment !== '')
		.slice(0, MAX_PATH_SEGMENTS);
}

/** Resolves `a.b.0.c` in the item; own properties only, so `__proto__`/`constructor` never resolve. */
export function resolveField(json: unknown, field: string): Result<unknown, MissingFieldError> {
	const segments = normalisePath(field);
	let current: unknown = json;
	const walked: string[] = [];
	for (const segment of segments) {
		const container = typeof current === 'object' && current !== null ? (current as JsonRecord) : undefined;
		if (container === undefined || !Object.prototype.hasOwnProperty.call(container, segment)) {
			const prefix = walked.join('.');
			return err({
				field,
				existingPrefix: prefix,
				message: `The item has no field "${segments.join('.')}"${prefix ? ` (it stops after "${prefix}")` : ''}`,
			});
		}
		current = container[segment];
		walked.push(segment);
	}
	return ok(current);
}

export function locate(json: unknown): Located | undefined {
	const item = asRecord(json);
	if (!item) return undefined;
	const workflow = asRecord(own(item, 'workflow'));
	const workflowSource = {
		workflowId: asText(own(workflow, 'id')) ?? null,
		workflowName: asText(own(workflow, 'name')) ?? null,
	};

	const execution = asRecord(own(item, 'execution'));
	if (execution && own(execution, 'error') !== undefined) {
		return {
			error: own(execution, 'error'),
			path: 'execution.error',
			source: {
				executionId: asText(own(execution, 'id')) ?? null,
				executionUrl: asText(own(execution, 'url')) ?? null,
				mode: asText(own(execution, 'mode')) ?? null,
				...workflowSource,
			},
			lastNodeExecuted: asText(own(execution, 'lastNodeExecuted')),
		};
	}
	const trigger = asRecord(own(item, 'trigger'));
	if (trigger && own(trigger, 'error') !== undefined) {
		// A trigger or activation failure: n8n saved no execution, so there is no id or URL.
		return {
			error: own(trigger, 'error'),
			path: 'trigger.error',
			source: {
				executionId: null,
				executionUrl: null,
				mode: asText(own(trigger, 'mode')) ?? 'trigger',
				...workflowSource,
			},
		};
	}
	if (own(item, 'error') !== undefined && own(item, 'error') !== null && own(item, 'error') !== '') {
		return { error: own(item, 'error'), path: 'error', source: {} };
	}
	// The error object itself (e.g. `{{ $json.execution.error }}` mapped by a Set node).
	if (['message', 'description', 'httpCode', 'failure', 'messages'].some((key) => own(item, key) !== undefined)) {
		return { error: item, path: '$json', source: {} };
	}
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// Evidence from an error value

const SAFE_OAUTH_ERROR_RE = /^[A-Za-z_]{1,48}$/;

function declaredVerdict(value: unknown): DeclaredVerdict | undefined {
	const record = asRecord(value);
	const category = own(record, 'category');
	if (typeof category !== 'string' || !Object.prototype.hasOwnProperty.call(CATEGORY_TRAITS, category))
		return undefined;
	const provider = own(record, 'provider');
	const oauthError = own(record, 'oauthError');
	return {
		category: category as Category,
		...(typeof provider === 'string' && Object.prototype.hasOwnProperty.call(PROVIDER_LABELS, provider)
			? { provider: provider as Provider }
			: {}),
		...(typeof oauthError === 'string' && SAFE_OAUTH_ERROR_RE.test(oauthError) ? { oauthError } : {}),
	};
}

/** The verdict a Token Guard node wrote on its own error (`context.tokenGuard`, see nodeErrors.ts). */
export interface DeclaredVerdict {
	category: Category;
	provider?: Provider;
	oauthError?: string;
}

export interface Extracted {
	evidence: ErrorEvidence;
	declared?: DeclaredVerdict;
	primaryMessage?: string;
	node?: { name?: string; type?: string };
	credentials: Array<{ type: string; id?: string; name?: string }>;
}

/** A copy without keys that describe the workflow rather than the failure; bounded in size and depth. */
function pruneForEvidence(value: unknown, depth = 0): unknown {
	if (depth > MAX_PRUNE_DEPTH) return undefined;
	if (Array.isArray(value)) return value.slice(0, 20).map((item) => pruneForEvidence(item, depth + 1));
	const record = asRecord(value);
	if (!record) return value;
	const copy: JsonRecord = {};
	for (const key of Object.keys(record).slice(0, MAX_PRUNE_KEYS)) {
		if (NON_EVIDENCE_KEYS.has(key)) continue;
		copy[key] = pruneForEvidence(record[key], depth + 1);
	}
	return copy;
}

function pushMessage(messages: string[], value: unknown): void {
	if (messages.length >= MAX_MESSAGES) return;
	if (typeof value === 'string' && value.trim() !== '' && !messages.includes(value)) messages.push(value);
	else if (Array.isArray(value)) for (const item of value.slice(0, MAX_MESSAGES)) pushMessage(messages, item);
}

function firstDefined<T>(values: Array<T | undefined>): T | undefined {
	return values.find((value) => value !== undefined);
}

function credentialsOf(node: JsonRecord | undefined): Extracted['credentials'] {
	const credentials = asRecord(own(node, 'credentials'));
	if (!credentials) return [];
	return Object.keys(credentials)
		.slice(0, 10)
		.map((type) => {
			const details = asRecord(credentials[type]);
			return { type, id: asText(own(details, 'id')), name: asText(own(details, 'name')) };
		});
}

/** The objects around an error that carry evidence: its cause, n8n's context, the HTTP exchange, the node. */
interface Surroundings {
	record: JsonRecord;
	cause?: JsonRecord;
	context?: JsonRecord;
	response?: JsonRecord;
	config?: JsonRecord;
	request?: JsonRecord;
	node?: JsonRecord;
}

function surroundingsOf(record: JsonRecord): Surroundings {
	const cause = asRecord(own(record, 'cause'));
	const context = asRecord(own(record, 'context'));
	return {
		record,
		cause,
		context,
		response: asRecord(own(record, 'response')) ?? asRecord(own(cause, 'response')),
		config: asRecord(own(record, 'config')) ?? asRecord(own(cause, 'config')),
		request: asRecord(own(context, 'request')) ?? asRecord(own(record, 'request')),
		node: asRecord(own(record, 'node')) ?? asRecord(own(cause, 'node')),
	};
}

function messagesOf({ record, cause }: Surroundings): string[] {
	const messages: string[] = [];
	for (const source of [record, cause]) {
		pushMessage(messages, own(source, 'message'));
		pushMessage(messages, own(source, 'description'));
		pushMessage(messages, own(source, 'messages'));
		pushMessage(messages, own(source, 'error_description'));
	}
	// `{ error: "invalid_grant" }` or `{ error: { message } }` nested one level down.
	const nestedError = own(record, 'error');
	if (typeof nestedError === 'string') pushMessage(messages, nestedError);
	else pushMessage(messages, own(asRecord(nestedError), 'message'));
	return messages;
}

function statusOf({ record, response, cause }: Surroundings): number | undefined {
	return firstDefined([
		httpStatus(own(record, 'httpCode')),
		httpStatus(own(record, 'statusCode')),
		httpStatus(own(record, 'status')),
		httpStatus(own(response, 'status')),
		httpStatus(own(response, 'statusCode')),
		httpStatus(own(cause, 'httpCode')),
		httpStatus(own(cause, 'status')),
	]);
}

/** The response's header first; otherwise a challenge quoted in the error text. */
function wwwAuthenticateOf({ response }: Surroundings, text: string): string | undefined {
	const headers = asRecord(own(response, 'headers'));
	return (
		(headers === undefined ? undefined : readHeaderValues(headers as HttpHeaders, 'www-authenticate')?.[0]) ??
		WWW_AUTHENTICATE_IN_TEXT_RE.exec(text)?.[1] ??
		BEARER_CHALLENGE_IN_TEXT_RE.exec(text)?.[1]
	);
}

function urlOf({ record, config, request }: Surroundings): string | undefined {
	return [own(config, 'url'), own(request, 'url'), own(request, 'uri'), own(record, 'url')].find(
		(candidate): candidate is string => typeof candidate === 'string' && candidate.length < 2048,
	);
}

function evidenceOf(around: Surroundings, messages: string[], credentials: Extracted['credentials']): ErrorEvidence {
	const { record, cause, response, node } = around;
	const nestedError = own(record, 'error');
	const failure = asRecord(own(record, 'failure')) ?? asRecord(own(cause, 'failure'));
	return {
		status: statusOf(around),
		messages,
		// Whatever else the error carries (provider bodies, cause, context) is walked by the classifier.
		body: pruneForEvidence({
			cause: own(record, 'cause'),
			context: own(record, 'context'),
			error: typeof nestedError === 'object' ? nestedError : undefined,
			errorResponse: own(record, 'errorResponse'),
			data: own(response, 'data') ?? own(response, 'body') ?? own(record, 'body') ?? own(record, 'data'),
		}),
		wwwAuthenticate: wwwAuthenticateOf(around, messages.join('\n')),
		url: urlOf(around),
		networkCode: [own(record, 'code'), own(cause, 'code'), own(record, 'errno')].find(isNetworkCode),
		failureCause: asText(own(failure, 'cause')),
		credentialType: pickCredential(credentials, undefined)?.type,
		credentialTypes: credentials.map((credential) => credential.type),
		nodeType: asText(own(node, 'type')),
	};
}

/** Everything n8n (or another tool) put on an error: texts, status, codes, URLs, headers, node, credentials. */
export function extract(error: unknown): Extracted {
	if (typeof error === 'string' || typeof error === 'number') {
		return { evidence: { messages: [String(error)] }, primaryMessage: String(error), credentials: [] };
	}
	if (Array.isArray(error)) {
		const messages: string[] = [];
		pushMessage(messages, error);
		return { evidence: { messages, body: pruneForEvidence(error) }, primaryMessage: messages[0], credentials: [] };
	}
	const record = asRecord(error);
	if (!record) return { evidence: {}, credentials: [] };

	const around = surroundingsOf(record);
	const messages = messagesOf(around);
	const credentials = credentialsOf(around.node);
	const declared = declaredVerdict(own(around.context, 'tokenGuard'));
	const node = around.node;
	return {
		evidence: evidenceOf(around, messages, credentials),
		...(declared ? { declared } : {}),
		primaryMessage: messages[0],
		node: node ? { name: asText(own(node, 'name')), type: asText(own(node, 'type')) } : undefined,
		credentials,
	};
}

/**
 * The credential a diagnosis is about. An OAuth failure belongs to an OAuth credential even when the
 * failing node also holds an API key (a model node with a Gmail tool); an API-key failure to the key.
 */
export function pickCredential(
	credentials: Extracted['credentials'],
	classification: Classification | undefined,
): Extracted['credentials'][number] | undefined {
	if (credentials.length === 0) return undefined;
	const oauth = credentials.filter((credential) => credentialKind(credential.type) === 'oauth');
	if (classification === undefined) return oauth[0] ?? credentials[0];
	if (classification.category === 'model_api_key')
		return credentials.find((credential) => !oauth.includes(credential)) ?? credentials[0];
	if (CATEGORY_TRAITS[classification.category].isOAuthIssue) {
		const sameProvider = oauth.find(
			(credential) => credentialTypeInfo(credential.type)?.provider === classification.provider,
		);
		return sameProvider ?? oauth[0];
	}
	return oauth[0] ?? credentials[0];
}
