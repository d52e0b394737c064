import { createHmac } from 'crypto';
import type { IHttpRequestOptions } from 'n8n-workflow';

import { err, ok, type Result } from '../types';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec "Signature scheme"): the receiver
 * recomputes HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` and compares it with
 * `webhook-signature: v1,<base64>`. Any Standard Webhooks / Svix library can verify what we send.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const SIGNATURE_VERSION = 'v1';

/** The spec's bounds on a signing key, in bytes after base64 decoding. */
export const MIN_KEY_BYTES = 24;
export const MAX_KEY_BYTES = 64;

/**
 * How the credential's Signing Secret becomes the HMAC key (the credential's "Secret Format", field `keyFormat`):
 * - `standard`: what the Standard Webhooks and Svix libraries do — strip an optional `whsec_`, then
 *   base64-decode. A receiver configured with the same string verifies our signatures.
 * - `raw`: the UTF-8 bytes of the text as typed, for hand-written receivers that use a plain string as
 *   their HMAC key.
 */
export type SecretFormat = 'standard' | 'raw';
export const SECRET_FORMATS: readonly SecretFormat[] = ['standard', 'raw'];
export const DEFAULT_SECRET_FORMAT: SecretFormat = 'standard';

const GENERATE_HINT =
	'Generate one with `openssl rand -base64 32` and prefix whsec_, then give the receiver the same whsec_… string';
const RAW_HINT = 'if your receiver uses the text itself as its HMAC key, set Secret Format to Raw Text';

// Canonical base64 as the reference libraries decode it: standard alphabet, padded to a multiple of 4.
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The Secret Format field's value; an old credential saved before the field existed has none. */
export function secretFormatOf(value: unknown): Result<SecretFormat, string> {
	if (value === undefined || value === null || value === '') return ok(DEFAULT_SECRET_FORMAT);
	if (typeof value === 'string' && (SECRET_FORMATS as readonly string[]).includes(value))
		return ok(value as SecretFormat);
	return err(
		'Secret Format: must be Standard Webhooks or Raw Text. Pick one of the two in the Token Guard Webhook credential.',
	);
}

/**
 * The HMAC key for a signing secret, or why the secret cannot be one. Messages name the field and the
 * fix and never contain the secret.
 */
export function signingKeyOf(secret: unknown, format: SecretFormat = DEFAULT_SECRET_FORMAT): Result<Buffer, string> {
	if (typeof secret !== 'string' || secret === '') {
		return err(`Signing Secret: the field is empty. Paste the receiver's whsec_… secret, or ${GENERATE_HINT}.`);
	}
	if (format === 'raw') {
		const key = Buffer.from(secret, 'utf8');
		// Short keys make the HMAC guessable from one delivery; the spec's floor applies to raw text too.
		if (key.length < MIN_KEY_BYTES) {
			return err(
				`Signing Secret: the text is ${key.length} bytes, too short for an HMAC key (at least ${MIN_KEY_BYTES}). Use a longer random secret on both sides, e.g. the output of \`openssl rand -base64 32\`.`,
			);
		}
		return ok(key);
	}

	// Whitespace is never part of base64, so a stray space or newline from pasting is dropped.
	const trimmed = secret.trim();
	const encoded = trimmed.startsWith(WEBHOOK_SECRET_PREFIX) ? trimmed.slice(WEBHOOK_SECRET_PREFIX.length) : trimmed;
	if (encoded === '' || !BASE64_RE.test(encoded)) {
		return err(
			`Signing Secret: not a Standard Webhooks secret (an optional whsec_ followed by base64). Paste it exactly as the receiver shows it, or ${GENERATE_HINT}; ${RAW_HINT}.`,
		);
	}
	const key = Buffer.from(encoded, 'base64');
	if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
		return err(
			`Signing Secret: the key is ${key.length} bytes after base64 decoding; Standard Webhooks keys are ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes. ${GENERATE_HINT}; ${RAW_HINT}.`,
		);
	}
	return ok(key);
}

/** `signingKeyOf` for callers that throw. */
export function signingKey(secret: string, format: SecretFormat = DEFAULT_SECRET_FORMAT): Buffer {
	const key = signingKeyOf(secret, format);
	if (!key.ok) throw new Error(key.error);
	return key.value;
}

function assertSignable(msgId: string, timestampSeconds: number): void {
	if (typeof msgId !== 'string' || msgId === '')
		throw new Error('Webhook message id (webhook-id) must be a non-empty string');
	if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
		throw new Error(`Webhook timestamp must be whole seconds since the Unix epoch, got ${String(timestampSeconds)}`);
	}
}

/** `v1,` + base64(HMAC-SHA256(key, `${msgId}.${timestampSeconds}.${body}`)). */
export function signPayload(
	secret: string,
	msgId: string,
	timestampSeconds: number,
	body: string,
	format: SecretFormat = DEFAULT_SECRET_FORMAT,
): string {
	assertSignable(msgId, timestampSeconds);
	const signature = createHmac('sha256', signingKey(secret, format))
		.update(`${msgId}.${timestampSeconds}.${body}`, 'utf8')
		.digest('base64');
	return `${SIGNATURE_VERSION},${signature}`;
}

/** The headers of an unsigned delivery: a receiver that verifies nothing still de-duplicates on webhook-id. */
export function buildUnsignedWebhookHeaders(msgId: string, timestampSeconds: number): Record<string, string> {
	assertSignable(msgId, timestampSeconds);
	return { 'webhook-id': msgId, 'webhook-timestamp': String(timestampSeconds), 'content-type': 'application/json' };
}

/** The four headers a Standard Webhooks delivery carries. The body must be sent byte-for-byte as signed. */
export function buildWebhookHeaders(
	secret: string,
	msgId: string,
	timestampSeconds: number,
	body: string,
	format: SecretFormat = DEFAULT_SECRET_FORMAT,
): Record<string, string> {
	return {
		...buildUnsignedWebhookHeaders(msgId, timestampSeconds),
		'webhook-signature': signPayload(secret, msgId, timestampSeconds, body, format),
	};
}

/** Header names the signer owns; custom headers may not replace them. */
const SIGNING_HEADER_NAMES = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type']);

/** RFC 9110 token characters: what a header name may be made of. */
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const HEADERS_FIX = 'in the More Headers (JSON) field of the Token Guard Webhook credential';

/** Why custom headers were refused, naming the credential field to fix. */
export interface HeaderParseError {
	field: 'headers';
	message: string;
}

/** Why a header value cannot go on the wire as typed, or undefined when it can. */
function headerValueProblem(value: string): string | undefined {
	// A CR or LF would end the header (or be folded away by the client): refuse rather than send something else.
	if (/[\r\n]/.test(value))
		return 'the value contains a line break (CR or LF), which an HTTP header cannot carry. Put the value on one line';
	// eslint-disable-next-line no-control-regex -- looking for control characters is the point
	if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value))
		return 'the value contains a control character, which an HTTP header cannot carry. Remove it';
	return undefined;
}

/**
 * Parses the webhook credential's optional custom headers: a JSON object of header name → string value,
 * e.g. `{"X-Api-Key": "…"}`. Empty input means no headers. Values are never echoed in errors.
 */
export function parseCustomHeaders(value: unknown): Result<Record<string, string>, HeaderParseError> {
	if (value === undefined || value === null) return ok({});
	let parsed: unknown = value;
	if (typeof value === 'string') {
		if (value.trim() === '') return ok({});
		try {
			parsed = JSON.parse(value);
		} catch {
			return err({
				field: 'headers',
				message: `More Headers (JSON): the text entered is not valid JSON. Write a JSON object such as {"X-Api-Key": "your key"} ${HEADERS_FIX}.`,
			});
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		return err({
			field: 'headers',
			message: `More Headers (JSON): must be a JSON object. Write one such as {"X-Api-Key": "your key"} ${HEADERS_FIX}.`,
		});
	}
	const headers: Record<string, string> = {};
	for (const [name, headerValue] of Object.entries(parsed)) {
		if (!HEADER_NAME_RE.test(name)) {
			return err({
				field: 'headers',
				message: `Header ${JSON.stringify(name)}: not a valid HTTP header name (no spaces, colons or line breaks). Use letters, digits and - such as X-Api-Key ${HEADERS_FIX}.`,
			});
		}
		if (SIGNING_HEADER_NAMES.has(name.toLowerCase())) {
			return err({
				field: 'headers',
				message: `Header "${name}": set by the signer and cannot be overridden. Remove it ${HEADERS_FIX}.`,
			});
		}
		if (typeof headerValue !== 'string' && typeof headerValue !== 'number' && typeof headerValue !== 'boolean') {
			return err({
				field: 'headers',
				message: `Header "${name}": must have a text value. Write it as a string ${HEADERS_FIX}.`,
			});
		}
		const text = String(headerValue);
		const problem = headerValueProblem(text);
		if (problem !== undefined)
			return err({ field: 'headers', message: `Header "${name}": ${problem} ${HEADERS_FIX}.` });
		headers[name] = text;
	}
	return ok(headers);
}

/** The webhook credential's fields, as n8n hands them to `authenticate`. */
export interface WebhookSigningCredentials {
	signingSecret?: unknown;
	/** The "Secret Format" field. */
	keyFormat?: unknown;
	/** "Header Name" / "Header Value": the one extra header most receivers need (an API key). */
	headerName?: unknown;
	/** Named so n8n's lint and redaction treat it as the secret it usually is. */
	headerSecret?: unknown;
	/** "More Headers (JSON)": further headers as a JSON object. */
	headers?: unknown;
}

/** What a webhook credential signs with, once checked; no secret means deliveries go unsigned. */
export interface WebhookSigning {
	secret: string | undefined;
	format: SecretFormat;
	headers: Record<string, string>;
}

const HEADER_PAIR_FIX = 'in the Header Name and Header Value fields of the Token Guard Webhook credential';

/** The Header Name / Header Value pair, checked like any custom header; an empty name means none. */
function headerPairOf(name: unknown, value: unknown): Result<Record<string, string>, string> {
	const headerName = typeof name === 'string' ? name.trim() : '';
	if (headerName === '') return ok({});
	if (!HEADER_NAME_RE.test(headerName)) {
		return err(
			`Header Name: not a valid HTTP header name (no spaces, colons or line breaks). Use letters, digits and - such as X-Api-Key ${HEADER_PAIR_FIX}.`,
		);
	}
	if (SIGNING_HEADER_NAMES.has(headerName.toLowerCase())) {
		return err(`Header Name "${headerName}": set by the signer and cannot be overridden. Use another header name.`);
	}
	const text = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
	if (text === '') return err(`Header Value: empty for header "${headerName}". Enter its value ${HEADER_PAIR_FIX}.`);
	const problem = headerValueProblem(text);
	if (problem !== undefined) return err(`Header Value of "${headerName}": ${problem}.`);
	return ok({ [headerName]: text });
}

/**
 * Checks the credential's Signing Secret (optional: empty sends unsigned events), Secret Format and headers
 * before anything is sent. The message names the field and the fix and holds no secret.
 */
export function checkWebhookCredential(credentials: WebhookSigningCredentials): Result<WebhookSigning, string> {
	const format = secretFormatOf(credentials.keyFormat);
	if (!format.ok) return format;
	const secret = typeof credentials.signingSecret === 'string' ? credentials.signingSecret : '';
	if (secret.trim() !== '') {
		const key = signingKeyOf(secret, format.value);
		if (!key.ok) return key;
	}
	const pair = headerPairOf(credentials.headerName, credentials.headerSecret);
	if (!pair.ok) return pair;
	const more = parseCustomHeaders(credentials.headers);
	if (!more.ok) return err(more.error.message);
	return ok({
		secret: secret.trim() === '' ? undefined : secret,
		format: format.value,
		headers: { ...more.value, ...pair.value },
	});
}

const headerValueOf = (headers: IHttpRequestOptions['headers'], name: string): string | undefined => {
	for (const [key, value] of Object.entries(headers ?? {})) {
		if (key.toLowerCase() === name && typeof value === 'string' && value !== '') return value;
	}
	return undefined;
};

/**
 * A request signed for delivery: the body is serialized once (the signature covers those exact bytes),
 * custom headers are added, and the webhook-* headers are set. A `webhook-id` already on the request is
 * kept, so retries of one event share its id as the spec asks; timestamp and signature are always fresh.
 * Throws, naming the credential field, when the credential cannot sign.
 */
export function signWebhookRequest(
	request: IHttpRequestOptions,
	credentials: WebhookSigningCredentials,
	fallbackMsgId: string,
	timestampSeconds: number,
): IHttpRequestOptions {
	const signing = checkWebhookCredential(credentials);
	if (!signing.ok) throw new Error(signing.error);

	const body =
		request.body === undefined || request.body === null
			? ''
			: typeof request.body === 'string'
				? request.body
				: JSON.stringify(request.body);
	const msgId = headerValueOf(request.headers, 'webhook-id') ?? fallbackMsgId;

	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(request.headers ?? {})) {
		if (!SIGNING_HEADER_NAMES.has(name.toLowerCase()) && value !== undefined) headers[name] = String(value);
	}
	const { secret, format } = signing.value;
	return {
		...request,
		body,
		headers: {
			...headers,
			...signing.value.headers,
			...(secret === undefined
				? buildUnsignedWebhookHeaders(msgId, timestampSeconds)
				: buildWebhookHeaders(secret, msgId, timestampSeconds, body, format)),
		},
	};
}
