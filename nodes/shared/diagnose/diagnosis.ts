/**
 * Any input item → the docs/ARCHITECTURE.md#taxonomy diagnosis. Understands what n8n hands an error workflow (the
 * Error Trigger's `execution` and `trigger` variants), items from a node's error output or "Continue On
 * Fail" (`json.error`), and any item whose chosen field holds an error. Pure: no n8n context, never
 * throws on malformed input (the one refusal — a field the user named that does not exist — comes back
 * as a typed error so the node can name the field). Finding the error in the item and reading its
 * evidence is errorPayload.ts; this file decides and words the diagnosis.
 */
import { classify } from '../classify/classifier';
import { credentialTypeInfo } from '../credentialCatalog';
import { credentialKind, shownTypeName } from '../classify/credentialKinds';
import { PROVIDER_LABELS } from '../classify/providers';
import { withoutTrailingSlashes } from '../security/urls';
import { redactedSnippet, redactText } from '../security/redact';
import { MAX_REMEDIATION_STEPS, RECONNECT_STEP, remediationFor, summaryFor } from './remediation';
import { CATEGORY_TRAITS } from '../classify/taxonomy';
import type { Action, Category, Classification, Provider, Result, Severity } from '../types';
import { ok } from '../types';
import type { DeclaredVerdict, DiagnosisSource, Extracted, Located, MissingFieldError } from './errorPayload';
import { extract, locate, normalisePath, pickCredential, resolveField } from './errorPayload';

export type { DiagnosisSource, MissingFieldError } from './errorPayload';

export interface DiagnosisCredential {
	type: string | null;
	id: string | null;
	name: string | null;
	reconnectUrl: string | null;
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
	/** `matched`: the fact that decided the category, as `kind: value` (never the evidence text itself). */
	evidence: { httpCode: number | null; oauthError: string | null; message: string | null; matched: string | null };
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

// Evidence texts are capped: messages can embed whole HTML pages; signals sit near the start.
const MAX_EVIDENCE_MESSAGE_LENGTH = 500;

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
		...(declared.category === classification.category
			? {}
			: {
					reason: `The failing Token Guard node recorded its own diagnosis (${declared.category}) when the failure happened.`,
					matched: `tokenGuard: the failing node's own diagnosis (${declared.category})`,
				}),
	};
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

/** A 401/403 to a node whose credential is an API key, header or basic auth: its secret was refused. */
function refusedKeyOrLogin(classification: Classification, credentialType: string | null | undefined): boolean {
	return (
		classification.category === 'not_auth_related' &&
		typeof credentialType === 'string' &&
		(classification.httpCode === 401 || classification.httpCode === 403) &&
		credentialKind(credentialType) === 'not_oauth'
	);
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
		if (credential !== undefined && refusedKeyOrLogin(classification, credential.type)) {
			return `Node ${nodeLabel(failedNode)} was refused (HTTP ${classification.httpCode}) with a credential that is not OAuth2 (${shownTypeName(credential.type)}): check its key or login; there is no OAuth token to refresh or reconnect.`;
		}
		return `The failure in node ${nodeLabel(failedNode)} is not related to authentication.`;
	}
	if (oauth && credential === undefined && failedNode.name) {
		// The seed story: an OAuth tool failed inside a model/agent node; name the real culprit.
		const provider =
			classification.provider === 'unknown' ? 'an OAuth' : `a ${PROVIDER_LABELS[classification.provider]} OAuth`;
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
		first.push(
			`Open the credential${credential.name ? ` "${credential.name}"` : ''} at ${credential.reconnectUrl} and reconnect it.`,
		);
	}
	if (refusedKeyOrLogin(classification, credential.type)) {
		const name = credential.name ? ` "${credential.name}"` : '';
		const where = credential.reconnectUrl ? ` at ${credential.reconnectUrl}` : '';
		first.push(`Open the credential${name}${where} and check its API key, token or login: the service refused it.`);
	}
	if (oauth && credential.type === null && failedNode.name) {
		first.push(
			`Node ${nodeLabel(failedNode)} has no OAuth credential of its own: check the OAuth credentials of the tools and sub-nodes connected to it (Gmail, Calendar, Drive, …) before changing any model API key.`,
		);
	}
	// The credential's own reconnect link says what the general reconnect step says, with the address.
	const rest = first.length > 0 ? steps.filter((step) => step !== RECONNECT_STEP) : steps;
	return [...first, ...rest].slice(0, MAX_REMEDIATION_STEPS);
}

const EMPTY_SOURCE: DiagnosisSource = {
	executionId: null,
	executionUrl: null,
	workflowId: null,
	workflowName: null,
	mode: null,
};

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
	matched: 'nothing: the item holds no error',
};

/** Where the error sits in the item: the field the user named (which may hold a whole Error Trigger item), else found. */
function locateError(json: unknown, errorField: string | undefined): Result<Located | undefined, MissingFieldError> {
	if (errorField === undefined || errorField.trim() === '') return ok(locate(json));
	const field = resolveField(json, errorField);
	if (!field.ok) return field;
	const fieldPath = normalisePath(errorField).join('.');
	const inner = locate(field.value);
	return ok(
		inner
			? { ...inner, path: inner.path === '$json' ? fieldPath : `${fieldPath}.${inner.path}` }
			: { error: field.value, path: fieldPath, source: {} },
	);
}

/**
 * Diagnoses one input item. Returns an error only when `errorField` names a field the item does not
 * have; every other input, however malformed, gets a diagnosis.
 */
export function diagnose(json: unknown, options: DiagnoseOptions): Result<Diagnosis, MissingFieldError> {
	const where = locateError(json, options.errorField);
	if (!where.ok) return where;
	const located = where.value;

	const found = located !== undefined && located.error !== undefined && located.error !== null && located.error !== '';
	const extracted: Extracted = found ? extract(located?.error) : { evidence: {}, credentials: [] };
	const classified = found ? classify(extracted.evidence) : NOTHING_FOUND;
	const classification = extracted.declared ? adoptDeclared(classified, extracted.declared) : classified;

	const chosen = pickCredential(extracted.credentials, classification);
	const provider: Provider =
		classification.provider !== 'unknown'
			? classification.provider
			: (chosen && credentialTypeInfo(chosen.type)?.provider) || 'unknown';
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
	const message =
		extracted.primaryMessage === undefined
			? null
			: redactedSnippet(extracted.primaryMessage, [], MAX_EVIDENCE_MESSAGE_LENGTH);

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
		evidence: {
			httpCode: decided.httpCode ?? null,
			oauthError: decided.oauthError ?? null,
			message,
			matched: decided.matched ?? null,
		},
		source: mergeSource(located?.source ?? {}, options.fallbackSource),
		reason: decided.reason,
		atTokenEndpoint: happenedAtTokenEndpoint(decided),
		errorFound: found,
		errorPath: found ? (located?.path ?? null) : null,
	});
}
