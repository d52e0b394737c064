/**
 * Any input item → the docs/ARCHITECTURE.md#taxonomy diagnosis. Understands what n8n hands an error workflow (the
 * Error Trigger's `execution` and `trigger` variants), items from a node's error output or "Continue On
 * Fail" (`json.error`), and any item whose chosen field holds an error. Pure: no n8n context, never
 * throws on malformed input (the one refusal — a field the user named that does not exist — comes back
 * as a typed error so the node can name the field).
 */
import type { ErrorEvidence } from '../classify/classifier';
import { classify } from '../classify/classifier';
import { credentialTypeInfo } from '../credentialCatalog';
import { PROVIDER_LABELS } from '../classify/providers';
import { withoutTrailingSlashes } from '../security/urls';
import { redactedSnippet, redactText } from '../security/redact';
import { remediationFor, summaryFor } from './remediation';
import { CATEGORY_TRAITS } from '../classify/taxonomy';
import type { Action, Category, Classification, Provider, Result, Severity } from '../types';
import { err, ok } from '../types';

export interface DiagnosisCredential {
	type: string | null;
	id: string | null;
	name: string | null;
	reconnectUrl: string | null;
}

export interface DiagnosisSource {
	executionId: string | null;
	executionUrl: string | null;
	workflowId: string | null;
	workflowName: string | null;
	mode: string | null;
}

export interface Diagnosis {
	isOAuthIssue: boolean;
	category: Category;
	action: Action;
	retryable: boolean;
	severity: Severity;
	summary: string;
	remediation: string[];
	failedNode: { name: string | null; type: string | null };
	credential: DiagnosisCredential;
	provider: Provider;
	evidence: { httpCode: number | null; oauthError: string | null; message: string | null };
	source: DiagnosisSource;
	/** Which evidence decided the category, in one sentence (never quotes the evidence itself). */
	reason: string;
	/** True when the failure happened at a token endpoint (a refresh), not at the API the node called. */
	atTokenEndpoint: boolean;
	/** False when the item holds no error at all: nothing was diagnosed and no event is sent. */
	errorFound: boolean;
	/** Where the error was found: `execution.error`, `trigger.error`, `error`, `$json` (the item itself) or the named field. */
	errorPath: string | null;
}

export interface DiagnoseOptions {
	/** The n8n instance's base URL, for reconnect links. */
	instanceBaseUrl: string;
	/** Dotted path of the field holding the error (`body.lastError`, `$json.result.error`); empty = detect. */
	errorField?: string;
	/** The current execution, used when the item does not say which execution failed (error output items). */
	fallbackSource?: Partial<DiagnosisSource>;
}

export interface MissingFieldError {
	field: string;
	/** The longest prefix of the path that does exist, to help the user fix it. */
	existingPrefix: string;
	message: string;
}

// Evidence texts are capped: messages can embed whole HTML pages; signals sit near the start.
const MAX_EVIDENCE_MESSAGE_LENGTH = 500;
const MAX_MESSAGES = 12;
const MAX_PRUNE_DEPTH = 6;
const MAX_PRUNE_KEYS = 60;
const MAX_PATH_SEGMENTS = 32;

/**
 * Keys that describe the workflow, not the failure (user parameters could say "rate limit" and mislead),
 * and Token Guard's own recorded verdict, which is adopted as a whole rather than re-read as text.
 */
const NON_EVIDENCE_KEYS = new Set(['node', 'stack', 'parameters', 'workflow', 'tags', 'level', 'shouldReport', 'functionality', 'timestamp', 'lineNumber', 'tokenGuard']);

const NETWORK_CODE_RE = /^(?:E[A-Z0-9_]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)$/;
const WWW_AUTHENTICATE_IN_TEXT_RE = /www-authenticate["']?\s*[:=]\s*["']?((?:Bearer|Basic|DPoP)\b[^\n"']{0,400})/i;
const BEARER_CHALLENGE_IN_TEXT_RE = /\b(Bearer\s+(?:realm="[^"]*",\s*)?error="[a-z_]+"[^\n]{0,300})/i;
const OAUTH_TYPE_RE = /oauth/i;

type JsonRecord = Record<string, unknown>;

const asRecord = (value: unknown): JsonRecord | undefined =>
	typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;

const asText = (value: unknown): string | undefined =>
	typeof value === 'string' && value.trim() !== '' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;

const own = (record: JsonRecord | undefined, key: string): unknown =>
	record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;

function httpStatus(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\s*\d{3}\s*$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 100 && number <= 599 ? number : undefined;
}

// ---------------------------------------------------------------------------------------------
// Locating the error in the item

interface Located {
	error: unknown;
	path: string;
	source: Partial<DiagnosisSource>;
	/** Name of the node n8n last ran, when the error itself does not carry the node. */
	lastNodeExecuted?: string;
}

function normalisePath(field: string): string[] {
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

function locate(json: unknown): Located | undefined {
	const item = asRecord(json);
	if (!item) return undefined;
	const workflow = asRecord(own(item, 'workflow'));
	const workflowSource = { workflowId: asText(own(workflow, 'id')) ?? null, workflowName: asText(own(workflow, 'name')) ?? null };

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
			source: { executionId: null, executionUrl: null, mode: asText(own(trigger, 'mode')) ?? 'trigger', ...workflowSource },
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
	if (typeof category !== 'string' || !Object.prototype.hasOwnProperty.call(CATEGORY_TRAITS, category)) return undefined;
	const provider = own(record, 'provider');
	const oauthError = own(record, 'oauthError');
	return {
		category: category as Category,
		...(typeof provider === 'string' && Object.prototype.hasOwnProperty.call(PROVIDER_LABELS, provider) ? { provider: provider as Provider } : {}),
		...(typeof oauthError === 'string' && SAFE_OAUTH_ERROR_RE.test(oauthError) ? { oauthError } : {}),
	};
}

/** The verdict a Token Guard node wrote on its own error (`context.tokenGuard`, see nodeErrors.ts). */
interface DeclaredVerdict {
	category: Category;
	provider?: Provider;
	oauthError?: string;
}

interface Extracted {
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

function headerFrom(headers: unknown, name: string): string | undefined {
	const record = asRecord(headers);
	if (!record) return undefined;
	const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
	const value = key === undefined ? undefined : record[key];
	if (Array.isArray(value)) return value.find((item): item is string => typeof item === 'string');
	return typeof value === 'string' ? value : undefined;
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

/** Everything n8n (or another tool) put on an error: texts, status, codes, URLs, headers, node, credentials. */
function extract(error: unknown): Extracted {
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

	const cause = asRecord(own(record, 'cause'));
	const context = asRecord(own(record, 'context'));
	const response = asRecord(own(record, 'response')) ?? asRecord(own(cause, 'response'));
	const config = asRecord(own(record, 'config')) ?? asRecord(own(cause, 'config'));
	const request = asRecord(own(context, 'request')) ?? asRecord(own(record, 'request'));
	const node = asRecord(own(record, 'node')) ?? asRecord(own(cause, 'node'));

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

	const text = messages.join('\n');
	const wwwAuthenticate =
		headerFrom(own(response, 'headers'), 'www-authenticate') ??
		WWW_AUTHENTICATE_IN_TEXT_RE.exec(text)?.[1] ??
		BEARER_CHALLENGE_IN_TEXT_RE.exec(text)?.[1];
	const networkCode = [own(record, 'code'), own(cause, 'code'), own(record, 'errno')].find(
		(code): code is string => typeof code === 'string' && NETWORK_CODE_RE.test(code),
	);
	const url = [own(config, 'url'), own(request, 'url'), own(request, 'uri'), own(record, 'url')].find(
		(candidate): candidate is string => typeof candidate === 'string' && candidate.length < 2048,
	);
	const failure = asRecord(own(record, 'failure')) ?? asRecord(own(cause, 'failure'));
	const credentials = credentialsOf(node);
	const declared = declaredVerdict(own(context, 'tokenGuard'));

	const evidence: ErrorEvidence = {
		status: firstDefined([
			httpStatus(own(record, 'httpCode')),
			httpStatus(own(record, 'statusCode')),
			httpStatus(own(record, 'status')),
			httpStatus(own(response, 'status')),
			httpStatus(own(response, 'statusCode')),
			httpStatus(own(cause, 'httpCode')),
			httpStatus(own(cause, 'status')),
		]),
		messages,
		// Whatever else the error carries (provider bodies, cause, context) is walked by the classifier.
		body: pruneForEvidence({
			cause: own(record, 'cause'),
			context: own(record, 'context'),
			error: typeof nestedError === 'object' ? nestedError : undefined,
			errorResponse: own(record, 'errorResponse'),
			data: own(response, 'data') ?? own(response, 'body') ?? own(record, 'body') ?? own(record, 'data'),
		}),
		wwwAuthenticate,
		url,
		networkCode,
		failureCause: asText(own(failure, 'cause')),
		credentialType: pickCredential(credentials, undefined)?.type,
		nodeType: asText(own(node, 'type')),
	};
	return {
		evidence,
		...(declared ? { declared } : {}),
		primaryMessage: messages[0],
		node: node ? { name: asText(own(node, 'name')), type: asText(own(node, 'type')) } : undefined,
		credentials,
	};
}

// ---------------------------------------------------------------------------------------------
// Deciding

/** A Token Guard node already classified its failure with more context than the error text carries. */
function adoptDeclared(classification: Classification, declared: DeclaredVerdict): Classification {
	const { action, retryable, severity } = CATEGORY_TRAITS[declared.category];
	const provider = declared.provider && declared.provider !== 'unknown' ? declared.provider : classification.provider;
	const oauthError = declared.oauthError ?? classification.oauthError;
	return {
		...classification,
		category: declared.category,
		action,
		retryable,
		severity,
		provider,
		...(oauthError === undefined ? {} : { oauthError }),
		reason:
			declared.category === classification.category
				? classification.reason
				: `The failing Token Guard node recorded its own diagnosis (${declared.category}) when the failure happened.`,
	};
}

/**
 * The credential a diagnosis is about. An OAuth failure belongs to an OAuth credential even when the
 * failing node also holds an API key (a model node with a Gmail tool); an API-key failure to the key.
 */
function pickCredential(
	credentials: Extracted['credentials'],
	classification: Classification | undefined,
): Extracted['credentials'][number] | undefined {
	if (credentials.length === 0) return undefined;
	const oauth = credentials.filter((credential) => OAUTH_TYPE_RE.test(credential.type) || credentialTypeInfo(credential.type) !== undefined);
	if (classification === undefined) return oauth[0] ?? credentials[0];
	if (classification.category === 'model_api_key') return credentials.find((credential) => !oauth.includes(credential)) ?? credentials[0];
	if (CATEGORY_TRAITS[classification.category].isOAuthIssue) {
		const sameProvider = oauth.find((credential) => credentialTypeInfo(credential.type)?.provider === classification.provider);
		return sameProvider ?? oauth[0];
	}
	return oauth[0] ?? credentials[0];
}

/**
 * Whether the failure happened at a token endpoint (the classifier's verdict): the diagnosis needs that
 * one bit to call throttling or an outage *of the token endpoint* an OAuth issue.
 */
export function happenedAtTokenEndpoint(classification: Pick<Classification, 'atTokenEndpoint'>): boolean {
	return classification.atTokenEndpoint === true;
}

export function isOAuthIssue(classification: Classification): boolean {
	if (CATEGORY_TRAITS[classification.category].isOAuthIssue) return true;
	const transient = classification.category === 'rate_limited' || classification.category === 'provider_unavailable';
	return transient && happenedAtTokenEndpoint(classification);
}

const REFRESH_CATEGORIES: ReadonlySet<Category> = new Set(['refresh_token_invalid', 'refresh_token_missing']);

/** A failure of the token refresh itself (announced as refresh.failed as well as error.diagnosed). */
export function isRefreshFailure(diagnosis: Pick<Diagnosis, 'category' | 'atTokenEndpoint' | 'isOAuthIssue'>): boolean {
	return diagnosis.isOAuthIssue && (REFRESH_CATEGORIES.has(diagnosis.category) || happenedAtTokenEndpoint(diagnosis));
}

/**
 * The "Needs Attention" rule: every OAuth issue and everything at warning or above (model API keys,
 * throttling, outages). Only `not_auth_related` (severity info) goes to "OK".
 */
export function needsAttention(diagnosis: Pick<Diagnosis, 'isOAuthIssue' | 'severity'>): boolean {
	return diagnosis.isOAuthIssue || diagnosis.severity !== 'info';
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `${instanceBaseUrl}/home/credentials/<id>`: the editor route that opens the credential's modal. */
export function reconnectUrlFor(instanceBaseUrl: string, credentialId: string | undefined): string | null {
	if (!credentialId || typeof instanceBaseUrl !== 'string' || instanceBaseUrl.trim() === '') return null;
	// Ids come from error payloads; encodeURIComponent throws on a lone surrogate, so it becomes U+FFFD (as String#toWellFormed does).
	const encodedId = encodeURIComponent(credentialId.replace(LONE_SURROGATE, '\uFFFD'));
	return `${withoutTrailingSlashes(instanceBaseUrl.trim())}/home/credentials/${encodedId}`;
}

function nodeLabel(node: { name: string | null; type: string | null }): string {
	return node.name ? `"${node.name.replace(/"/g, "'")}"` : 'that failed';
}

function summaryOf(
	classification: Classification,
	credential: Extracted['credentials'][number] | undefined,
	failedNode: Diagnosis['failedNode'],
	oauth: boolean,
	found: boolean,
): string {
	if (!found) return 'No error was found in this item, so there is nothing to diagnose.';
	if (classification.category === 'not_auth_related') {
		return `The failure in node ${nodeLabel(failedNode)} is not related to authentication.`;
	}
	if (oauth && credential === undefined && failedNode.name) {
		// The seed story: an OAuth tool failed inside a model/agent node; name the real culprit.
		const provider = classification.provider === 'unknown' ? 'an OAuth' : `a ${PROVIDER_LABELS[classification.provider]} OAuth`;
		return `${summaryFor(classification)} It is ${provider} credential used by node ${nodeLabel(failedNode)} or one of its tools, not a model API key.`;
	}
	return summaryFor(classification, credential?.name);
}

function remediationOf(
	classification: Classification,
	credential: DiagnosisCredential,
	failedNode: Diagnosis['failedNode'],
	oauth: boolean,
	found: boolean,
): string[] {
	if (!found) {
		return [
			'Connect this node to an Error Trigger, to a node\'s error output, or to items from "Continue On Fail", or set "Error Field" to the field that holds the error message.',
		];
	}
	const steps = remediationFor(classification.category, classification.provider);
	const first: string[] = [];
	if (credential.reconnectUrl && classification.action === 'reconnect') {
		first.push(`Open the credential${credential.name ? ` "${credential.name}"` : ''} at ${credential.reconnectUrl} and reconnect it.`);
	}
	if (oauth && credential.type === null && failedNode.name) {
		first.push(
			`Node ${nodeLabel(failedNode)} has no OAuth credential of its own: check the OAuth credentials of the tools and sub-nodes connected to it (Gmail, Calendar, Drive, …) before changing any model API key.`,
		);
	}
	return [...first, ...steps];
}

const EMPTY_SOURCE: DiagnosisSource = { executionId: null, executionUrl: null, workflowId: null, workflowName: null, mode: null };

/** A field the item states (even as null: a trigger failure has no execution) wins over the fallback. */
function mergeSource(found: Partial<DiagnosisSource>, fallback: Partial<DiagnosisSource> | undefined): DiagnosisSource {
	const merged: DiagnosisSource = { ...EMPTY_SOURCE };
	for (const key of Object.keys(EMPTY_SOURCE) as Array<keyof DiagnosisSource>) {
		merged[key] = found[key] !== undefined ? found[key] : (fallback?.[key] ?? null);
	}
	return merged;
}

const NOTHING_FOUND: Classification = {
	...CATEGORY_TRAITS.not_auth_related,
	category: 'not_auth_related',
	provider: 'unknown',
	reason:
		'The item holds no error: expected "execution.error" (Error Trigger), "trigger.error", "error" (error output or Continue On Fail) or the field named in "Error Field".',
};

/**
 * Diagnoses one input item. Returns an error only when `errorField` names a field the item does not
 * have; every other input, however malformed, gets a diagnosis.
 */
export function diagnose(json: unknown, options: DiagnoseOptions): Result<Diagnosis, MissingFieldError> {
	let located: Located | undefined;
	if (options.errorField !== undefined && options.errorField.trim() !== '') {
		const field = resolveField(json, options.errorField);
		if (!field.ok) return field;
		const fieldPath = normalisePath(options.errorField).join('.');
		// The field may itself hold a whole Error Trigger item or error-output item.
		const inner = locate(field.value);
		located = inner
			? { ...inner, path: inner.path === '$json' ? fieldPath : `${fieldPath}.${inner.path}` }
			: { error: field.value, path: fieldPath, source: {} };
	} else {
		located = locate(json);
	}

	const found = located !== undefined && located.error !== undefined && located.error !== null && located.error !== '';
	const extracted: Extracted = found ? extract(located?.error) : { evidence: {}, credentials: [] };
	const classified = found ? classify(extracted.evidence) : NOTHING_FOUND;
	const classification = extracted.declared ? adoptDeclared(classified, extracted.declared) : classified;

	const chosen = pickCredential(extracted.credentials, classification);
	const provider: Provider =
		classification.provider !== 'unknown' ? classification.provider : (chosen && credentialTypeInfo(chosen.type)?.provider) || 'unknown';
	const decided: Classification = { ...classification, provider };
	const oauth = found && isOAuthIssue(decided);

	const failedNode = {
		name: extracted.node?.name ?? located?.lastNodeExecuted ?? null,
		type: extracted.node?.type ?? null,
	};
	const credential: DiagnosisCredential = {
		type: chosen?.type ?? null,
		id: chosen?.id ?? null,
		name: chosen?.name ?? null,
		reconnectUrl: reconnectUrlFor(options.instanceBaseUrl, chosen?.id),
	};
	const message = extracted.primaryMessage === undefined ? null : redactedSnippet(extracted.primaryMessage, [], MAX_EVIDENCE_MESSAGE_LENGTH);

	return ok({
		isOAuthIssue: oauth,
		category: decided.category,
		action: decided.action,
		retryable: decided.retryable,
		severity: decided.severity,
		summary: redactText(summaryOf(decided, chosen, failedNode, oauth, found)),
		remediation: remediationOf(decided, credential, failedNode, oauth, found).map((step) => redactText(step)),
		failedNode,
		credential,
		provider,
		evidence: { httpCode: decided.httpCode ?? null, oauthError: decided.oauthError ?? null, message },
		source: mergeSource(located?.source ?? {}, options.fallbackSource),
		reason: decided.reason,
		atTokenEndpoint: happenedAtTokenEndpoint(decided),
		errorFound: found,
		errorPath: found ? (located?.path ?? null) : null,
	});
}
