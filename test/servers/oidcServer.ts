/**
 * Test-side handle on the loopback authorization server (oidc-server.mjs), run as a child process so
 * the ESM-only oidc-provider stays out of the CommonJS jest runtime.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';

import { basicAuthorization, httpRequest } from './httpClient';
import type { HttpResponse } from './httpClient';

export const OIDC_SERVER_SCRIPT = resolvePath(__dirname, 'oidc-server.mjs');
export const DEFAULT_CLIENT_ID = 'token-guard-client';
export const DEFAULT_CLIENT_SECRET = 'token-guard-secret';
export const DEFAULT_SCOPE = 'openid offline_access api:read';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export type ApiMode = 'normal' | 'always401' | 'body-expired';

export interface OidcServerOptions {
	/** Access-token lifetime in seconds (server default 2). */
	accessTokenTtlSeconds?: number;
	refreshTokenTtlSeconds?: number;
	clientId?: string;
	clientSecret?: string;
	/** How the main client authenticates; a second client `<clientId>-post` always uses client_secret_post. */
	clientAuthMethod?: ClientAuthMethod;
	postClientId?: string;
	/** Fixed port instead of a free one. */
	port?: number;
	/** Redirect URIs added to n8n's callback URLs. */
	extraRedirectUris?: string[];
	/** Artificial store latency per operation, so concurrent requests really overlap. */
	adapterLatencyMs?: number;
	/** false = naive check-then-set consume (only to prove race detection depends on it). */
	atomicConsume?: boolean;
	/** false = accept basic and body secrets from every client (oidc-provider's own leniency). Default true. */
	strictClientAuthMethod?: boolean;
	readyTimeoutMs?: number;
}

export interface MintGrantOptions {
	accountId?: string;
	scope?: string;
	clientId?: string;
}

export interface MintedGrant {
	grantId: string;
	accountId: string;
	clientId: string;
	scope: string;
	refreshToken: string;
	accessToken: string;
	expiresIn: number;
}

export interface OidcServerStats {
	tokenRequests: {
		total: number;
		refresh_token: number;
		authorization_code: number;
		other: number;
		byStatus: Record<string, number>;
	};
	/** Reasons oidc-provider reported through its `grant.error` event, e.g. 'refresh token already used'. */
	grantErrors: string[];
	apiRequests: { total: number; byStatus: Record<string, number> };
	/** oidc-provider route name → request count (token, introspection, revocation, discovery, …). */
	providerRequests: Record<string, number>;
}

export interface TokenResponseBody {
	access_token?: string;
	refresh_token?: string;
	expires_in?: number;
	token_type?: string;
	scope?: string;
	id_token?: string;
	error?: string;
	error_description?: string;
}

export interface RefreshOptions {
	clientId?: string;
	clientSecret?: string;
	authMethod?: ClientAuthMethod;
	scope?: string;
}

export interface OidcServerHandle {
	issuer: string;
	port: number;
	tokenUrl: string;
	introspectionUrl: string;
	revocationUrl: string;
	discoveryUrl: string;
	clientId: string;
	clientSecret: string;
	clientAuthMethod: ClientAuthMethod;
	postClientId: string;
	apiUrl(path: string): string;
	mintGrant(options?: MintGrantOptions): Promise<MintedGrant>;
	revokeGrant(grantId: string): Promise<void>;
	/** Performs one refresh_token grant the way a client would (basic auth unless told otherwise). */
	refresh(refreshToken: string, options?: RefreshOptions): Promise<HttpResponse<TokenResponseBody>>;
	stats(): Promise<OidcServerStats>;
	resetStats(): Promise<void>;
	setClockSkew(skewMs: number): Promise<void>;
	setApiMode(mode: ApiMode): Promise<void>;
	stop(): Promise<void>;
}

function environmentFor(options: OidcServerOptions): NodeJS.ProcessEnv {
	const settings: Record<string, string | number | boolean | undefined> = {
		OIDC_PORT: options.port,
		OIDC_ACCESS_TOKEN_TTL: options.accessTokenTtlSeconds,
		OIDC_REFRESH_TOKEN_TTL: options.refreshTokenTtlSeconds,
		OIDC_CLIENT_ID: options.clientId,
		OIDC_CLIENT_SECRET: options.clientSecret,
		OIDC_CLIENT_AUTH_METHOD: options.clientAuthMethod,
		OIDC_POST_CLIENT_ID: options.postClientId,
		OIDC_REDIRECT_URIS: options.extraRedirectUris?.join(','),
		OIDC_ADAPTER_LATENCY_MS: options.adapterLatencyMs,
		OIDC_ATOMIC_CONSUME: options.atomicConsume === undefined ? undefined : options.atomicConsume ? '1' : '0',
		OIDC_STRICT_CLIENT_AUTH:
			options.strictClientAuthMethod === undefined ? undefined : options.strictClientAuthMethod ? '1' : '0',
	};
	const env: NodeJS.ProcessEnv = { ...process.env, OIDC_EXIT_ON_STDIN_END: '1' };
	for (const [name, value] of Object.entries(settings)) {
		if (value === undefined) delete env[name];
		else env[name] = String(value);
	}
	return env;
}

function waitForReadyLine(child: ChildProcess, timeoutMs: number): Promise<{ issuer: string; port: number }> {
	return new Promise((resolve, reject) => {
		let stdout = '';
		let stderr = '';
		const fail = (reason: string) => {
			cleanup();
			child.kill('SIGKILL');
			reject(new Error(`oidc-server did not become ready: ${reason}\n--- stderr ---\n${stderr || '(empty)'}`));
		};
		const onStdout = (chunk: Buffer) => {
			stdout += chunk.toString('utf8');
			const newline = stdout.indexOf('\n');
			if (newline === -1) return;
			try {
				const ready = JSON.parse(stdout.slice(0, newline)) as { issuer: string; port: number };
				cleanup();
				resolve(ready);
			} catch {
				fail(`unexpected first stdout line: ${stdout.slice(0, newline)}`);
			}
		};
		const onStderr = (chunk: Buffer) => {
			stderr += chunk.toString('utf8');
		};
		const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
			fail(`exited early (code ${code}, signal ${signal})`);
		const timer = setTimeout(() => fail(`no ready line within ${timeoutMs} ms`), timeoutMs);
		function cleanup() {
			clearTimeout(timer);
			child.stdout?.off('data', onStdout);
			child.off('exit', onExit);
		}
		child.stdout?.on('data', onStdout);
		// Keep draining stderr for the life of the process so a chatty child never blocks.
		child.stderr?.on('data', onStderr);
		child.once('exit', onExit);
	});
}

async function expectOk<T>(responsePromise: Promise<HttpResponse<T>>, what: string): Promise<T> {
	const response = await responsePromise;
	if (response.status >= 300) throw new Error(`${what} failed: HTTP ${response.status} ${response.text}`);
	return response.json;
}

export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServerHandle> {
	const child = spawn(process.execPath, [OIDC_SERVER_SCRIPT], {
		env: environmentFor(options),
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	const { issuer, port } = await waitForReadyLine(child, options.readyTimeoutMs ?? 10_000);
	const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
	const clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
	const clientAuthMethod = options.clientAuthMethod ?? 'client_secret_basic';
	const admin = (path: string) => `${issuer}/__admin${path}`;
	const exited = new Promise<void>((resolve) => {
		if (child.exitCode !== null) resolve();
		else child.once('exit', () => resolve());
	});

	const handle: OidcServerHandle = {
		issuer,
		port,
		tokenUrl: `${issuer}/token`,
		introspectionUrl: `${issuer}/token/introspection`,
		revocationUrl: `${issuer}/token/revocation`,
		discoveryUrl: `${issuer}/.well-known/openid-configuration`,
		clientId,
		clientSecret,
		clientAuthMethod,
		postClientId: options.postClientId ?? `${clientId}-post`,
		apiUrl: (path) => `${issuer}/api/${path.replace(/^\/+/, '').replace(/^api\//, '')}`,

		async mintGrant(mintOptions = {}) {
			const body = await expectOk(httpRequest(admin('/grants'), { method: 'POST', body: mintOptions }), 'mintGrant');
			return {
				grantId: body.grant_id,
				accountId: body.account_id,
				clientId: body.client_id,
				scope: body.scope,
				refreshToken: body.refresh_token,
				accessToken: body.access_token,
				expiresIn: body.expires_in,
			};
		},
		async revokeGrant(grantId) {
			await expectOk(
				httpRequest(admin(`/grants/${encodeURIComponent(grantId)}/revoke`), { method: 'POST', body: {} }),
				'revokeGrant',
			);
		},
		refresh(refreshToken, refreshOptions = {}) {
			const authMethod =
				refreshOptions.authMethod ?? (refreshOptions.clientId ? 'client_secret_basic' : clientAuthMethod);
			const id = refreshOptions.clientId ?? clientId;
			const secret = refreshOptions.clientSecret ?? clientSecret;
			const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
			if (refreshOptions.scope) form.set('scope', refreshOptions.scope);
			const headers: Record<string, string> = { accept: 'application/json' };
			if (authMethod === 'client_secret_basic') headers.authorization = basicAuthorization(id, secret);
			else {
				form.set('client_id', id);
				form.set('client_secret', secret);
			}
			return httpRequest<TokenResponseBody>(handle.tokenUrl, { method: 'POST', body: form, headers });
		},
		stats: () => expectOk(httpRequest<OidcServerStats>(admin('/stats')), 'stats'),
		async resetStats() {
			await expectOk(httpRequest(admin('/stats/reset'), { method: 'POST', body: {} }), 'resetStats');
		},
		async setClockSkew(skewMs) {
			await expectOk(httpRequest(admin('/clock'), { method: 'POST', body: { skewMs } }), 'setClockSkew');
		},
		async setApiMode(mode) {
			await expectOk(httpRequest(admin('/api-mode'), { method: 'POST', body: { mode } }), 'setApiMode');
		},
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			const forceKill = setTimeout(() => child.kill('SIGKILL'), 3000);
			child.kill('SIGTERM');
			child.stdin?.end();
			await exited;
			clearTimeout(forceKill);
		},
	};
	return handle;
}
