/**
 * A credential restricted by its owner must not carry its secrets anywhere else, whoever uses it and
 * whatever URL they type. Each credential family, restricted to 127.0.0.1, is pointed at a receiver on
 * another loopback address (127.0.0.2) through every outbound path: Request With Auto-Refresh, Probe URL,
 * introspection, the manual token URL, and redirects from an allowed host. The receiver records every
 * request; none may carry a planted secret. `all` is the positive control: the same request reaches it.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { forgetRecentRefreshes } from '../../../nodes/shared/refresh/manualGrant';
import { forgetRefreshMemory } from '../../../nodes/shared/refresh/sharedRefresh.adapter';
import { TokenHealth } from '../../../nodes/TokenHealth/TokenHealth.node';
import { runNode } from '../../harness';
import type { RunResult } from '../../harness';
import type { OidcServerHandle } from '../../servers/oidcServer';
import { startOidcServer } from '../../servers/oidcServer';
import type { StoredRef } from '../forceRefreshSupport';
import { addConnectCredential, addManualCredential, newHelper, runForceRefresh } from '../forceRefreshSupport';

interface Received {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: string;
}

interface Receiver {
	url: string;
	received: Received[];
	close(): Promise<void>;
}

/** Records every request and answers like a cooperative API (and an RFC 7662 endpoint). */
async function startReceiver(
	host: string,
	answer: (request: Received) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<Receiver> {
	const received: Received[] = [];
	const server: Server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const entry = {
				method: request.method ?? '',
				url: request.url ?? '',
				headers: request.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			};
			received.push(entry);
			const { status, headers, body } = answer(entry);
			response.writeHead(status, { 'content-type': 'application/json', ...headers });
			response.end(body ?? '{"ok":true,"active":true}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://${host}:${port}`,
		received,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

let oidc: OidcServerHandle;
/** The hostile destination: another loopback address, outside every restricted credential's list. */
let outside: Receiver;
/** An allowed host whose every answer redirects to the outside receiver. */
let redirector: Receiver;
let redirectStatus = 307;

beforeAll(async () => {
	oidc = await startOidcServer({ accessTokenTtlSeconds: 3600 });
	outside = await startReceiver('127.0.0.2', () => ({ status: 200 }));
	redirector = await startReceiver('127.0.0.1', (request) => ({
		status: redirectStatus,
		headers: { location: `${outside.url}/after-redirect${request.url}` },
		body: '',
	}));
});
afterAll(async () => {
	await Promise.all([oidc?.stop(), outside?.close(), redirector?.close()]);
});
beforeEach(() => {
	outside.received.length = 0;
	redirector.received.length = 0;
	redirectStatus = 307;
	forgetRecentRefreshes();
	forgetRefreshMemory();
});

type Restriction = 'domains' | 'none' | 'all';
type Family = 'connect' | 'manual';

const restrictionData = (restriction: Restriction): IDataObject =>
	restriction === 'domains'
		? { allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' }
		: { allowedHttpRequestDomains: restriction };

interface Planted {
	credential: StoredRef;
	helper: ReturnType<typeof newHelper>;
	secrets: string[];
}

async function plant(family: Family, restriction: Restriction, overrides: IDataObject = {}): Promise<Planted> {
	const grant = await oidc.mintGrant();
	const helper = newHelper();
	const extraData = { ...restrictionData(restriction), ...overrides };
	const credential =
		family === 'connect'
			? addConnectCredential(helper, oidc, grant, { extraData })
			: addManualCredential(helper, oidc, grant, {
					expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
					extraData,
				});
	const basic = Buffer.from(`${oidc.clientId}:${oidc.clientSecret}`).toString('base64');
	return { credential, helper, secrets: [grant.accessToken, grant.refreshToken, oidc.clientSecret, basic] };
}

/** Every request the receiver got, as text, searched for each planted secret (and its URL encoding). */
function leakedSecrets(receiver: Receiver, secrets: string[]): string[] {
	const seen = receiver.received
		.map((request) => `${request.method} ${request.url}\n${JSON.stringify(request.headers)}\n${request.body}`)
		.join('\n');
	return secrets.filter((secret) => seen.includes(secret) || seen.includes(encodeURIComponent(secret)));
}

const errorText = (result: RunResult): string =>
	`${result.error?.message ?? ''} ${String((result.error as { description?: unknown } | undefined)?.description ?? '')}`;

const DOMAIN_REFUSAL = /Domain not allowed: This credential is restricted from accessing 127\.0\.0\.2/;
const NONE_REFUSAL = /This credential is configured to prevent use within an HTTP Request or Token Guard node/;

async function requestTo(planted: Planted, url: string, parameters: INodeParameters = {}): Promise<RunResult> {
	return await runForceRefresh(planted.helper, planted.credential, { operation: 'request', url, ...parameters });
}

async function checkCredential(planted: Planted, parameters: INodeParameters): Promise<RunResult> {
	return await runNode({
		nodeType: new TokenHealth(),
		helper: planted.helper,
		mode: 'trigger',
		parameters: { operation: 'checkCredential', credentialType: planted.credential.type, ...parameters },
		credentials: { [planted.credential.type]: planted.credential.ref },
	});
}

describe.each<Family>(['connect', 'manual'])('%s family: Request With Auto-Refresh', (family) => {
	it("domains: a URL outside the list is refused with n8n's wording and receives nothing", async () => {
		const planted = await plant(family, 'domains');
		const result = await requestTo(planted, `${outside.url}/steal`);
		expect(errorText(result)).toMatch(DOMAIN_REFUSAL);
		expect(outside.received).toHaveLength(0);
	});

	it('none: refused like the HTTP Request node refuses it', async () => {
		const planted = await plant(family, 'none');
		const result = await requestTo(planted, `${outside.url}/steal`);
		expect(errorText(result)).toMatch(NONE_REFUSAL);
		expect(outside.received).toHaveLength(0);
	});

	it('all: the same request goes through with the token (the control)', async () => {
		const planted = await plant(family, 'all');
		const result = await requestTo(planted, `${outside.url}/allowed`);
		expect(result.error).toBeUndefined();
		expect(outside.received).toHaveLength(1);
		expect(outside.received[0].headers.authorization).toMatch(/^Bearer /);
	});

	it.each([302, 307])(
		"all: a %i to another origin reaches it without the token or the body's secrets",
		async (status) => {
			redirectStatus = status;
			const planted = await plant(family, 'all');
			await requestTo(planted, `${redirector.url}/api`, {
				method: 'POST',
				bodyType: 'json',
				jsonBody: '{"note":"user data"}',
			});
			expect(redirector.received).toHaveLength(1);
			expect(redirector.received[0].headers.authorization).toMatch(/^Bearer /);
			expect(outside.received.length).toBeGreaterThan(0);
			expect(outside.received.map((request) => request.headers.authorization)).toEqual(
				outside.received.map(() => undefined),
			);
			expect(leakedSecrets(outside, planted.secrets)).toEqual([]);
		},
	);

	it('domains: a redirect from an allowed host to one outside the list is not followed', async () => {
		const planted = await plant(family, 'domains');
		const result = await requestTo(planted, `${redirector.url}/api`);
		expect(errorText(result)).toMatch(DOMAIN_REFUSAL);
		expect(redirector.received).toHaveLength(1);
		expect(outside.received).toHaveLength(0);
	});
});

describe.each<Family>(['connect', 'manual'])('%s family: Check Credential', (family) => {
	it('domains: a Probe URL outside the list is refused and receives nothing', async () => {
		const planted = await plant(family, 'domains');
		const result = await checkCredential(planted, { probeUrl: `${outside.url}/userinfo` });
		expect(errorText(result)).toMatch(DOMAIN_REFUSAL);
		expect(outside.received).toHaveLength(0);
	});

	it('all: the Probe URL gets the access token (the control)', async () => {
		const planted = await plant(family, 'all');
		const result = await checkCredential(planted, { probeUrl: `${outside.url}/userinfo` });
		expect(result.error).toBeUndefined();
		expect(outside.received).toHaveLength(1);
	});

	it("an introspection endpoint typed into a saved workflow is never called; the credential's own endpoint is", async () => {
		const planted = await plant(family, 'all');
		const result = await checkCredential(planted, { introspectionUrl: `${outside.url}/introspect` });
		expect(result.error).toBeUndefined();
		expect(outside.received).toHaveLength(0);
		const json = result.outputs.flat()[0].json as IDataObject;
		expect(JSON.stringify(json.findings)).not.toMatch(/introspection_skipped|introspection_failed/);
	});

	it('domains: an Introspection URL on the credential outside its own list receives nothing', async () => {
		const planted = await plant(family, 'domains', { introspectionUrl: `${outside.url}/introspect` });
		const result = await checkCredential(planted, { introspect: true });
		expect(errorText(result)).toMatch(DOMAIN_REFUSAL);
		expect(outside.received).toHaveLength(0);
	});
});

describe('manual family: the token URL', () => {
	it('a token URL that redirects gets the refresh grant once and the redirect target gets nothing', async () => {
		const planted = await plant('manual', 'all', { tokenUrl: `${redirector.url}/token` });
		const result = await runForceRefresh(planted.helper, planted.credential, { operation: 'refresh' });
		expect(errorText(result)).toMatch(/redirect/i);
		expect(redirector.received).toHaveLength(1);
		expect(outside.received).toHaveLength(0);
	});

	it("domains: a token URL outside the credential's list is refused before the refresh token is sent", async () => {
		const planted = await plant('manual', 'domains', { tokenUrl: `${outside.url}/token` });
		const result = await runForceRefresh(planted.helper, planted.credential, { operation: 'refresh' });
		expect(errorText(result)).toMatch(DOMAIN_REFUSAL);
		expect(outside.received).toHaveLength(0);
	});
});
