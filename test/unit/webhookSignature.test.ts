import { createHmac, randomBytes, timingSafeEqual } from 'crypto';

import {
	buildWebhookHeaders,
	parseCustomHeaders,
	signPayload,
	signWebhookRequest,
} from '../../nodes/shared/webhookSignature';

/**
 * A verifier written from the Standard Webhooks spec text, sharing no code with the signer:
 * "The signature is … HMAC-SHA256 of `{msg_id}.{timestamp}.{payload}` … base64 encoded, prefixed with
 * a version identifier and a comma (`v1,`); the header may hold several space-delimited signatures.
 * Secrets are base64 and, by convention, prefixed with `whsec_`."
 * For a secret without the prefix our documented convention is the UTF-8 bytes of the whole string.
 */
function verify(secret: string, headers: Record<string, string>, body: string): boolean {
	const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
	const signedContent = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
	const expected = createHmac('sha256', key).update(signedContent).digest();
	return headers['webhook-signature'].split(' ').some((entry) => {
		const [version, signature] = entry.split(',');
		if (version !== 'v1' || signature === undefined) return false;
		const received = Buffer.from(signature, 'base64');
		return received.length === expected.length && timingSafeEqual(received, expected);
	});
}

const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;

describe('signPayload', () => {
	it('reproduces the published Standard Webhooks test vector', () => {
		expect(
			signPayload('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
		).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
	});

	it.each([
		['a whsec_ secret', WHSEC],
		['a plain string secret', 'my shared secret with spaces'],
		['a unicode secret', 'clé-secrète-✓'],
	])('produces signatures the independent verifier accepts for %s', (_case, secret) => {
		const body = JSON.stringify({ type: 'io.n8n.tokenguard.refresh.failed', data: { n: 1, text: 'ünï' } });
		const headers = buildWebhookHeaders(secret, 'msg_1', 1700000000, body);
		expect(verify(secret, headers, body)).toBe(true);
	});

	it.each<[string, (h: Record<string, string>) => [string, Record<string, string>, string]]>([
		['another secret', (h) => [`whsec_${randomBytes(24).toString('base64')}`, h, 'body']],
		['a changed body', (h) => [WHSEC, h, 'body!']],
		['a changed id', (h) => [WHSEC, { ...h, 'webhook-id': 'msg_2' }, 'body']],
		['a changed timestamp', (h) => [WHSEC, { ...h, 'webhook-timestamp': '1700000001' }, 'body']],
		['the prefix taken as part of a raw key', (h) => [WHSEC.slice('whsec_'.length), h, 'body']],
	])('fails verification with %s', (_case, tamper) => {
		const headers = buildWebhookHeaders(WHSEC, 'msg_1', 1700000000, 'body');
		expect(verify(...tamper(headers))).toBe(false);
	});

	it.each([
		['an empty secret', '', 'msg_1', 1, 'Signing Secret'],
		['a whsec_ secret that is not base64', 'whsec_not*base64!', 'msg_1', 1, 'not valid base64'],
		['an empty whsec_ secret', 'whsec_', 'msg_1', 1, 'not valid base64'],
		['an empty message id', WHSEC, '', 1, 'webhook-id'],
		['a fractional timestamp', WHSEC, 'msg_1', 1.5, 'whole seconds'],
		['a negative timestamp', WHSEC, 'msg_1', -1, 'whole seconds'],
	])('rejects %s', (_case, secret, msgId, timestamp, message) => {
		expect(() => signPayload(secret, msgId, timestamp, '{}')).toThrow(message);
	});

	it('never puts the secret in its errors', () => {
		const secret = 'whsec_s3cr3t*value';
		expect(() => signPayload(secret, 'msg', 1, '')).toThrow();
		try {
			signPayload(secret, 'msg', 1, '');
		} catch (error) {
			expect((error as Error).message).not.toContain('s3cr3t');
		}
	});
});

describe('buildWebhookHeaders', () => {
	it('returns exactly the four delivery headers', () => {
		const headers = buildWebhookHeaders(WHSEC, 'msg_abc', 1700000123, '{}');
		expect(Object.keys(headers).sort()).toEqual(['content-type', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
		expect(headers['webhook-id']).toBe('msg_abc');
		expect(headers['webhook-timestamp']).toBe('1700000123');
		expect(headers['content-type']).toBe('application/json');
		expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
	});
});

describe('parseCustomHeaders', () => {
	it.each<[string, unknown, Record<string, string>]>([
		['undefined', undefined, {}],
		['an empty string', '  ', {}],
		['a JSON object string', '{"X-Api-Key":"k1","X-Retry":3}', { 'X-Api-Key': 'k1', 'X-Retry': '3' }],
		['an object', { Authorization: 'Token t' }, { Authorization: 'Token t' }],
	])('accepts %s', (_case, value, expected) => {
		expect(parseCustomHeaders(value)).toEqual({ ok: true, value: expected });
	});

	it.each<[string, unknown, string]>([
		['invalid JSON', '{"X-Api-Key": secret-1}', 'not valid JSON'],
		['an array', '["a"]', 'JSON object'],
		['a bad header name', '{"Bad Name":"x"}', 'not a valid HTTP header name'],
		['a signing header', '{"Webhook-Signature":"v1,x"}', 'set by the signer'],
		['content-type', '{"Content-Type":"text/plain"}', 'set by the signer'],
		['a nested value', '{"X-A":{"b":1}}', 'text value'],
	])('rejects %s, naming the headers field', (_case, value, message) => {
		const result = parseCustomHeaders(value);
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.error.field).toBe('headers');
			expect(result.error.message).toContain(message);
			expect(result.error.message).not.toContain('secret-1');
		}
	});
});

describe('signWebhookRequest', () => {
	const credentials = { signingSecret: WHSEC, headers: '{"X-Api-Key":"k1"}' };

	it('serializes an object body once and signs exactly those bytes', () => {
		const signed = signWebhookRequest(
			{ method: 'POST', url: 'http://127.0.0.1/hook', body: { a: 1, b: 'ü' }, headers: { 'Content-Type': 'text/plain' } },
			credentials,
			'msg_fallback',
			1700000000,
		);
		const headers = signed.headers as Record<string, string>;
		expect(signed.body).toBe('{"a":1,"b":"ü"}');
		expect(headers['X-Api-Key']).toBe('k1');
		expect(headers['Content-Type']).toBeUndefined();
		expect(headers['content-type']).toBe('application/json');
		expect(headers['webhook-id']).toBe('msg_fallback');
		expect(verify(WHSEC, headers, signed.body as string)).toBe(true);
	});

	it('keeps a webhook-id the caller set (retries share one id) and sends a string body as is', () => {
		const signed = signWebhookRequest(
			{ method: 'POST', url: 'http://127.0.0.1/hook', body: '{ "raw" : true }', headers: { 'Webhook-Id': 'msg_stable' } },
			credentials,
			'msg_fallback',
			1700000000,
		);
		const headers = signed.headers as Record<string, string>;
		expect(signed.body).toBe('{ "raw" : true }');
		expect(headers['webhook-id']).toBe('msg_stable');
		expect(headers['Webhook-Id']).toBeUndefined();
		expect(verify(WHSEC, headers, '{ "raw" : true }')).toBe(true);
	});

	it('names the credential field when the custom headers are invalid', () => {
		expect(() =>
			signWebhookRequest({ url: 'http://127.0.0.1/hook' }, { signingSecret: WHSEC, headers: '{oops' }, 'msg', 1),
		).toThrow('field "headers"');
	});
});
