/**
 * Proves the loopback servers every integration, e2e and benchmark test builds on: the oidc-provider
 * authorization server (rotation, reuse detection, atomic race detection, client auth, protected API,
 * admin controls) and the in-process fault server (each fault kind).
 */
import { createHash } from 'node:crypto';

import { startFaultServer } from '../servers/faultServer';
import type { Fault, FaultServerHandle } from '../servers/faultServer';
import { basicAuthorization, httpRequest } from '../servers/httpClient';
import type { HttpResponse } from '../servers/httpClient';
import { startOidcServer } from '../servers/oidcServer';
import type { OidcServerHandle, RefreshOptions, TokenResponseBody } from '../servers/oidcServer';

const sha256Fingerprint = (token: string) => `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls until `predicate` holds, failing after `timeoutMs` instead of sleeping a fixed time. */
async function pollUntil<T>(
	probe: () => Promise<T>,
	predicate: (value: T) => boolean,
	timeoutMs: number,
	intervalMs = 100,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (predicate(value)) return value;
		if (Date.now() > deadline)
			throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
		await new Promise((resolve) => setTimeout(resolve, intervalMs));
	}
}

/** oidc-provider expiry has whole-second granularity; starting early in a second keeps a 1 s token alive long enough to use once. */
async function earlyInASecond(): Promise<void> {
	while (Date.now() % 1000 > 200) await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

async function refreshConcurrently(server: OidcServerHandle, refreshToken: string, count: number) {
	const responses = await Promise.all(Array.from({ length: count }, () => server.refresh(refreshToken)));
	return {
		successes: responses.filter((response) => response.status === 200),
		invalidGrants: responses.filter((response) => response.status === 400 && response.json?.error === 'invalid_grant'),
	};
}

describe('oidc-server (oidc-provider 9 on 127.0.0.1)', () => {
	let server: OidcServerHandle;

	beforeAll(async () => {
		server = await startOidcServer();
	});
	afterAll(async () => {
		await server?.stop();
	});
	beforeEach(async () => {
		await server.resetStats();
		await server.setApiMode('normal');
		await server.setClockSkew(0);
	});

	it('announces its exact loopback issuer and both introspection and revocation endpoints', async () => {
		const discovery = await httpRequest(server.discoveryUrl);
		expect(server.issuer).toBe(`http://127.0.0.1:${server.port}`);
		expect(discovery.json).toMatchObject({
			issuer: server.issuer,
			token_endpoint: server.tokenUrl,
			introspection_endpoint: server.introspectionUrl,
			revocation_endpoint: server.revocationUrl,
		});
		expect(discovery.json.grant_types_supported).toEqual(
			expect.arrayContaining(['authorization_code', 'refresh_token']),
		);
	});

	it('mints a grant without a browser and rotates the refresh token on every refresh', async () => {
		const grant = await server.mintGrant();
		const first = await server.refresh(grant.refreshToken);
		const second = await server.refresh(first.json.refresh_token!);

		expect(first.status).toBe(200);
		expect(first.json).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access api:read' });
		expect(first.json.refresh_token).toEqual(expect.any(String));
		expect(first.json.refresh_token).not.toBe(grant.refreshToken);
		expect(second.status).toBe(200);
		expect(second.json.refresh_token).not.toBe(first.json.refresh_token);
		expect(second.json.access_token).not.toBe(first.json.access_token);
		expect((await server.stats()).tokenRequests).toMatchObject({ total: 2, refresh_token: 2, byStatus: { '200': 2 } });
	});

	it('treats reuse of a consumed refresh token as theft: invalid_grant and the newest refresh token dies too', async () => {
		const grant = await server.mintGrant();
		const rotated = await server.refresh(grant.refreshToken);
		const reuse = await server.refresh(grant.refreshToken);
		const newest = await server.refresh(rotated.json.refresh_token!);
		const api = await httpRequest(server.apiUrl('me'), { headers: bearer(rotated.json.access_token!) });

		expect(rotated.status).toBe(200);
		expect(reuse.status).toBe(400);
		expect(reuse.json).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
		expect(newest.status).toBe(400);
		expect(newest.json.error).toBe('invalid_grant');
		expect(api.status).toBe(401);
		expect((await server.stats()).grantErrors).toContain('refresh token already used');
	});

	it.each<[string, number, string | undefined, RefreshOptions]>([
		['basic auth, right secret', 200, undefined, {}],
		['basic auth, wrong secret', 401, 'invalid_client', { clientSecret: 'not-the-secret' }],
		['basic auth, unknown client', 401, 'invalid_client', { clientId: 'nobody' }],
		[
			'basic-registered client sending its secret in the body',
			401,
			'invalid_client',
			{ authMethod: 'client_secret_post' },
		],
	])('client authentication: %s → %i', async (_case, status, error, options) => {
		const grant = await server.mintGrant();
		const response = await server.refresh(grant.refreshToken, options);
		expect(response.status).toBe(status);
		expect(response.json.error).toBe(error);
	});

	it.each<[string, number, 'client_secret_post' | 'client_secret_basic']>([
		['client_secret_post', 200, 'client_secret_post'],
		['client_secret_basic', 401, 'client_secret_basic'],
	])('the second client is registered for client_secret_post: %s → %i', async (_case, status, authMethod) => {
		const grant = await server.mintGrant({ clientId: server.postClientId });
		const response = await server.refresh(grant.refreshToken, { clientId: server.postClientId, authMethod });
		expect(response.status).toBe(status);
	});

	it('a wrong auth method does not consume the refresh token', async () => {
		const grant = await server.mintGrant();
		const wrongMethod = await server.refresh(grant.refreshToken, { authMethod: 'client_secret_post' });
		const rightMethod = await server.refresh(grant.refreshToken);
		expect(wrongMethod.status).toBe(401);
		expect(rightMethod.status).toBe(200);
	});

	it('rejects basic and body credentials sent together with invalid_request', async () => {
		const grant = await server.mintGrant();
		const form = new URLSearchParams({
			grant_type: 'refresh_token',
			refresh_token: grant.refreshToken,
			client_id: server.clientId,
			client_secret: server.clientSecret,
		});
		const response = await httpRequest<TokenResponseBody>(server.tokenUrl, {
			method: 'POST',
			body: form,
			headers: { authorization: basicAuthorization(server.clientId, server.clientSecret) },
		});
		expect(response.status).toBe(400);
		expect(response.json.error).toBe('invalid_request');
	});

	it('revoking a grant kills its refresh token and its access token', async () => {
		const grant = await server.mintGrant();
		const before = await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });
		await server.revokeGrant(grant.grantId);
		const refresh = await server.refresh(grant.refreshToken);
		const after = await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });

		expect(before.status).toBe(200);
		expect(refresh.status).toBe(400);
		expect(refresh.json.error).toBe('invalid_grant');
		expect(after.status).toBe(401);
		expect(after.headers['www-authenticate']).toContain('error="invalid_token"');
	});

	it('introspection reports an active token and revocation deactivates it', async () => {
		const grant = await server.mintGrant();
		const auth = { authorization: basicAuthorization(server.clientId, server.clientSecret) };
		const introspect = () =>
			httpRequest(server.introspectionUrl, {
				method: 'POST',
				headers: auth,
				body: new URLSearchParams({ token: grant.refreshToken }),
			});
		const active = await introspect();
		const revoke = await httpRequest(server.revocationUrl, {
			method: 'POST',
			headers: auth,
			body: new URLSearchParams({ token: grant.refreshToken }),
		});
		const inactive = await introspect();

		expect(active.json).toMatchObject({ active: true, client_id: server.clientId, sub: grant.accountId });
		expect(revoke.status).toBe(200);
		expect(inactive.json).toEqual({ active: false });
		expect((await server.stats()).providerRequests).toMatchObject({ introspection: 2, revocation: 1 });
	});

	describe('protected API', () => {
		it('accepts a fresh access token and identifies it by fingerprint only', async () => {
			const grant = await server.mintGrant({ accountId: 'alice' });
			const response = await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });
			expect(response.status).toBe(200);
			expect(response.json).toEqual({
				sub: 'alice',
				scope: 'openid offline_access api:read',
				client_id: server.clientId,
				tokenFingerprint: sha256Fingerprint(grant.accessToken),
			});
			expect(response.text).not.toContain(grant.accessToken);
		});

		it('accepts the access token a refresh returned', async () => {
			const grant = await server.mintGrant();
			const refreshed = await server.refresh(grant.refreshToken);
			const response = await httpRequest(server.apiUrl('me'), { headers: bearer(refreshed.json.access_token!) });
			expect(response.status).toBe(200);
		});

		it('/api/echo echoes method, query and body for any method', async () => {
			const grant = await server.mintGrant();
			const response = await httpRequest(server.apiUrl('echo?page=2'), {
				method: 'PATCH',
				headers: bearer(grant.accessToken),
				body: { name: 'x' },
			});
			expect(response.status).toBe(200);
			expect(response.json).toMatchObject({ method: 'PATCH', query: { page: '2' }, body: { name: 'x' } });
		});

		it.each<[string, Record<string, string>, string]>([
			['no Authorization header', {}, 'Bearer realm="token-guard-demo"'],
			['an unknown token', bearer('not-a-real-token'), 'error="invalid_token"'],
			['a Basic header', { authorization: basicAuthorization('a', 'b') }, 'Bearer realm="token-guard-demo"'],
		])('answers 401 with a Bearer challenge for %s', async (_case, headers, challenge) => {
			const response = await httpRequest(server.apiUrl('me'), { headers });
			expect(response.status).toBe(401);
			expect(response.headers['www-authenticate']).toContain(challenge);
		});

		it.each<[string, number, string, string | undefined]>([
			['with api:read', 200, 'openid offline_access api:read', undefined],
			['without api:read', 403, 'openid offline_access', 'error="insufficient_scope"'],
		])('/api/scoped %s → %i', async (_case, status, scope, challenge) => {
			const grant = await server.mintGrant({ scope });
			const response = await httpRequest(server.apiUrl('scoped'), { headers: bearer(grant.accessToken) });
			expect(response.status).toBe(status);
			expect(response.headers['www-authenticate']).toEqual(challenge ? expect.stringContaining(challenge) : undefined);
		});

		it.each<[string, 'always401' | 'body-expired', string, number, object]>([
			['always401 rejects even a fresh token', 'always401', 'fresh', 401, { error: 'invalid_token' }],
			[
				'body-expired answers 200 with the expiry only in the body',
				'body-expired',
				'bogus',
				200,
				{ ok: false, error: 'token_expired' },
			],
			['body-expired still serves a valid token', 'body-expired', 'fresh', 200, { sub: 'demo-user' }],
		])('api-mode %s', async (_case, mode, tokenKind, status, body) => {
			const grant = await server.mintGrant();
			await server.setApiMode(mode);
			const response = await httpRequest(server.apiUrl('me'), {
				headers: bearer(tokenKind === 'fresh' ? grant.accessToken : 'bogus'),
			});
			expect(response.status).toBe(status);
			expect(response.json).toMatchObject(body);
		});

		it('counts every API request by status', async () => {
			const grant = await server.mintGrant({ scope: 'openid offline_access' });
			await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });
			await httpRequest(server.apiUrl('me'));
			await httpRequest(server.apiUrl('scoped'), { headers: bearer(grant.accessToken) });
			expect((await server.stats()).apiRequests).toEqual({ total: 3, byStatus: { '200': 1, '401': 1, '403': 1 } });
			await server.resetStats();
			expect((await server.stats()).apiRequests).toEqual({ total: 0, byStatus: {} });
		});

		it.each([[3_600_000], [-600_000]])('clock skew of %i ms makes the Date header lie by that much', async (skewMs) => {
			const grant = await server.mintGrant();
			await server.setClockSkew(skewMs);
			const requestedAt = Date.now();
			const response = await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });
			const reportedDriftMs = Date.parse(response.headers.date!) - requestedAt;
			// Date has whole-second resolution; allow that plus loopback time.
			expect(Math.abs(reportedDriftMs - skewMs)).toBeLessThan(2000);
		});
	});
});

describe('oidc-server with strict client auth turned off', () => {
	let server: OidcServerHandle;
	beforeAll(async () => {
		server = await startOidcServer({ strictClientAuthMethod: false, clientAuthMethod: 'client_secret_post' });
	});
	afterAll(async () => {
		await server?.stop();
	});

	it.each<['client_secret_post' | 'client_secret_basic']>([['client_secret_post'], ['client_secret_basic']])(
		'accepts %s from a client registered for client_secret_post, as oidc-provider does by itself',
		async (authMethod) => {
			const grant = await server.mintGrant();
			const response = await server.refresh(grant.refreshToken, { authMethod });
			expect(response.status).toBe(200);
		},
	);
});

describe('oidc-server access-token expiry (1 s TTL)', () => {
	let server: OidcServerHandle;
	beforeAll(async () => {
		server = await startOidcServer({ accessTokenTtlSeconds: 1 });
	});
	afterAll(async () => {
		await server?.stop();
	});

	it('accepts a fresh access token, then answers 401 + WWW-Authenticate invalid_token once it expires', async () => {
		await earlyInASecond();
		const grant = await server.mintGrant();
		const fresh = await httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) });
		const expired = await pollUntil(
			() => httpRequest(server.apiUrl('me'), { headers: bearer(grant.accessToken) }),
			(response) => response.status !== 200,
			5000,
		);

		expect(grant.expiresIn).toBeLessThanOrEqual(1);
		expect(fresh.status).toBe(200);
		expect(expired.status).toBe(401);
		expect(expired.headers['www-authenticate']).toBe(
			'Bearer realm="token-guard-demo", error="invalid_token", error_description="access token expired"',
		);
	});
});

describe('oidc-server refresh race detection (atomic consume)', () => {
	const servers: OidcServerHandle[] = [];
	afterAll(async () => {
		await Promise.all(servers.map((server) => server.stop()));
	});

	it.each([
		['in-memory store', 0],
		['store with 5 ms latency per operation', 5],
	])(
		'10 concurrent refreshes of one token (%s) → exactly 1 success, 9 invalid_grant, grant revoked',
		async (_case, adapterLatencyMs) => {
			const server = await startOidcServer({ adapterLatencyMs });
			servers.push(server);
			const grant = await server.mintGrant();

			const { successes, invalidGrants } = await refreshConcurrently(server, grant.refreshToken, 10);
			const winnerNext = await server.refresh(successes[0].json.refresh_token!);

			expect(successes).toHaveLength(1);
			expect(invalidGrants).toHaveLength(9);
			expect(winnerNext.status).toBe(400);
			expect((await server.stats()).grantErrors.length).toBeGreaterThanOrEqual(9);
		},
	);

	it('control: with a naive check-then-set store the same race goes undetected (so the test above can fail)', async () => {
		const server = await startOidcServer({ adapterLatencyMs: 5, atomicConsume: false });
		servers.push(server);
		const grant = await server.mintGrant();

		const { successes } = await refreshConcurrently(server, grant.refreshToken, 10);

		expect(successes.length).toBeGreaterThan(1);
	});
});

describe('fault server', () => {
	let faults: FaultServerHandle;
	beforeAll(async () => {
		faults = await startFaultServer();
	});
	afterAll(async () => {
		await faults?.stop();
	});
	beforeEach(() => faults.reset());

	const retryAt = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));

	it.each<[string, Fault, (response: HttpResponse) => void]>([
		[
			'json',
			{ kind: 'json', status: 418, body: { teapot: true }, headers: { 'x-extra': 'yes' } },
			(r) => {
				expect(r.status).toBe(418);
				expect(r.json).toEqual({ teapot: true });
				expect(r.headers['x-extra']).toBe('yes');
			},
		],
		[
			'text',
			{ kind: 'text', status: 500, body: 'upstream exploded', contentType: 'text/plain' },
			(r) => {
				expect(r.status).toBe(500);
				expect(r.text).toBe('upstream exploded');
				expect(r.headers['content-type']).toBe('text/plain');
			},
		],
		[
			'html',
			{ kind: 'html', status: 502 },
			(r) => {
				expect(r.status).toBe(502);
				expect(r.headers['content-type']).toContain('text/html');
				expect(r.text).toContain('<html>');
			},
		],
		[
			'retryAfterSeconds',
			{ kind: 'retryAfterSeconds', status: 429, seconds: 7 },
			(r) => {
				expect(r.status).toBe(429);
				expect(r.headers['retry-after']).toBe('7');
			},
		],
		[
			'retryAfterDate',
			{ kind: 'retryAfterDate', status: 503, date: retryAt },
			(r) => {
				expect(r.status).toBe(503);
				expect(Date.parse(r.headers['retry-after'] as string)).toBe(retryAt.getTime());
			},
		],
		[
			'slowBody',
			{
				kind: 'slowBody',
				status: 200,
				body: { access_token: 'slow', token_type: 'Bearer' },
				chunkDelayMs: 30,
				chunks: 3,
			},
			(r) => {
				expect(r.status).toBe(200);
				expect(r.json).toEqual({ access_token: 'slow', token_type: 'Bearer' });
			},
		],
		[
			'token with given values',
			{ kind: 'token', accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 60 },
			(r) => {
				expect(r.json).toEqual({ access_token: 'at-1', refresh_token: 'rt-1', expires_in: 60, token_type: 'Bearer' });
			},
		],
		[
			'token without rotation or expiry',
			{ kind: 'token', refreshToken: null, expiresIn: null },
			(r) => {
				expect(Object.keys(r.json).sort()).toEqual(['access_token', 'token_type']);
			},
		],
		[
			'oauthError invalid_client',
			{ kind: 'oauthError', error: 'invalid_client', description: 'bad secret' },
			(r) => {
				expect(r.status).toBe(401);
				expect(r.json).toEqual({ error: 'invalid_client', error_description: 'bad secret' });
				expect(r.headers['www-authenticate']).toContain('Basic');
			},
		],
		[
			'oauthError invalid_grant',
			{ kind: 'oauthError', error: 'invalid_grant' },
			(r) => {
				expect(r.status).toBe(400);
				expect(r.json).toEqual({ error: 'invalid_grant' });
			},
		],
	])('serves a %s fault', async (_case, fault, check) => {
		faults.enqueue(fault);
		check(
			await httpRequest(`${faults.url}/token`, {
				method: 'POST',
				body: new URLSearchParams({ grant_type: 'refresh_token' }),
			}),
		);
		expect(faults.requests[0]).toMatchObject({
			method: 'POST',
			path: '/token',
			form: { grant_type: 'refresh_token' },
			fault,
		});
	});

	it('slowBody really trickles: the body arrives in several chunks', async () => {
		faults.enqueue({ kind: 'slowBody', status: 200, body: 'abcdefghijkl', chunkDelayMs: 40, chunks: 4 });
		const chunks: Buffer[] = [];
		const response = await httpRequest(faults.url, { onChunk: (chunk) => chunks.push(chunk) });
		expect(response.text).toBe('abcdefghijkl');
		expect(chunks.length).toBeGreaterThan(1);
	});

	it('generates unique tokens for each token fault', async () => {
		faults.enqueue({ kind: 'token' }, { kind: 'token' });
		const [first, second] = [await httpRequest(faults.url), await httpRequest(faults.url)];
		expect(first.json.access_token).not.toBe(second.json.access_token);
		expect(first.json.refresh_token).not.toBe(second.json.refresh_token);
		expect(first.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
	});

	it('reset destroys the socket', async () => {
		faults.enqueue({ kind: 'reset' });
		await expect(httpRequest(faults.url)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
	});

	it('hang never answers (the client has to time out)', async () => {
		faults.enqueue({ kind: 'hang' });
		await expect(httpRequest(faults.url, { timeoutMs: 200 })).rejects.toThrow(/timed out/);
		expect(faults.requests).toHaveLength(1);
	});

	it('answers faults in queue order, then the default; setDefault and reset change that', async () => {
		faults.enqueue({ kind: 'json', status: 201, body: 1 }, { kind: 'json', status: 202, body: 2 });
		const statuses = [];
		for (let i = 0; i < 3; i++) statuses.push((await httpRequest(faults.url)).status);
		faults.setDefault({ kind: 'oauthError', error: 'temporarily_unavailable', status: 503 });
		statuses.push((await httpRequest(faults.url)).status);
		faults.reset();
		statuses.push((await httpRequest(faults.url)).status);

		expect(statuses).toEqual([201, 202, 200, 503, 200]);
		expect(faults.pending).toBe(0);
		expect(faults.requests).toHaveLength(1);
	});

	it('delays an answer by delayMs without consuming later faults early', async () => {
		faults.enqueue(
			{ kind: 'json', status: 200, body: 'slow', delayMs: 100 },
			{ kind: 'json', status: 200, body: 'fast' },
		);
		const order: string[] = [];
		await Promise.all([
			httpRequest(faults.url).then((r) => order.push(r.json)),
			new Promise((resolve) => setTimeout(resolve, 20)).then(() =>
				httpRequest(faults.url).then((r) => order.push(r.json)),
			),
		]);
		expect(order).toEqual(['fast', 'slow']);
	});
});
