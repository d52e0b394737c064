/**
 * The demo's "orders API": a resource server in front of the loopback authorization server. It checks
 * every bearer token with the authorization server (its protected /api/me, which knows expiry and
 * revocation) and then serves small JSON orders.
 *
 * `retireTokenAfter` makes it stop accepting an access token after that many successful calls, with
 * the 401 `invalid_token` an expired token gets. It stands in for a token expiring in the middle of a
 * run: real expiry is time-based, counting calls makes the demo and its test deterministic.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { httpRequest } from '../../servers/httpClient';

export interface DemoApiOptions {
	/** Base URL of the authorization server whose /api/me validates tokens. */
	issuer: string;
	/** Successful calls allowed per access token before it is answered as expired; 0 = no limit. */
	retireTokenAfter?: number;
}

export interface DemoApiStats {
	requests: number;
	byStatus: Record<string, number>;
	/** Distinct access tokens (by fingerprint) in the order they were first presented. */
	tokens: string[];
}

export interface DemoApi {
	baseUrl: string;
	/** `${baseUrl}/v1/<path>` */
	url(path: string): string;
	stats(): DemoApiStats;
	resetStats(): void;
	stop(): Promise<void>;
}

const REALM = 'token-guard-demo-api';

export function tokenFingerprint(token: string): string {
	return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const payload = JSON.stringify(body);
	res.writeHead(status, {
		'content-type': 'application/json',
		'content-length': String(Buffer.byteLength(payload)),
		connection: 'close',
		...headers,
	});
	res.end(payload);
}

function unauthorized(res: ServerResponse, description: string): void {
	send(
		res,
		401,
		{ error: 'invalid_token', error_description: description },
		{
			'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
		},
	);
}

export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
	const retireAfter = options.retireTokenAfter ?? 0;
	const successes = new Map<string, number>();
	let stats: DemoApiStats = { requests: 0, byStatus: {}, tokens: [] };

	const server = createServer((req, res) => {
		void (async () => {
			const path = new URL(req.url ?? '/', 'http://demo').pathname;
			const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
			const respond = (status: number, respondWith: () => void) => {
				stats.requests += 1;
				stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
				respondWith();
			};
			if (!match) return respond(401, () => unauthorized(res, 'no bearer token'));
			const fingerprint = tokenFingerprint(match[1]);
			if (!stats.tokens.includes(fingerprint)) stats.tokens.push(fingerprint);
			const verdict = await httpRequest(`${options.issuer}/api/me`, {
				headers: { authorization: `Bearer ${match[1]}` },
			});
			if (verdict.status !== 200) {
				return respond(401, () =>
					unauthorized(res, String(verdict.json?.error_description ?? 'access token rejected')),
				);
			}
			const used = successes.get(fingerprint) ?? 0;
			if (retireAfter > 0 && used >= retireAfter) return respond(401, () => unauthorized(res, 'access token expired'));
			successes.set(fingerprint, used + 1);
			const order = /^\/v1\/orders\/([^/]+)$/.exec(path);
			if (order) {
				return respond(200, () =>
					send(res, 200, {
						orderId: order[1],
						status: 'shipped',
						account: verdict.json.sub,
						tokenFingerprint: fingerprint,
					}),
				);
			}
			if (path === '/v1/me')
				return respond(200, () =>
					send(res, 200, { sub: verdict.json.sub, scope: verdict.json.scope, tokenFingerprint: fingerprint }),
				);
			return respond(404, () => send(res, 404, { error: 'not_found' }));
		})().catch((error: unknown) => send(res, 500, { error: 'server_error', error_description: String(error) }));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const baseUrl = `http://127.0.0.1:${port}`;
	return {
		baseUrl,
		url: (path) => `${baseUrl}/v1/${path.replace(/^\/+/, '')}`,
		stats: () => JSON.parse(JSON.stringify(stats)) as DemoApiStats,
		resetStats() {
			stats = { requests: 0, byStatus: {}, tokens: [] };
		},
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
