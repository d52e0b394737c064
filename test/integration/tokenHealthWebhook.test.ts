/**
 * Token Health's events reach a signed webhook: every delivery is checked by an independent
 * implementation of the Standard Webhooks verification (written here from the spec, sharing no code with
 * the package) and by the standardwebhooks npm package, against a small node:http receiver on 127.0.0.1.
 * A failing receiver never fails the workflow unless "Fail on Delivery Error" is on, a credential that
 * cannot sign or whose Allowed HTTP Request Domains exclude the URL sends nothing, and no secret reaches
 * a body, an item or the log.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { Webhook } from 'standardwebhooks';

import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';
import { forgetProcessAlertStates } from '../../nodes/shared/diagnose/alertLedger.adapter';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunResult } from '../harness';
import { errorTriggerItem, nodeError } from './tokenHealthPayloads';

// ---- an independent Standard Webhooks verifier (https://www.standardwebhooks.com, "Verifying") ----

const TOLERANCE_SECONDS = 5 * 60;

/** The spec's key: the base64 after an optional `whsec_`. */
const specKey = (secret: string): Buffer => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
/** A hand-written receiver that uses the secret text as its HMAC key (the credential's Raw Text format). */
const rawTextKey = (secret: string): Buffer => Buffer.from(secret, 'utf8');

/** Returns null when valid, otherwise why not. */
function verifyStandardWebhook(
	secret: string,
	headers: IncomingHttpHeaders,
	rawBody: string,
	nowSeconds: number,
	verifierKey: (secret: string) => Buffer = specKey,
): string | null {
	const id = headers['webhook-id'];
	const timestamp = headers['webhook-timestamp'];
	const signatures = headers['webhook-signature'];
	if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string')
		return 'missing headers';
	if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS)
		return 'timestamp outside tolerance';
	const expected = createHmac('sha256', verifierKey(secret)).update(`${id}.${timestamp}.${rawBody}`).digest();
	for (const candidate of signatures.split(' ')) {
		const [version, encoded] = candidate.split(',', 2);
		if (version !== 'v1' || encoded === undefined) continue;
		const received = Buffer.from(encoded, 'base64');
		if (received.length === expected.length && timingSafeEqual(received, expected)) return null;
	}
	return 'no matching v1 signature';
}

// ---- a receiver that records raw requests and answers from a script ----

interface Received {
	headers: IncomingHttpHeaders;
	body: string;
	path: string;
}

/** A status, or a status with headers (a redirect's Location). */
type Answer = number | { status: number; headers: Record<string, string> };

class Receiver {
	readonly requests: Received[] = [];

	private answers: Answer[] = [];

	private server: Server | undefined;

	url = '';

	async start(): Promise<void> {
		this.server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				this.requests.push({
					headers: request.headers,
					body: Buffer.concat(chunks).toString('utf8'),
					path: request.url ?? '',
				});
				const answer = this.answers.shift() ?? 204;
				const status = typeof answer === 'number' ? answer : answer.status;
				response.writeHead(
					status,
					typeof answer === 'number' ? (status === 503 ? { 'retry-after': '0' } : {}) : answer.headers,
				);
				response.end(status >= 400 ? '{"error":"nope"}' : '');
			});
		});
		await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
	}

	answer(...answers: Answer[]): void {
		this.answers.push(...answers);
	}

	reset(): void {
		this.requests.length = 0;
		this.answers = [];
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server?.close(() => resolve()));
	}
}

// ---- setup ----

const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
/** For the Raw Text format: at least 24 bytes, used as the key as typed. */
const RAW_SECRET = `CANARY-raw-signing-secret-${randomBytes(8).toString('hex')}`;
const RECEIVER_KEY = `CANARY-receiver-api-key-${randomBytes(8).toString('hex')}`;
const PATH_SECRET = `CANARY-path-${randomBytes(8).toString('hex')}`;
const PAYLOAD_TOKEN = `ya29.CANARY-payload-${randomBytes(12).toString('hex')}`;

const receiver = new Receiver();
beforeAll(async () => receiver.start());
afterAll(async () => receiver.stop());
beforeEach(() => receiver.reset());

const node = new TokenHealth();

/** The sink credential's fields besides URL and secret (Secret Format, Headers, Allowed HTTP Request Domains). */
type SinkFields = Record<string, string>;

const keyFormatOf = (secret: string): SinkFields => (secret === RAW_SECRET ? { keyFormat: 'raw' } : {});

function setup(secret: string, url = `${receiver.url}/hooks/${PATH_SECRET}`, fields: SinkFields = {}) {
	const helper = new HarnessCredentialsHelper().registerCredentialType(new TokenGuardWebhookApi());
	const ref = helper.addCredential({
		id: 'hook-1',
		name: 'Alerts',
		type: 'tokenGuardWebhookApi',
		data: {
			url,
			signingSecret: secret,
			headers: JSON.stringify({ 'X-Api-Key': RECEIVER_KEY }),
			...keyFormatOf(secret),
			...fields,
		},
	});
	return { helper, credentials: { tokenGuardWebhookApi: ref } };
}

const revokedGmail = (credentialId = 'cred-hook') =>
	errorTriggerItem(
		nodeError({
			message: 'The credential "Gmail account" needs to be reconnected.',
			description: `Refresh failed; last request used Bearer ${PAYLOAD_TOKEN}`,
			failure: { cause: 'credential-invalid' },
			nodeType: 'n8n-nodes-base.gmail',
			credentials: { gmailOAuth2: { id: credentialId, name: 'Gmail account' } },
		}),
	);

async function diagnoseWithHook(
	secret: string,
	options: {
		items?: IDataObject[];
		eventDelivery?: INodeParameters;
		staticData?: IDataObject;
		url?: string;
		sink?: SinkFields;
	} = {},
): Promise<RunResult> {
	const { helper, credentials } = setup(secret, options.url, options.sink);
	return await runNode({
		nodeType: node,
		helper,
		credentials,
		mode: 'error',
		staticData: options.staticData,
		parameters: { operation: 'diagnoseError', sendEvents: true, eventDelivery: options.eventDelivery ?? {} },
		items: (options.items ?? [revokedGmail()]).map((json) => ({ json })),
	});
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('signed delivery', () => {
	it.each([
		['a whsec_ secret (base64 key)', WHSEC, specKey],
		['the same secret without whsec_ (base64 key)', WHSEC.slice('whsec_'.length), specKey],
		['a Raw Text secret (UTF-8 key)', RAW_SECRET, rawTextKey],
	])('every event verifies with %s and matches the item', async (_name, secret, verifierKey) => {
		const result = await diagnoseWithHook(secret);
		expect(result.error).toBeUndefined();
		const item = result.outputs[0][0].json;
		const events = item.events as Array<{ type: string; id: string; delivery: IDataObject }>;
		expect(events.map((event) => event.type)).toEqual([
			'io.n8n.tokenguard.error.diagnosed',
			'io.n8n.tokenguard.refresh.failed',
		]);
		expect(item.delivery).toEqual({ status: 'delivered', httpCode: 204, attempts: 1 });

		expect(receiver.requests).toHaveLength(2);
		receiver.requests.forEach((request, index) => {
			expect(verifyStandardWebhook(secret, request.headers, request.body, nowSeconds(), verifierKey)).toBeNull();
			expect(request.headers['x-api-key']).toBe(RECEIVER_KEY);
			expect(request.headers['content-type']).toMatch(/application\/json/);
			const body = JSON.parse(request.body) as IDataObject;
			expect(body).toMatchObject({
				specversion: '1.0',
				id: events[index].id,
				type: events[index].type,
				datacontenttype: 'application/json',
			});
			expect(request.headers['webhook-id']).toBe(events[index].id);
			expect(body.data).toMatchObject({
				category: 'refresh_token_invalid',
				provider: 'google',
				severity: 'critical',
				credential: { id: 'cred-hook' },
			});
		});
	});

	it('the standardwebhooks npm package verifies every delivery, with the whsec_ secret or without the prefix', async () => {
		await diagnoseWithHook(WHSEC);
		expect(receiver.requests).toHaveLength(2);
		for (const request of receiver.requests) {
			const headers = request.headers as Record<string, string>;
			expect(new Webhook(WHSEC).verify(request.body, headers)).toMatchObject({ specversion: '1.0' });
			expect(new Webhook(WHSEC.slice('whsec_'.length)).verify(request.body, headers)).toMatchObject({
				specversion: '1.0',
			});
		}
	});

	it('the verifier refuses a tampered body, a wrong secret and a stale timestamp', async () => {
		await diagnoseWithHook(WHSEC);
		const { headers, body } = receiver.requests[0];
		expect(verifyStandardWebhook(WHSEC, headers, body.replace('critical', 'info'), nowSeconds())).toBe(
			'no matching v1 signature',
		);
		expect(verifyStandardWebhook(RAW_SECRET, headers, body, nowSeconds())).toBe('no matching v1 signature');
		expect(verifyStandardWebhook(WHSEC, headers, body, nowSeconds() + 3600)).toBe('timestamp outside tolerance');
	});

	it('a duplicate inside the cooldown is not sent again', async () => {
		const first = await diagnoseWithHook(WHSEC);
		expect(receiver.requests).toHaveLength(2);
		const second = await diagnoseWithHook(WHSEC, { staticData: first.staticData });
		expect(receiver.requests).toHaveLength(2);
		// Output 2, "Already Reported" (version 2).
		expect(second.outputs[2][0].json).toMatchObject({
			duplicate: true,
			delivery: { status: 'suppressed', attempts: 0 },
		});
	});
});

describe('a failing sink', () => {
	it('retries a 503 and reports the delivery once it succeeds, with one webhook-id for all attempts', async () => {
		receiver.answer(503, 200);
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }] });
		expect(result.outputs[0][0].json.delivery).toEqual({ status: 'delivered', httpCode: 200, attempts: 2 });
		expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
		for (const request of receiver.requests)
			expect(verifyStandardWebhook(WHSEC, request.headers, request.body, nowSeconds())).toBeNull();
	});

	it('gives up after 3 attempts without failing the workflow', async () => {
		receiver.answer(503, 503, 503);
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }] });
		expect(result.error).toBeUndefined();
		expect(result.outputs[0][0].json.delivery).toMatchObject({ status: 'failed', httpCode: 503, attempts: 3 });
		expect(receiver.requests).toHaveLength(3);
	});

	it('does not retry a 401 from the receiver', async () => {
		receiver.answer(401);
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }] });
		expect(result.outputs[0][0].json.delivery).toMatchObject({ status: 'failed', httpCode: 401, attempts: 1 });
	});

	it('reports an unreachable receiver without the secret path of its URL', async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise<void>((resolve) => closed.close(() => resolve()));
		const result = await diagnoseWithHook(WHSEC, {
			items: [{ error: 'OAuth credentials not connected' }],
			url: `http://127.0.0.1:${port}/hooks/${PATH_SECRET}`,
		});
		expect(result.error).toBeUndefined();
		const delivery = result.outputs[0][0].json.delivery as IDataObject;
		expect(delivery).toMatchObject({ status: 'failed', attempts: 3 });
		expect(JSON.stringify(result.outputs)).not.toContain(PATH_SECRET);
	});

	it('fails the node when "Fail on Delivery Error" is on', async () => {
		receiver.answer(500, 500, 500);
		const result = await diagnoseWithHook(WHSEC, {
			items: [{ error: 'OAuth credentials not connected' }],
			eventDelivery: { failOnDeliveryError: true },
		});
		expect(result.error?.message).toMatch(/Could not deliver the error\.diagnosed event to the Token Guard webhook/);
	});
});

describe('without a Signing Secret (a receiver that verifies nothing)', () => {
	it('events go unsigned, with webhook-id and webhook-timestamp, and the Header Name / Header Value pair', async () => {
		const result = await diagnoseWithHook('', {
			sink: { headers: '', headerName: 'X-Receiver-Key', headerSecret: RECEIVER_KEY },
		});
		expect(result.error).toBeUndefined();
		const item = result.outputs[0][0].json;
		expect(item.delivery).toEqual({ status: 'delivered', httpCode: 204, attempts: 1 });
		const events = item.events as Array<{ id: string }>;
		expect(receiver.requests).toHaveLength(2);
		receiver.requests.forEach((request, index) => {
			expect(request.headers['webhook-signature']).toBeUndefined();
			expect(request.headers['webhook-id']).toBe(events[index].id);
			expect(Number(request.headers['webhook-timestamp'])).toBeGreaterThan(nowSeconds() - 60);
			expect(request.headers['x-receiver-key']).toBe(RECEIVER_KEY);
		});
		expect(JSON.stringify({ outputs: result.outputs, logs: result.logs.map((line) => line.text) })).not.toContain(
			RECEIVER_KEY,
		);
	});

	it('a Header Name without its value is refused on the item, naming the field', async () => {
		const result = await diagnoseWithHook('', {
			items: [{ error: 'OAuth credentials not connected' }],
			sink: { headers: '', headerName: 'X-Receiver-Key' },
		});
		expect(receiver.requests).toHaveLength(0);
		expect(result.outputs[0][0].json.delivery).toMatchObject({
			status: 'failed',
			error: expect.stringContaining('Header Value: empty for header "X-Receiver-Key"'),
		});
	});
});

describe('a credential that cannot sign sends nothing', () => {
	it.each<[string, string, SinkFields, string]>([
		['a 3-byte key', 'whsec_YWJj', {}, 'Signing Secret: the key is 3 bytes after base64 decoding'],
		[
			'a text secret in the Standard Webhooks format',
			RAW_SECRET,
			{ keyFormat: 'standard' },
			'Signing Secret: not a Standard Webhooks secret',
		],
		[
			'a header value with a line break',
			WHSEC,
			{ headers: JSON.stringify({ 'X-Foo': `${RECEIVER_KEY}\r\nX-Injected: 1` }) },
			'Header "X-Foo": the value contains a line break',
		],
		[
			'a header name that is not a token',
			WHSEC,
			{ headers: JSON.stringify({ 'X-Foo: 1\r\nX-Injected': RECEIVER_KEY }) },
			'not a valid HTTP header name',
		],
	])('%s: refused on the item, naming the field', async (_name, secret, sink, message) => {
		const result = await diagnoseWithHook(secret, { items: [{ error: 'OAuth credentials not connected' }], sink });
		expect(result.error).toBeUndefined();
		expect(receiver.requests).toHaveLength(0);
		const delivery = result.outputs[0][0].json.delivery as IDataObject;
		expect(delivery).toMatchObject({ status: 'failed', attempts: 0 });
		expect(delivery.error).toContain(message);
		expect(JSON.stringify({ outputs: result.outputs, logs: result.logs.map((line) => line.text) })).not.toContain(
			RECEIVER_KEY,
		);
	});

	it('fails the node with the field and the fix when "Fail on Delivery Error" is on', async () => {
		const result = await diagnoseWithHook('whsec_YWJj', {
			items: [{ error: 'OAuth credentials not connected' }],
			eventDelivery: { failOnDeliveryError: true },
		});
		expect(receiver.requests).toHaveLength(0);
		expect(result.error?.message).toMatch(
			/Could not deliver the error\.diagnosed event to the Token Guard webhook, nothing was sent: Signing Secret: .*openssl rand -base64 32.*whsec_/,
		);
	});
});

describe("the sink credential's Allowed HTTP Request Domains", () => {
	const localhostOnly: SinkFields = { allowedHttpRequestDomains: 'domains', allowedDomains: 'localhost' };

	it("a URL outside the list: nothing is sent and the item reports n8n's refusal", async () => {
		const result = await diagnoseWithHook(WHSEC, { items: [revokedGmail()], sink: localhostOnly });
		expect(result.error).toBeUndefined();
		expect(receiver.requests).toHaveLength(0);
		const item = result.outputs[0][0].json;
		const port = new URL(receiver.url).port;
		expect(item.delivery).toEqual({
			status: 'failed',
			attempts: 0,
			error: `Domain not allowed: This credential is restricted from accessing 127.0.0.1:${port}. Only the following domains are allowed: localhost`,
		});
		for (const event of item.events as Array<{ delivery: IDataObject }>)
			expect(event.delivery).toMatchObject({ status: 'failed', attempts: 0 });
		const shown = JSON.stringify({ outputs: result.outputs, logs: result.logs.map((line) => line.text) });
		for (const secret of [WHSEC, WHSEC.slice('whsec_'.length), RECEIVER_KEY, PATH_SECRET, PAYLOAD_TOKEN])
			expect(shown).not.toContain(secret);
	});

	it('a URL outside the list fails the node only with "Fail on Delivery Error" on', async () => {
		const result = await diagnoseWithHook(WHSEC, {
			items: [{ error: 'OAuth credentials not connected' }],
			sink: localhostOnly,
			eventDelivery: { failOnDeliveryError: true },
		});
		expect(receiver.requests).toHaveLength(0);
		expect(result.error?.message).toMatch(
			/Could not deliver the error\.diagnosed event to the Token Guard webhook, nothing was sent: Domain not allowed: This credential is restricted from accessing 127\.0\.0\.1/,
		);
		expect(result.error?.message).not.toContain(PATH_SECRET);
	});

	it.each<[string, SinkFields]>([
		['all', { allowedHttpRequestDomains: 'all' }],
		['a list naming the host', { allowedHttpRequestDomains: 'domains', allowedDomains: 'localhost, 127.0.0.1' }],
		// n8n's rule for a credential's own endpoint: only an explicit list applies.
		['none', { allowedHttpRequestDomains: 'none' }],
	])('%s: delivered and verified', async (_name, sink) => {
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }], sink });
		expect(result.outputs[0][0].json.delivery).toEqual({ status: 'delivered', httpCode: 204, attempts: 1 });
		expect(receiver.requests).toHaveLength(1);
		expect(
			verifyStandardWebhook(WHSEC, receiver.requests[0].headers, receiver.requests[0].body, nowSeconds()),
		).toBeNull();
	});

	it('a sink answering 307 to another loopback server: the redirect is not followed, so that server gets no body, header or signature', async () => {
		const elsewhere = new Receiver();
		await elsewhere.start();
		try {
			const sinks: SinkFields[] = [{}, { allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' }];
			for (const sink of sinks) {
				// Each sink setting is its own first alert, as in a separate n8n process.
				forgetProcessAlertStates();
				receiver.reset();
				receiver.answer({ status: 307, headers: { location: `${elsewhere.url}/stolen` } });
				const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }], sink });
				expect(result.error).toBeUndefined();
				expect(receiver.requests).toHaveLength(1);
				const delivery = result.outputs[0][0].json.delivery as IDataObject;
				expect(delivery).toMatchObject({ status: 'failed', httpCode: 307, attempts: 1 });
				expect(delivery.error).toMatch(/redirect, which Token Guard does not follow/);
				expect(JSON.stringify(result.outputs)).not.toContain(elsewhere.url);
			}
			expect(elsewhere.requests).toHaveLength(0);
		} finally {
			await elsewhere.stop();
		}
	});
});

describe('secrets', () => {
	it('the signing secret, receiver key, URL secret and payload tokens appear in no body, item or log line', async () => {
		await diagnoseWithHook(WHSEC);
		receiver.answer(503, 503, 503);
		const failed = await diagnoseWithHook(RAW_SECRET, { items: [revokedGmail('cred-other')] });
		const everything = JSON.stringify({
			bodies: receiver.requests.map((request) => request.body),
			outputs: failed.outputs,
			logs: failed.logs.map((line) => line.text),
		});
		for (const secret of [WHSEC, WHSEC.slice('whsec_'.length), RAW_SECRET, RECEIVER_KEY, PATH_SECRET, PAYLOAD_TOKEN]) {
			expect(everything).not.toContain(secret);
		}
	});
});
