/**
 * The classifier's evidence and the facts read from it once: every text (capped), the codes from
 * authoritative and hint fields (parsed bodies, escaped JSON inside messages, WWW-Authenticate), the HTTP
 * status (given, in the body or in the text), the provider, and whether the failure came from a token
 * endpoint or a language-model service. The rules in rules.ts only read these facts.
 */
import { detectProvider, urlLikeWords } from './providers';
import { asHttpStatus } from '../errors/facts';
import type { Provider } from '../types';
import { bearerError } from '../oauth/wwwAuthenticate';
import { CODE_IN_TEXT_RE } from './codes';
import type { CredentialKind } from './credentialKinds';
import { credentialKind } from './credentialKinds';
import {
	MODEL_CREDENTIAL_RE,
	MODEL_HOST_RE,
	MODEL_NODE_RE,
	N8N_CLIENT_CREDENTIALS_RE,
	N8N_NON_JSON_TOKEN_RE,
	N8N_STATUS_TEXTS,
	REFRESH_CONTEXT_RE,
	STATUS_IN_TEXT_RE,
	TOKEN_PATH_RE,
} from './signatures';

export interface ErrorEvidence {
	status?: number;
	oauthError?: string;
	errorDescription?: string;
	wwwAuthenticate?: string | string[];
	/** Response body: raw text, a Buffer, or parsed JSON. */
	body?: unknown;
	/** Error texts: message, description, messages[] of an n8n error… */
	messages?: string[];
	url?: string;
	/** The failing node's credential type this failure is most likely about (OAuth first). */
	credentialType?: string;
	/** Every credential type on the failing node (an agent holds a model key and its tools' OAuth credentials). */
	credentialTypes?: string[];
	nodeType?: string;
	/** n8n's `error.failure.cause` (2.39+), e.g. `credential-invalid`. */
	failureCause?: string;
	/** Node.js / axios error code, e.g. `ECONNREFUSED`. */
	networkCode?: string;
	phase?: 'token_endpoint' | 'api' | 'unknown';
}

// Limits: error texts can embed whole HTML pages or huge JSON bodies; the signals are near the start.

export const MAX_TEXT_LENGTH = 8192;
const MAX_STRING_LEAF = 1024;
const MAX_WALKED_NODES = 200;
const MAX_WALK_DEPTH = 5;
const MAX_URLS_IN_TEXT = 16;

// Keys whose string value is an error code. `error` is authoritative; the rest are hints.
const PRIMARY_CODE_KEYS = new Set(['error', 'error_subtype']);
const SECONDARY_CODE_KEYS = new Set([
	'code',
	'status',
	'type',
	'reason',
	'category',
	'errorcode',
	'error_code',
	'subtype',
]);
const STATUS_KEYS = new Set(['status', 'code', 'statuscode', 'status_code', 'httpcode', 'httpstatus']);
const JSON_CODE_PAIR_RE =
	/"(error|error_subtype|errorCode|error_code|code|status|type|reason|category)"\s*:\s*"([^"]{1,64})"/gi;
const JSON_STATUS_PAIR_RE = /"(?:status|code|statusCode|status_code)"\s*:\s*"?([45]\d\d)\b/i;
const JSON_AADSTS_LIST_RE = /"error_codes"\s*:\s*\[\s*(\d{4,8})/i;

// The evidence normalised once, then read by the rules.
export interface Facts {
	status?: number;
	/** Codes from authoritative fields (`oauthError`, WWW-Authenticate, `error`), in order. */
	primaryCodes: string[];
	/** Codes from hint fields (`status`, `code`, `type`, `category`, …) and bare codes in text. */
	secondaryCodes: string[];
	/** Capped, unescaped haystack of every text in the evidence. */
	text: string;
	provider: Provider;
	phase: 'token_endpoint' | 'api' | 'unknown';
	atTokenEndpoint: boolean;
	/** The token endpoint answered something that is not JSON (HTML error page, proxy, maintenance). */
	nonJsonTokenResponse: boolean;
	/** n8n's client-credentials fetch failed: no refresh token is involved, only the client. */
	clientCredentialsFetch: boolean;
	modelContext: boolean;
	/** The failing node's credential type and its kind, when the error names one. */
	credentialType?: string;
	credentialKind?: CredentialKind;
	failureCause?: string;
	networkCode?: string;
	wwwAuthenticateError?: string;
}

interface Collected {
	texts: string[];
	textLength: number;
	primaryCodes: string[];
	secondaryCodes: string[];
	status?: number;
	visited: number;
}

function addText(collected: Collected, value: string): void {
	if (collected.textLength >= MAX_TEXT_LENGTH || value === '') return;
	const room = MAX_TEXT_LENGTH - collected.textLength;
	const piece =
		value.length > Math.min(room, MAX_STRING_LEAF) ? value.slice(0, Math.min(room, MAX_STRING_LEAF)) : value;
	collected.texts.push(piece);
	collected.textLength += piece.length + 1;
}

function addCode(list: string[], value: string): void {
	const trimmed = value.trim();
	if (trimmed !== '' && trimmed.length <= 64 && !list.includes(trimmed)) list.push(trimmed);
}

/** A 4xx/5xx found inside a body or text; other numbers in `code`/`status` fields are not HTTP statuses. */
function statusFrom(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\d{3}$/.test(value.trim()) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 400 && number <= 599 ? number : undefined;
}

/** Walks a parsed body: collects code fields, a status, `error_codes` (Microsoft) and every text leaf. */
function walkBody(value: unknown, key: string, depth: number, collected: Collected): void {
	if (collected.visited++ > MAX_WALKED_NODES || depth > MAX_WALK_DEPTH || value === null || value === undefined) return;
	const lowerKey = key.toLowerCase();
	if (typeof value === 'string') {
		if (PRIMARY_CODE_KEYS.has(lowerKey)) addCode(collected.primaryCodes, value);
		else if (SECONDARY_CODE_KEYS.has(lowerKey)) addCode(collected.secondaryCodes, value);
		if (STATUS_KEYS.has(lowerKey) && collected.status === undefined) collected.status = statusFrom(value);
		addText(collected, value);
		return;
	}
	if (typeof value === 'number') {
		if (STATUS_KEYS.has(lowerKey) && collected.status === undefined) collected.status = statusFrom(value);
		return;
	}
	if (Array.isArray(value)) {
		if (lowerKey === 'error_codes') {
			for (const item of value.slice(0, 5))
				if (typeof item === 'number') addCode(collected.secondaryCodes, `AADSTS${item}`);
			return;
		}
		for (const item of value.slice(0, 20)) walkBody(item, key, depth + 1, collected);
		return;
	}
	if (typeof value === 'object') {
		for (const [childKey, child] of Object.entries(value as Record<string, unknown>).slice(0, 50)) {
			walkBody(child, childKey, depth + 1, collected);
		}
	}
}

function bytesToText(bytes: Uint8Array): string {
	const slice = bytes.subarray(0, MAX_TEXT_LENGTH);
	let text = '';
	// Latin-1 is enough: every signal the rules look for is ASCII.
	for (let index = 0; index < slice.length; index += 1024) {
		text += String.fromCharCode(...Array.from(slice.subarray(index, index + 1024)));
	}
	return text;
}

/** A raw body: small JSON is parsed so codes anywhere in it count; anything else is text. */
function collectTextBody(body: string, collected: Collected): void {
	const trimmed = body.trim();
	if (trimmed.length <= MAX_TEXT_LENGTH && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
		try {
			walkBody(JSON.parse(trimmed), '', 0, collected);
			return;
		} catch {
			// Not JSON after all (truncated snippet, HTML); the regex pass over the text still sees its fields.
		}
	}
	addText(collected, body);
}

/** JSON inside strings (`400 - "{\"error\":\"invalid_grant\"}"`): pick the code fields out with a regex. */
function collectEmbeddedJson(text: string, collected: Collected): void {
	if (!text.includes('"')) return;
	JSON_CODE_PAIR_RE.lastIndex = 0;
	let match: RegExpExecArray | null;
	while ((match = JSON_CODE_PAIR_RE.exec(text)) !== null) {
		const key = match[1].toLowerCase();
		addCode(PRIMARY_CODE_KEYS.has(key) ? collected.primaryCodes : collected.secondaryCodes, match[2]);
	}
	if (collected.status === undefined) {
		const status = JSON_STATUS_PAIR_RE.exec(text);
		if (status) collected.status = statusFrom(Number(status[1]));
	}
	const aadsts = JSON_AADSTS_LIST_RE.exec(text);
	if (aadsts) addCode(collected.secondaryCodes, `AADSTS${aadsts[1]}`);
}

function statusFromText(text: string): number | undefined {
	const match = STATUS_IN_TEXT_RE.exec(text);
	if (match) {
		const digits = match.slice(1).find((group) => group !== undefined);
		if (digits !== undefined) return Number(digits);
	}
	for (const [pattern, status] of N8N_STATUS_TEXTS) if (pattern.test(text)) return status;
	return undefined;
}

/** Sentence punctuation after a URL in prose; a loop, because `/[.,;:]+$/` restarts at every mark of a long run. */
function withoutTrailingPunctuation(text: string): string {
	let end = text.length;
	while (end > 0 && '.,;:'.includes(text.charAt(end - 1))) end--;
	return text.slice(0, end);
}

function urlPath(url: string): string {
	const withoutQuery = withoutTrailingPunctuation(url.split(/[?#]/)[0]);
	const afterScheme = withoutQuery.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
	const slash = afterScheme.indexOf('/');
	return slash === -1 ? '/' : afterScheme.slice(slash);
}

function isTokenEndpointUrl(url: string): boolean {
	return TOKEN_PATH_RE.test(urlPath(url));
}

function tokenUrlInText(text: string): boolean {
	return urlLikeWords(text).slice(0, MAX_URLS_IN_TEXT).some(isTokenEndpointUrl);
}

const MODEL_PROVIDERS: ReadonlySet<Provider> = new Set(['openai', 'anthropic', 'mistral', 'groq', 'xai']);

function isModelContext(evidence: ErrorEvidence, provider: Provider): boolean {
	return (
		MODEL_PROVIDERS.has(provider) ||
		(evidence.nodeType !== undefined && MODEL_NODE_RE.test(evidence.nodeType)) ||
		[evidence.credentialType, ...(evidence.credentialTypes ?? [])].some(
			(type) => type !== undefined && MODEL_CREDENTIAL_RE.test(type),
		) ||
		(evidence.url !== undefined && MODEL_HOST_RE.test(evidence.url))
	);
}

export function gatherFacts(evidence: ErrorEvidence): Facts {
	const collected: Collected = { texts: [], textLength: 0, primaryCodes: [], secondaryCodes: [], visited: 0 };
	if (evidence.oauthError) addCode(collected.primaryCodes, evidence.oauthError);
	const challenge = bearerError(evidence.wwwAuthenticate);
	if (challenge.error) addCode(collected.primaryCodes, challenge.error);
	if (challenge.errorDescription) addText(collected, challenge.errorDescription);
	for (const message of evidence.messages ?? []) if (typeof message === 'string') addText(collected, message);
	if (evidence.errorDescription) addText(collected, evidence.errorDescription);

	const body = evidence.body instanceof Uint8Array ? bytesToText(evidence.body) : evidence.body;
	if (typeof body === 'string') collectTextBody(body, collected);
	else if (body !== null && typeof body === 'object') walkBody(body, '', 0, collected);

	// Escaped JSON inside messages reads like JSON once the backslashes are gone.
	const text = collected.texts.join('\n').replace(/\\"/g, '"');
	collectEmbeddedJson(text, collected);
	const bareCode = CODE_IN_TEXT_RE.exec(text);
	if (bareCode) addCode(collected.secondaryCodes, bareCode[1]);

	const status = asHttpStatus(evidence.status) ?? collected.status ?? statusFromText(text);
	const provider = detectProvider({
		url: evidence.url,
		credentialType: evidence.credentialType,
		nodeType: evidence.nodeType,
		text,
	});
	const clientCredentialsFetch = N8N_CLIENT_CREDENTIALS_RE.test(text);
	const nonJsonTokenResponse = N8N_NON_JSON_TOKEN_RE.test(text);
	const phase = evidence.phase ?? 'unknown';
	const atTokenEndpoint =
		phase === 'token_endpoint' ||
		(phase !== 'api' &&
			((evidence.url !== undefined && isTokenEndpointUrl(evidence.url)) ||
				clientCredentialsFetch ||
				nonJsonTokenResponse ||
				REFRESH_CONTEXT_RE.test(text) ||
				tokenUrlInText(text)));

	return {
		status,
		primaryCodes: collected.primaryCodes,
		secondaryCodes: collected.secondaryCodes,
		text,
		provider,
		phase,
		atTokenEndpoint,
		nonJsonTokenResponse,
		clientCredentialsFetch,
		modelContext: isModelContext(evidence, provider),
		credentialType: evidence.credentialType,
		credentialKind: evidence.credentialType ? credentialKind(evidence.credentialType) : undefined,
		failureCause: evidence.failureCause,
		networkCode: evidence.networkCode,
		wwwAuthenticateError: challenge.error,
	};
}
