import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import { Webhook } from 'standardwebhooks';

import {
	buildWebhookHeaders,
	checkWebhookCredential,
	parseCustomHeaders,
	signingKeyOf,
	signPayload,
	signWebhookRequest,
} from '../../nodes/shared/events/webhookSignature';

/**
 * A verifier written from the Standard Webhooks spec text, sharing no code with the signer:
 * "The signature is … HMAC-SHA256 of `{msg_id}.{timestamp}.{payload}` … base64 encoded, prefixed with
 * a version identifier and a comma (`v1,`); the header may hold several space-delimited signatures.
 * Secrets are base64 and, by convention, prefixed with `whsec_`" — the key is the base64-decoded part,
 * prefix or not.
 */
function verifyWithKey(key: Buffer, headers: Record<string, string>, body: string): boolean {
	const signedContent = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
	const expected = createHmac('sha256', key).update(signedContent).digest();
	return headers['webhook-signature'].split(' ').some((entry) => {
		const [version, signature] = entry.split(',');
		if (version !== 'v1' || signature === undefined) return false;
		const received = Buffer.from(signature, 'base64');
		return received.length === expected.length && timingSafeEqual(received, expected);
	});
}

const specKey = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
const verify = (secret: string, headers: Record<string, string>, body: string): boolean =>
	verifyWithKey(specKey(secret), headers, body);
/** A hand-written receiver that uses the secret text as its HMAC key (the Raw Text format). */
const verifyRaw = (secret: string, headers: Record<string, string>, body: string): boolean =>
	verifyWithKey(Buffer.from(secret, 'utf8'), headers, body);

const BASE64_KEY = randomBytes(32).toString('base64');
const WHSEC = `whsec_${BASE64_KEY}`;
const RAW = 'my shared secret with spaces, long enough';
const whsecOfLength = (bytes: number): string => `whsec_${randomBytes(bytes).toString('base64')}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('signPayload', () => {
	it('reproduces the published Standard Webhooks test vector', () => {
		expect(
			signPayload(
				'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
				'msg_p5jXN8AQM9LWM0D4loKWxJek',
				1614265330,
				'{"test": 2432232314}',
			),
		).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
	});

	it('reads a secret without whsec_ as base64 too, as the reference libraries do', () => {
		expect(
			signPayload(
				'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
				'msg_p5jXN8AQM9LWM0D4loKWxJek',
				1614265330,
				'{"test": 2432232314}',
			),
		).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
	});

	it.each([
		['a whsec_ secret', WHSEC],
		['a base64 secret without the prefix', BASE64_KEY],
		['a whsec_ secret pasted with surrounding whitespace', ` ${WHSEC}\n`],
	])('produces signatures the independent verifier accepts for %s', (_case, secret) => {
		const body = JSON.stringify({ type: 'io.n8n.tokenguard.refresh.failed', data: { n: 1, text: 'ünï' } });
		const headers = buildWebhookHeaders(secret, 'msg_1', 1700000000, body);
		expect(verify(secret.trim(), headers, body)).toBe(true);
	});

	it.each([
		['an ASCII secret', RAW],
		['a unicode secret', 'clé-secrète-partagée-✓-assez-longue'],
	])('with Raw Text, signs with the UTF-8 bytes of %s', (_case, secret) => {
		const body = '{"a":1}';
		const headers = buildWebhookHeaders(secret, 'msg_1', 1700000000, body, 'raw');
		expect(verifyRaw(secret, headers, body)).toBe(true);
		expect(buildWebhookHeaders(secret, 'msg_1', 1700000000, body, 'raw')['webhook-signature']).not.toBe(
			createHmac('sha256', specKey(secret)).update(`msg_1.1700000000.${body}`).digest('base64'),
		);
	});

	it.each<[string, (h: Record<string, string>) => [string, Record<string, string>, string]]>([
		['another secret', (h) => [whsecOfLength(32), h, 'body']],
		['a changed body', (h) => [WHSEC, h, 'body!']],
		['a changed id', (h) => [WHSEC, { ...h, 'webhook-id': 'msg_2' }, 'body']],
		['a changed timestamp', (h) => [WHSEC, { ...h, 'webhook-timestamp': '1700000001' }, 'body']],
	])('fails verification with %s', (_case, tamper) => {
		const headers = buildWebhookHeaders(WHSEC, 'msg_1', 1700000000, 'body');
		expect(verify(...tamper(headers))).toBe(false);
	});

	it('a whsec_ secret is not its text: a receiver using the string as the key does not verify', () => {
		const headers = buildWebhookHeaders(WHSEC, 'msg_1', 1700000000, 'body');
		expect(verifyRaw(WHSEC, headers, 'body')).toBe(false);
	});

	it.each([
		['an empty message id', WHSEC, '', 1, 'webhook-id'],
		['a fractional timestamp', WHSEC, 'msg_1', 1.5, 'whole seconds'],
		['a negative timestamp', WHSEC, 'msg_1', -1, 'whole seconds'],
	])('rejects %s', (_case, secret, msgId, timestamp, message) => {
		expect(() => signPayload(secret, msgId, timestamp, '{}')).toThrow(message);
	});
});

describe('the standardwebhooks npm package verifies what we send', () => {
	const body = JSON.stringify({
		specversion: '1.0',
		type: 'io.n8n.tokenguard.refresh.failed',
		data: { severity: 'critical' },
	});

	it.each([
		['the whsec_ secret', WHSEC],
		['the same secret without whsec_', BASE64_KEY],
	])('a receiver configured with %s', (_case, receiverSecret) => {
		for (const ourSecret of [WHSEC, BASE64_KEY]) {
			const headers = buildWebhookHeaders(ourSecret, 'msg_pkg', nowSeconds(), body);
			expect(new Webhook(receiverSecret).verify(body, headers)).toEqual(JSON.parse(body));
		}
	});

	it("a receiver using the library's raw format, with Secret Format set to Raw Text", () => {
		const headers = buildWebhookHeaders(RAW, 'msg_pkg', nowSeconds(), body, 'raw');
		expect(new Webhook(RAW, { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
		expect(() => new Webhook(whsecOfLength(32)).verify(body, headers)).toThrow('No matching signature found');
	});
});

describe('signingKeyOf', () => {
	it.each([24, 32, 64])('accepts a %i-byte key', (bytes) => {
		const key = signingKeyOf(whsecOfLength(bytes));
		expect(key.ok && key.value.length).toBe(bytes);
	});

	it.each<[string, string, 'standard' | 'raw', string[]]>([
		['an empty secret', '', 'standard', ['Signing Secret: the field is empty', 'openssl rand -base64 32', 'whsec_']],
		[
			'a 3-byte key',
			'whsec_YWJj',
			'standard',
			['Signing Secret: the key is 3 bytes', '24 to 64', 'openssl rand -base64 32', 'prefix whsec_', 'Raw Text'],
		],
		['a 23-byte key', whsecOfLength(23), 'standard', ['the key is 23 bytes']],
		['a 65-byte key', whsecOfLength(65), 'standard', ['the key is 65 bytes']],
		[
			'text that is not base64',
			'my shared secret with spaces',
			'standard',
			['Signing Secret: not a Standard Webhooks secret', 'openssl rand -base64 32', 'Raw Text'],
		],
		['a whsec_ secret that is not base64', 'whsec_not*base64!', 'standard', ['not a Standard Webhooks secret']],
		['an empty whsec_ secret', 'whsec_', 'standard', ['not a Standard Webhooks secret']],
		[
			'base64 without its padding',
			WHSEC.replace(/=+$/, '').slice(0, -1),
			'standard',
			['not a Standard Webhooks secret'],
		],
		[
			'base64url',
			`whsec_${randomBytes(33).toString('base64url').replace(/^./, '-')}`,
			'standard',
			['not a Standard Webhooks secret'],
		],
		[
			'a short raw text',
			'abc',
			'raw',
			['Signing Secret: the text is 3 bytes', 'at least 24', 'openssl rand -base64 32'],
		],
	])('refuses %s, naming the field and the fix', (_case, secret, format, messages) => {
		const key = signingKeyOf(secret, format);
		expect(key.ok).toBe(false);
		if (!key.ok) for (const message of messages) expect(key.error).toContain(message);
	});

	it('never puts the secret in its errors', () => {
		for (const [secret, format] of [
			['whsec_s3cr3t*value', 'standard'],
			['s3cr3t', 'raw'],
			['whsec_czNjcjN0', 'standard'],
		] as const) {
			const key = signingKeyOf(secret, format);
			expect(key.ok).toBe(false);
			if (!key.ok) expect(key.error).not.toMatch(/s3cr3t|czNjcjN0/);
			expect(() => signPayload(secret, 'msg', 1, '', format)).toThrow('Signing Secret');
		}
	});
});

describe('buildWebhookHeaders', () => {
	it('returns exactly the four delivery headers', () => {
		const headers = buildWebhookHeaders(WHSEC, 'msg_abc', 1700000123, '{}');
		expect(Object.keys(headers).sort()).toEqual([
			'content-type',
			'webhook-id',
			'webhook-signature',
			'webhook-timestamp',
		]);
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
		['a value with a tab and non-ASCII Latin-1', '{"X-Note":"a\\tcafé"}', { 'X-Note': 'a\tcafé' }],
	])('accepts %s', (_case, value, expected) => {
		expect(parseCustomHeaders(value)).toEqual({ ok: true, value: expected });
	});

	it.each<[string, unknown, string]>([
		['invalid JSON', '{"X-Api-Key": secret-1}', 'More Headers (JSON): the text entered is not valid JSON'],
		['an array', '["a"]', 'More Headers (JSON): must be a JSON object'],
		['a header name with a space', '{"Bad Name":"secret-1"}', 'Header "Bad Name": not a valid HTTP header name'],
		['a header name with a colon', '{"X-A:b":"secret-1"}', 'Header "X-A:b": not a valid HTTP header name'],
		[
			'a header name with a line break',
			'{"X-A\\r\\nX-Injected":"secret-1"}',
			'Header "X-A\\r\\nX-Injected": not a valid HTTP header name',
		],
		['an empty header name', '{"":"secret-1"}', 'Header "": not a valid HTTP header name'],
		['a signing header', '{"Webhook-Signature":"v1,x"}', 'Header "Webhook-Signature": set by the signer'],
		['content-type', '{"Content-Type":"text/plain"}', 'Header "Content-Type": set by the signer'],
		['a nested value', '{"X-A":{"b":1}}', 'Header "X-A": must have a text value'],
		['a value with LF', '{"X-Foo":"secret-1\\nX-Injected: 1"}', 'Header "X-Foo": the value contains a line break'],
		['a value with CR', '{"X-Foo":"secret-1\\rmore"}', 'Header "X-Foo": the value contains a line break'],
		['a value with CRLF', { 'X-Foo': 'secret-1\r\n' }, 'Header "X-Foo": the value contains a line break'],
		['a value with NUL', '{"X-Foo":"secret-1\\u0000"}', 'Header "X-Foo": the value contains a control character'],
	])('rejects %s, naming the header and the More Headers (JSON) field', (_case, value, message) => {
		const result = parseCustomHeaders(value);
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.error.field).toBe('headers');
			expect(result.error.message).toContain(message);
			expect(result.error.message).toContain('More Headers (JSON) field of the Token Guard Webhook credential');
			expect(result.error.message).not.toContain('secret-1');
		}
	});
});

describe('checkWebhookCredential', () => {
	it('defaults to the Standard Webhooks format for a credential saved before Secret Format existed', () => {
		expect(checkWebhookCredential({ signingSecret: WHSEC })).toEqual({
			ok: true,
			value: { secret: WHSEC, format: 'standard', headers: {} },
		});
	});

	it.each<[string, Record<string, unknown>, string]>([
		[
			'an unknown Secret Format',
			{ signingSecret: WHSEC, keyFormat: 'hex' },
			'Secret Format: must be Standard Webhooks or Raw Text',
		],
		[
			'a raw-looking secret in the standard format',
			{ signingSecret: RAW, keyFormat: 'standard' },
			'Signing Secret: not a Standard Webhooks secret',
		],
		[
			'a line break in a header',
			{ signingSecret: WHSEC, headers: '{"X-Foo":"a\\nb"}' },
			'Header "X-Foo": the value contains a line break',
		],
		[
			'a Header Name with spaces',
			{ headerName: 'X Api', headerSecret: 'k' },
			'Header Name: not a valid HTTP header name',
		],
		[
			'a Header Name the signer owns',
			{ headerName: 'Webhook-Signature', headerSecret: 'k' },
			'set by the signer and cannot be overridden',
		],
		['a Header Name without a value', { headerName: 'X-Api-Key' }, 'Header Value: empty for header "X-Api-Key"'],
		[
			'a Header Value with a line break',
			{ headerName: 'X-Api-Key', headerSecret: 'a\r\nX-Injected: 1' },
			'Header Value of "X-Api-Key": the value contains a line break',
		],
	])('refuses %s', (_case, credentials, message) => {
		expect(checkWebhookCredential(credentials)).toEqual({ ok: false, error: expect.stringContaining(message) });
	});

	it('an empty Signing Secret means unsigned deliveries, not an error', () => {
		expect(checkWebhookCredential({ signingSecret: '' })).toEqual({
			ok: true,
			value: { secret: undefined, format: 'standard', headers: {} },
		});
		expect(checkWebhookCredential({ signingSecret: '   ', keyFormat: 'raw' })).toMatchObject({
			ok: true,
			value: { secret: undefined },
		});
	});

	it('merges the Header Name / Header Value pair over More Headers (JSON)', () => {
		expect(
			checkWebhookCredential({
				headerName: ' X-Api-Key ',
				headerSecret: 'pair',
				headers: '{"X-Api-Key":"json","X-Team":"ops"}',
			}),
		).toEqual({
			ok: true,
			value: { secret: undefined, format: 'standard', headers: { 'X-Api-Key': 'pair', 'X-Team': 'ops' } },
		});
	});
});

describe('signWebhookRequest without a Signing Secret', () => {
	it('sends webhook-id, webhook-timestamp and the body as is, with no webhook-signature', () => {
		const sent = signWebhookRequest(
			{ method: 'POST', url: 'http://127.0.0.1/hook', body: { a: 1 }, headers: { 'webhook-id': 'msg_evt' } },
			{ signingSecret: '', headerName: 'X-Api-Key', headerSecret: 'k1' },
			'msg_fallback',
			1700000000,
		);
		expect(sent.body).toBe('{"a":1}');
		expect(sent.headers).toEqual({
			'webhook-id': 'msg_evt',
			'webhook-timestamp': '1700000000',
			'content-type': 'application/json',
			'X-Api-Key': 'k1',
		});
	});
});

describe('signWebhookRequest', () => {
	const credentials = { signingSecret: WHSEC, headers: '{"X-Api-Key":"k1"}' };

	it('serializes an object body once and signs exactly those bytes', () => {
		const signed = signWebhookRequest(
			{
				method: 'POST',
				url: 'http://127.0.0.1/hook',
				body: { a: 1, b: 'ü' },
				headers: { 'Content-Type': 'text/plain' },
			},
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
			{
				method: 'POST',
				url: 'http://127.0.0.1/hook',
				body: '{ "raw" : true }',
				headers: { 'Webhook-Id': 'msg_stable' },
			},
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

	it('signs with the text itself when Secret Format is Raw Text', () => {
		const signed = signWebhookRequest(
			{ url: 'http://127.0.0.1/hook', body: '{}' },
			{ signingSecret: RAW, keyFormat: 'raw' },
			'msg',
			1700000000,
		);
		expect(verifyRaw(RAW, signed.headers as Record<string, string>, '{}')).toBe(true);
	});

	it.each<[string, Record<string, unknown>, string]>([
		[
			'the custom headers are invalid JSON',
			{ signingSecret: WHSEC, headers: '{oops' },
			'More Headers (JSON): the text entered is not valid JSON',
		],
		[
			'a header value has a line break',
			{ signingSecret: WHSEC, headers: { 'X-Foo': 'a\r\nb' } },
			'Header "X-Foo": the value contains a line break',
		],
		['the key is 3 bytes', { signingSecret: 'whsec_YWJj' }, 'Signing Secret: the key is 3 bytes'],
	])('throws naming the credential field when %s', (_case, badCredentials, message) => {
		expect(() => signWebhookRequest({ url: 'http://127.0.0.1/hook' }, badCredentials, 'msg', 1)).toThrow(message);
	});
});
