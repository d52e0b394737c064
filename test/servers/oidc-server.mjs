#!/usr/bin/env node
/**
 * Loopback authorization server for the integration, e2e and benchmark tiers: oidc-provider 9 with
 * refresh-token rotation and reuse detection, a protected demo API and a test-only admin API, all on
 * one 127.0.0.1 port.
 *
 *   node test/servers/oidc-server.mjs   → prints one line {"issuer":"http://127.0.0.1:<port>","port":<port>}
 *
 * Environment (all optional): OIDC_PORT, OIDC_ACCESS_TOKEN_TTL, OIDC_REFRESH_TOKEN_TTL (seconds),
 * OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_CLIENT_AUTH_METHOD (client_secret_basic|client_secret_post),
 * OIDC_POST_CLIENT_ID, OIDC_REDIRECT_URIS (comma separated, added to n8n's callback),
 * OIDC_ADAPTER_LATENCY_MS, OIDC_ATOMIC_CONSUME=0 (naive store), OIDC_STRICT_CLIENT_AUTH=0 (accept basic and
 * body secrets from every client, as oidc-provider and Keycloak do), OIDC_EXIT_ON_STDIN_END=1.
 *
 * Importable too: `startOidcServer(options)` resolves to {issuer, port, provider, state, close()}.
 * Routes: /__admin/* (test control, JSON), /api/* (protected API), everything else → oidc-provider.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

import { AtomicMemoryStore, createAtomicMemoryAdapter } from './atomic-memory-adapter.mjs';

export const N8N_CALLBACK_URIS = [
	'http://127.0.0.1:5678/rest/oauth2-credential/callback',
	'http://localhost:5678/rest/oauth2-credential/callback',
];
export const DEFAULT_SCOPE = 'openid offline_access api:read';
const API_SCOPE = 'api:read';
const REALM = 'token-guard-demo';
const ADMIN_BODY_LIMIT = 64 * 1024;
/** Expired tokens stay readable this long so the API can say "expired" rather than "unknown". */
const EXPIRED_TOKEN_GRACE_SECONDS = 300;

export const DEFAULT_OPTIONS = Object.freeze({
	host: '127.0.0.1',
	port: 0,
	accessTokenTtlSeconds: 2,
	refreshTokenTtlSeconds: 14 * 24 * 60 * 60,
	clientId: 'token-guard-client',
	clientSecret: 'token-guard-secret',
	clientAuthMethod: 'client_secret_basic',
	postClientId: undefined,
	extraRedirectUris: [],
	adapterLatencyMs: 0,
	atomicConsume: true,
	strictClientAuthMethod: true,
});

export function optionsFromEnv(env = process.env) {
	const number = (value) => (value === undefined || value === '' ? undefined : Number(value));
	const options = {
		port: number(env.OIDC_PORT),
		accessTokenTtlSeconds: number(env.OIDC_ACCESS_TOKEN_TTL),
		refreshTokenTtlSeconds: number(env.OIDC_REFRESH_TOKEN_TTL),
		clientId: env.OIDC_CLIENT_ID || undefined,
		clientSecret: env.OIDC_CLIENT_SECRET || undefined,
		clientAuthMethod: env.OIDC_CLIENT_AUTH_METHOD || undefined,
		postClientId: env.OIDC_POST_CLIENT_ID || undefined,
		extraRedirectUris: env.OIDC_REDIRECT_URIS
			? env.OIDC_REDIRECT_URIS.split(',')
					.map((uri) => uri.trim())
					.filter(Boolean)
			: undefined,
		adapterLatencyMs: number(env.OIDC_ADAPTER_LATENCY_MS),
		atomicConsume: env.OIDC_ATOMIC_CONSUME === undefined ? undefined : env.OIDC_ATOMIC_CONSUME !== '0',
		strictClientAuthMethod: env.OIDC_STRICT_CLIENT_AUTH === undefined ? undefined : env.OIDC_STRICT_CLIENT_AUTH !== '0',
	};
	return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/** Node 20 is below oidc-provider 9's supported LTS; its import-time notice is noise for tests. */
async function importProviderQuietly() {
	const originalWarn = console.warn;
	console.warn = (...args) => {
		if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
		originalWarn(...args);
	};
	try {
		return await import('oidc-provider');
	} finally {
		console.warn = originalWarn;
	}
}

export function fingerprint(token) {
	return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

function emptyStats() {
	return {
		tokenRequests: { total: 0, refresh_token: 0, authorization_code: 0, other: 0, byStatus: {} },
		grantErrors: [],
		apiRequests: { total: 0, byStatus: {} },
		providerRequests: {},
	};
}

function increment(counter, key) {
	counter[key] = (counter[key] ?? 0) + 1;
}

function sendJson(res, status, body, headers = {}) {
	const payload = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(payload),
		'cache-control': 'no-store',
		...headers,
	});
	res.end(payload);
}

async function readBody(req) {
	const chunks = [];
	let size = 0;
	for await (const chunk of req) {
		size += chunk.length;
		if (size > ADMIN_BODY_LIMIT) throw new Error('request body too large');
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text, contentType = '') {
	if (text === '') return undefined;
	if (contentType.includes('application/json')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
	return text;
}

/**
 * oidc-provider accepts client_secret_basic and client_secret_post interchangeably for either
 * registration. Strict servers (Okta, many enterprise IdPs) answer invalid_client when the mechanism
 * differs from the registered one — the "wrong auth method" misconfiguration users hit. Wrapping each
 * grant handler checks this after oidc-provider has authenticated the client and before anything is
 * consumed or issued.
 */
function strictAuthMethodProvider(Provider, InvalidClientAuth) {
	return class StrictAuthMethodProvider extends Provider {
		registerGrantType(name, handler, ...rest) {
			const enforcing = async (ctx) => {
				const registered = ctx.oidc.client.clientAuthMethod;
				const used = ctx.oidc.params.client_secret
					? 'client_secret_post'
					: /^basic /i.test(ctx.headers.authorization ?? '')
						? 'client_secret_basic'
						: undefined;
				if (used && registered !== used && ['client_secret_basic', 'client_secret_post'].includes(registered)) {
					throw new InvalidClientAuth(
						`the provided authentication mechanism (${used}) does not match the registered client authentication method (${registered})`,
					);
				}
				return handler(ctx);
			};
			return super.registerGrantType(name, enforcing, ...rest);
		}
	};
}

function buildConfiguration(options, InvalidGrant) {
	const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const clientBase = {
		client_secret: options.clientSecret,
		grant_types: ['authorization_code', 'refresh_token'],
		response_types: ['code'],
		redirect_uris: [...N8N_CALLBACK_URIS, ...options.extraRedirectUris],
		scope: DEFAULT_SCOPE,
		id_token_signed_response_alg: 'ES256',
	};
	const ttl = {
		AccessToken: options.accessTokenTtlSeconds,
		AuthorizationCode: 60,
		IdToken: 3600,
		RefreshToken: options.refreshTokenTtlSeconds,
		Grant: options.refreshTokenTtlSeconds,
		Interaction: 3600,
		Session: options.refreshTokenTtlSeconds,
	};
	return {
		adapter: createAtomicMemoryAdapter({
			InvalidGrant,
			latencyMs: options.adapterLatencyMs,
			atomicConsume: options.atomicConsume,
			store: new AtomicMemoryStore(EXPIRED_TOKEN_GRACE_SECONDS),
		}),
		clients: [
			{ ...clientBase, client_id: options.clientId, token_endpoint_auth_method: options.clientAuthMethod },
			{
				...clientBase,
				client_id: options.postClientId ?? `${options.clientId}-post`,
				token_endpoint_auth_method: 'client_secret_post',
			},
		],
		jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-es256', alg: 'ES256', use: 'sig' }] },
		responseTypes: ['code'],
		scopes: DEFAULT_SCOPE.split(' '),
		claims: { openid: ['sub'] },
		// By default a confidential client gets the same refresh token back; rotation is what we test.
		rotateRefreshToken: true,
		// The default 15 s tolerance would hide the short access-token expiry the tests rely on.
		clockTolerance: 0,
		ttl,
		cookies: { keys: [randomUUID()] },
		features: {
			devInteractions: { enabled: false },
			introspection: { enabled: true, allowedPolicy: () => true },
			revocation: { enabled: true, allowedPolicy: () => true },
		},
		clientBasedCORS: () => false,
		findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
		renderError: (ctx, out) => {
			ctx.type = 'json';
			ctx.body = out;
		},
	};
}

export async function startOidcServer(overrides = {}) {
	const options = { ...DEFAULT_OPTIONS, ...overrides };
	const { default: Provider, errors } = await importProviderQuietly();

	const server = createServer();
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, resolve);
	});
	const { port } = server.address();
	const issuer = `http://${options.host}:${port}`;

	const ProviderClass = options.strictClientAuthMethod
		? strictAuthMethodProvider(Provider, errors.InvalidClientAuth)
		: Provider;
	const provider = new ProviderClass(issuer, buildConfiguration(options, errors.InvalidGrant));
	const state = { stats: emptyStats(), clockSkewMs: 0, apiMode: 'normal' };

	provider.on('grant.error', (_ctx, error) => {
		state.stats.grantErrors.push(error.error_detail ?? error.error_description ?? error.message);
	});
	provider.use(async (ctx, next) => {
		await next();
		const route = ctx.oidc?.route;
		if (route) increment(state.stats.providerRequests, route);
		if (route !== 'token') return;
		const { tokenRequests } = state.stats;
		const grantType = ctx.oidc.params?.grant_type ?? ctx.oidc.body?.grant_type;
		tokenRequests.total += 1;
		increment(tokenRequests, grantType === 'refresh_token' || grantType === 'authorization_code' ? grantType : 'other');
		increment(tokenRequests.byStatus, String(ctx.status));
	});

	const admin = createAdminRoutes(provider, state, options);
	const api = createApiRoutes(provider, state);
	const providerCallback = provider.callback();
	const sockets = new Set();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	server.on('request', (req, res) => {
		const path = new URL(req.url ?? '/', issuer).pathname;
		if (path.startsWith('/__admin/')) {
			admin(req, res, path).catch((error) =>
				sendJson(res, 500, { error: 'admin_error', error_description: error.message }),
			);
			return;
		}
		if (state.clockSkewMs !== 0) res.setHeader('date', new Date(Date.now() + state.clockSkewMs).toUTCString());
		if (path.startsWith('/api/')) {
			api(req, res, path).catch((error) =>
				sendJson(res, 500, { error: 'server_error', error_description: error.message }),
			);
			return;
		}
		providerCallback(req, res);
	});

	const close = () =>
		new Promise((resolve) => {
			server.close(() => resolve());
			for (const socket of sockets) socket.destroy();
		});
	return { issuer, port, provider, state, options, close };
}

function createAdminRoutes(provider, state, options) {
	async function mintGrant({ accountId = 'demo-user', scope = DEFAULT_SCOPE, clientId = options.clientId } = {}) {
		const client = await provider.Client.find(clientId);
		if (!client) return [404, { error: 'unknown_client' }];
		const grant = new provider.Grant({ accountId, clientId });
		grant.addOIDCScope(scope);
		const grantId = await grant.save();
		const gty = 'authorization_code';
		const refreshToken = await new provider.RefreshToken({ client, accountId, grantId, scope, gty }).save();
		const accessToken = new provider.AccessToken({ client, accountId, grantId, scope, gty });
		const accessTokenValue = await accessToken.save();
		return [
			201,
			{
				grant_id: grantId,
				account_id: accountId,
				client_id: clientId,
				scope,
				refresh_token: refreshToken,
				access_token: accessTokenValue,
				token_type: 'Bearer',
				expires_in: accessToken.expiration,
			},
		];
	}

	async function revokeGrant(grantId) {
		const existed = Boolean(await provider.Grant.find(grantId));
		await Promise.all([
			provider.AccessToken.revokeByGrantId(grantId),
			provider.RefreshToken.revokeByGrantId(grantId),
			provider.AuthorizationCode.revokeByGrantId(grantId),
			provider.Grant.adapter.destroy(grantId),
		]);
		return [200, { grant_id: grantId, revoked: true, existed }];
	}

	return async function handleAdmin(req, res, path) {
		const body = req.method === 'POST' ? (parseBody(await readBody(req), 'application/json') ?? {}) : undefined;
		const route = `${req.method} ${path}`;
		const revokeMatch = /^POST \/__admin\/grants\/([^/]+)\/revoke$/.exec(route);
		let result;
		if (route === 'POST /__admin/grants') result = await mintGrant(body);
		else if (revokeMatch) result = await revokeGrant(decodeURIComponent(revokeMatch[1]));
		else if (route === 'GET /__admin/stats') result = [200, state.stats];
		else if (route === 'POST /__admin/stats/reset') {
			state.stats = emptyStats();
			result = [200, state.stats];
		} else if (route === 'POST /__admin/clock') {
			state.clockSkewMs = Number(body.skewMs) || 0;
			result = [200, { skewMs: state.clockSkewMs }];
		} else if (route === 'POST /__admin/api-mode') {
			if (!['normal', 'always401', 'body-expired'].includes(body.mode)) result = [400, { error: 'unknown_mode' }];
			else {
				state.apiMode = body.mode;
				result = [200, { mode: state.apiMode }];
			}
		} else result = [404, { error: 'not_found' }];
		sendJson(res, ...result);
	};
}

function bearerChallenge(error, description, extra = '') {
	return `Bearer realm="${REALM}", error="${error}", error_description="${description}"${extra}`;
}

/** Validates the bearer token in-process; resolves to the token model or a reason it is unusable. */
async function authenticate(provider, req) {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
	if (!match) return { problem: 'missing' };
	const value = match[1];
	const token = await provider.AccessToken.find(value, { ignoreExpiration: true });
	if (!token) return { problem: 'invalid', description: 'access token is unknown or revoked' };
	if (token.isExpired) return { problem: 'invalid', description: 'access token expired' };
	if (!(await provider.Grant.find(token.grantId)))
		return { problem: 'invalid', description: 'access token grant was revoked' };
	return { token, value };
}

function createApiRoutes(provider, state) {
	const rejectUnauthenticated = (auth) => {
		if (state.apiMode === 'body-expired') {
			// Slack-style: HTTP 200 and the expiry only visible in the body.
			return [200, { ok: false, error: 'token_expired' }];
		}
		if (auth.problem === 'missing') {
			return [
				401,
				{ error: 'unauthorized', error_description: 'no bearer token' },
				{ 'www-authenticate': `Bearer realm="${REALM}"` },
			];
		}
		return [
			401,
			{ error: 'invalid_token', error_description: auth.description },
			{ 'www-authenticate': bearerChallenge('invalid_token', auth.description) },
		];
	};

	const respond = async (req, path) => {
		if (state.apiMode === 'always401') {
			await readBody(req);
			const description = 'access token rejected';
			return [
				401,
				{ error: 'invalid_token', error_description: description },
				{ 'www-authenticate': bearerChallenge('invalid_token', description) },
			];
		}
		const bodyText = await readBody(req);
		const auth = await authenticate(provider, req);
		if (!auth.token) return rejectUnauthenticated(auth);
		const { token } = auth;
		const identity = {
			sub: token.accountId,
			scope: token.scope,
			client_id: token.clientId,
			tokenFingerprint: fingerprint(auth.value),
		};
		if (path === '/api/me' && req.method === 'GET') return [200, identity];
		if (path === '/api/echo') {
			return [
				200,
				{
					...identity,
					method: req.method,
					query: Object.fromEntries(new URL(req.url, 'http://x').searchParams),
					body: parseBody(bodyText, req.headers['content-type']) ?? null,
				},
			];
		}
		if (path === '/api/scoped' && req.method === 'GET') {
			if (
				!String(token.scope ?? '')
					.split(' ')
					.includes(API_SCOPE)
			) {
				const description = `the access token lacks the ${API_SCOPE} scope`;
				return [
					403,
					{ error: 'insufficient_scope', error_description: description, scope: API_SCOPE },
					{ 'www-authenticate': bearerChallenge('insufficient_scope', description, `, scope="${API_SCOPE}"`) },
				];
			}
			return [200, { ...identity, resource: 'scoped' }];
		}
		return [404, { error: 'not_found' }];
	};

	return async function handleApi(req, res, path) {
		const [status, body, headers] = await respond(req, path);
		state.stats.apiRequests.total += 1;
		increment(state.stats.apiRequests.byStatus, String(status));
		sendJson(res, status, body, headers);
	};
}

async function main() {
	// stdout carries only the ready line; route any library notice to stderr.
	console.log = console.info = (...args) => console.error(...args);
	const running = await startOidcServer(optionsFromEnv());
	const shutdown = () => running.close().then(() => process.exit(0));
	process.once('SIGTERM', shutdown);
	process.once('SIGINT', shutdown);
	if (process.env.OIDC_EXIT_ON_STDIN_END === '1') {
		// The parent test process closes our stdin (or dies): do not outlive it.
		process.stdin.on('end', shutdown).on('close', shutdown).resume();
	}
	process.stdout.write(`${JSON.stringify({ issuer: running.issuer, port: running.port })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
