import { createHmac } from 'crypto';
import type { IHttpRequestOptions } from 'n8n-workflow';

import { err, ok, type Result } from './types';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec "Signature scheme"): the receiver
 * recomputes HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` and compares it with
 * `webhook-signature: v1,<base64>`. Any Standard Webhooks / Svix library can verify what we send.
 */

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const SIGNATURE_VERSION = 'v1';

/**
 * The HMAC key for a signing secret.
 * - `whsec_<base64>` (the Standard Webhooks format): the key is the base64-decoded part after the
 *   prefix, exactly as the reference libraries do, so a receiver configured with the same `whsec_…`
 *   string verifies our signatures.
 * - Any other string: the key is its UTF-8 bytes. Receivers must then use the raw string as the key
 *   (what most hand-written HMAC verifiers do).
 */
export function signingKey(secret: string): Buffer {
	if (typeof secret !== 'string' || secret === '') {
		throw new Error('Webhook signing secret is empty: set "Signing Secret" on the Token Guard Webhook credential');
	}
	if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return Buffer.from(secret, 'utf8');

	const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
	// Buffer.from silently skips invalid characters, so check the alphabet first.
	if (encoded === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
		throw new Error(
			'Webhook signing secret starts with "whsec_" but the rest is not valid base64. Paste the secret exactly as the receiver shows it, or use a secret without the "whsec_" prefix',
		);
	}
	return Buffer.from(encoded, 'base64');
}

function assertSignable(msgId: string, timestampSeconds: number): void {
	if (typeof msgId !== 'string' || msgId === '') throw new Error('Webhook message id (webhook-id) must be a non-empty string');
	if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
		throw new Error(`Webhook timestamp must be whole seconds since the Unix epoch, got ${String(timestampSeconds)}`);
	}
}

/** `v1,` + base64(HMAC-SHA256(key, `${msgId}.${timestampSeconds}.${body}`)). */
export function signPayload(secret: string, msgId: string, timestampSeconds: number, body: string): string {
	assertSignable(msgId, timestampSeconds);
	const signature = createHmac('sha256', signingKey(secret))
		.update(`${msgId}.${timestampSeconds}.${body}`, 'utf8')
		.digest('base64');
	return `${SIGNATURE_VERSION},${signature}`;
}

/** The four headers a Standard Webhooks delivery carries. The body must be sent byte-for-byte as signed. */
export function buildWebhookHeaders(
	secret: string,
	msgId: string,
	timestampSeconds: number,
	body: string,
): Record<string, string> {
	return {
		'webhook-id': msgId,
		'webhook-timestamp': String(timestampSeconds),
		'webhook-signature': signPayload(secret, msgId, timestampSeconds, body),
		'content-type': 'application/json',
	};
}

/** Header names the signer owns; custom headers may not replace them. */
const SIGNING_HEADER_NAMES = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type']);

/** Why custom headers were refused, naming the credential field to fix. */
export interface HeaderParseError {
	field: 'headers';
	message: string;
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
				message: 'Headers must be a JSON object such as {"X-Api-Key": "your key"}; the text entered is not valid JSON',
			});
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		return err({ field: 'headers', message: 'Headers must be a JSON object such as {"X-Api-Key": "your key"}' });
	}
	const headers: Record<string, string> = {};
	for (const [name, headerValue] of Object.entries(parsed)) {
		if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
			return err({ field: 'headers', message: `Header name ${JSON.stringify(name)} is not a valid HTTP header name` });
		}
		if (SIGNING_HEADER_NAMES.has(name.toLowerCase())) {
			return err({
				field: 'headers',
				message: `Header "${name}" is set by the signer and cannot be overridden; remove it from Headers`,
			});
		}
		if (typeof headerValue !== 'string' && typeof headerValue !== 'number' && typeof headerValue !== 'boolean') {
			return err({ field: 'headers', message: `Header "${name}" must have a text value` });
		}
		headers[name] = String(headerValue);
	}
	return ok(headers);
}

/** The webhook credential's fields, as n8n hands them to `authenticate`. */
export interface WebhookSigningCredentials {
	signingSecret?: unknown;
	headers?: unknown;
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
 */
export function signWebhookRequest(
	request: IHttpRequestOptions,
	credentials: WebhookSigningCredentials,
	fallbackMsgId: string,
	timestampSeconds: number,
): IHttpRequestOptions {
	const secret = typeof credentials.signingSecret === 'string' ? credentials.signingSecret : '';
	const customHeaders = parseCustomHeaders(credentials.headers);
	if (!customHeaders.ok) throw new Error(`Token Guard Webhook credential, field "${customHeaders.error.field}": ${customHeaders.error.message}`);

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
	return {
		...request,
		body,
		headers: { ...headers, ...customHeaders.value, ...buildWebhookHeaders(secret, msgId, timestampSeconds, body) },
	};
}
