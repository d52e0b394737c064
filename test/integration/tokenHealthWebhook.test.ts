/**
 * Token Health's events reach a signed webhook: every delivery is checked by an independent
 * implementation of the Standard Webhooks verification (written here from the spec, sharing no code with
 * the package) against a small node:http receiver on 127.0.0.1. A failing receiver never fails the
 * workflow unless "Fail on Delivery Error" is on, and no secret reaches a body, an item or the log.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunResult } from '../harness';
import { errorTriggerItem, nodeError } from './tokenHealthPayloads';

// ---- an independent Standard Webhooks verifier (https://www.standardwebhooks.com, "Verifying") ----

const TOLERANCE_SECONDS = 5 * 60;

function verifierKey(secret: string): Buffer {
	return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** Returns null when valid, otherwise why not. */
function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, rawBody: string, nowSeconds: number): string | null {
	const id = headers['webhook-id'];
	const timestamp = headers['webhook-timestamp'];
	const signatures = headers['webhook-signature'];
	if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return 'missing headers';
	if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return 'timestamp outside tolerance';
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

class Receiver {
	readonly requests: Received[] = [];

	private answers: number[] = [];

	private server: Server | undefined;

	url = '';

	async start(): Promise<void> {
		this.server = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				this.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), path: request.url ?? '' });
				const status = this.answers.shift() ?? 204;
				response.writeHead(status, status === 503 ? { 'retry-after': '0' } : {});
				response.end(status >= 400 ? '{"error":"nope"}' : '');
			});
		});
		await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
	}

	answer(...statuses: number[]): void {
		this.answers.push(...statuses);
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

const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const RAW_SECRET = `CANARY-raw-signing-secret-${randomBytes(8).toString('hex')}`;
const RECEIVER_KEY = `CANARY-receiver-api-key-${randomBytes(8).toString('hex')}`;
const PATH_SECRET = `CANARY-path-${randomBytes(8).toString('hex')}`;
const PAYLOAD_TOKEN = `ya29.CANARY-payload-${randomBytes(12).toString('hex')}`;

const receiver = new Receiver();
beforeAll(async () => receiver.start());
afterAll(async () => receiver.stop());
beforeEach(() => receiver.reset());

const node = new TokenHealth();

function setup(secret: string, url = `${receiver.url}/hooks/${PATH_SECRET}`) {
	const helper = new HarnessCredentialsHelper().registerCredentialType(new TokenGuardWebhookApi());
	const ref = helper.addCredential({
		id: 'hook-1',
		name: 'Alerts',
		type: 'tokenGuardWebhookApi',
		data: { url, signingSecret: secret, headers: JSON.stringify({ 'X-Api-Key': RECEIVER_KEY }) },
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
	options: { items?: IDataObject[]; eventDelivery?: INodeParameters; staticData?: IDataObject; url?: string } = {},
): Promise<RunResult> {
	const { helper, credentials } = setup(secret, options.url);
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
		['a whsec_ secret (base64 key)', WHSEC],
		['a raw secret (UTF-8 key)', RAW_SECRET],
	])('every event verifies with %s and matches the item', async (_name, secret) => {
		const result = await diagnoseWithHook(secret);
		expect(result.error).toBeUndefined();
		const item = result.outputs[0][0].json;
		const events = item.events as Array<{ type: string; id: string; delivery: IDataObject }>;
		expect(events.map((event) => event.type)).toEqual(['io.n8n.tokenguard.error.diagnosed', 'io.n8n.tokenguard.refresh.failed']);
		expect(item.delivery).toEqual({ status: 'delivered', httpCode: 204, attempts: 1 });

		expect(receiver.requests).toHaveLength(2);
		receiver.requests.forEach((request, index) => {
			expect(verifyStandardWebhook(secret, request.headers, request.body, nowSeconds())).toBeNull();
			expect(request.headers['x-api-key']).toBe(RECEIVER_KEY);
			expect(request.headers['content-type']).toMatch(/application\/json/);
			const body = JSON.parse(request.body) as IDataObject;
			expect(body).toMatchObject({ specversion: '1.0', id: events[index].id, type: events[index].type, datacontenttype: 'application/json' });
			expect(request.headers['webhook-id']).toBe(events[index].id);
			expect(body.data).toMatchObject({ category: 'refresh_token_invalid', provider: 'google', severity: 'critical', credential: { id: 'cred-hook' } });
		});
	});

	it('the verifier refuses a tampered body, a wrong secret and a stale timestamp', async () => {
		await diagnoseWithHook(WHSEC);
		const { headers, body } = receiver.requests[0];
		expect(verifyStandardWebhook(WHSEC, headers, body.replace('critical', 'info'), nowSeconds())).toBe('no matching v1 signature');
		expect(verifyStandardWebhook(RAW_SECRET, headers, body, nowSeconds())).toBe('no matching v1 signature');
		expect(verifyStandardWebhook(WHSEC, headers, body, nowSeconds() + 3600)).toBe('timestamp outside tolerance');
	});

	it('a duplicate inside the cooldown is not sent again', async () => {
		const first = await diagnoseWithHook(WHSEC);
		expect(receiver.requests).toHaveLength(2);
		const second = await diagnoseWithHook(WHSEC, { staticData: first.staticData });
		expect(receiver.requests).toHaveLength(2);
		expect(second.outputs[1][0].json).toMatchObject({ duplicate: true, delivery: { status: 'suppressed', attempts: 0 } });
	});
});

describe('a failing sink', () => {
	it('retries a 503 and reports the delivery once it succeeds, with one webhook-id for all attempts', async () => {
		receiver.answer(503, 200);
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }] });
		expect(result.outputs[0][0].json.delivery).toEqual({ status: 'delivered', httpCode: 200, attempts: 2 });
		expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(1);
		for (const request of receiver.requests) expect(verifyStandardWebhook(WHSEC, request.headers, request.body, nowSeconds())).toBeNull();
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
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }], url: `http://127.0.0.1:${port}/hooks/${PATH_SECRET}` });
		expect(result.error).toBeUndefined();
		const delivery = result.outputs[0][0].json.delivery as IDataObject;
		expect(delivery).toMatchObject({ status: 'failed', attempts: 3 });
		expect(JSON.stringify(result.outputs)).not.toContain(PATH_SECRET);
	});

	it('fails the node when "Fail on Delivery Error" is on', async () => {
		receiver.answer(500, 500, 500);
		const result = await diagnoseWithHook(WHSEC, { items: [{ error: 'OAuth credentials not connected' }], eventDelivery: { failOnDeliveryError: true } });
		expect(result.error?.message).toMatch(/Could not deliver the error\.diagnosed event to the Token Guard webhook/);
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
