/**
 * A loopback proxy in front of the authorization server's token endpoint that can stop at the worst moments of a
 * refresh, for killing the refreshing worker mid-refresh: it tells which n8n process sent a token request (the
 * socket's owner, from `ss`), and either holds the request before the provider sees it (`hold-request`) or lets
 * the provider answer (the refresh token is spent) and holds the answer (`hold-response`). Every other request
 * passes straight through.
 */
import { spawnSync } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type HoldMode = 'hold-request' | 'hold-response';

export interface HeldRefresh {
	/** The pid of the process that sent it (an n8n worker). */
	pid: number | undefined;
	/** The provider's answer, when it was forwarded (hold-response). */
	providerStatus?: number;
}

export interface TokenProxy {
	/** Use as the credential's token URL. */
	tokenUrl: string;
	/** The next refresh_token request is held; resolves once it is held (and, for hold-response, answered). */
	holdNext(mode: HoldMode): Promise<HeldRefresh>;
	requests: number;
	stop(): Promise<void>;
}

/** The pid that owns the client end of a loopback connection from `port`. */
function ownerOf(port: number): number | undefined {
	const out = spawnSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).stdout;
	const match = /pid=(\d+)/.exec(out ?? '');
	return match ? Number(match[1]) : undefined;
}

export async function startTokenProxy(upstreamTokenUrl: string): Promise<TokenProxy> {
	const upstream = new URL(upstreamTokenUrl);
	let pending: { mode: HoldMode; resolve: (held: HeldRefresh) => void } | undefined;
	let requests = 0;

	const forward = (
		req: IncomingMessage,
		body: Buffer,
		onAnswer: (status: number, headers: object, data: Buffer) => void,
	) => {
		const out = httpRequest(
			{
				host: upstream.hostname,
				port: upstream.port,
				path: upstream.pathname + upstream.search,
				method: req.method,
				headers: { ...req.headers, host: upstream.host },
			},
			(answer) => {
				const chunks: Buffer[] = [];
				answer.on('data', (chunk: Buffer) => chunks.push(chunk));
				answer.on('end', () => onAnswer(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
			},
		);
		out.on('error', () => onAnswer(502, {}, Buffer.from('{"error":"proxy"}')));
		out.end(body);
	};

	const server = createServer((req: IncomingMessage, res: ServerResponse) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			requests++;
			const body = Buffer.concat(chunks);
			const isRefresh = new URLSearchParams(body.toString('utf8')).get('grant_type') === 'refresh_token';
			const reply = (status: number, headers: object, data: Buffer) => {
				if (res.destroyed) return;
				res.writeHead(status, headers as Record<string, string>);
				res.end(data);
			};
			if (!isRefresh || !pending) return forward(req, body, reply);
			const { mode, resolve } = pending;
			pending = undefined;
			const pid = ownerOf(req.socket.remotePort ?? 0);
			// Held for good: the test kills the sender, which closes this connection.
			if (mode === 'hold-request') return resolve({ pid });
			forward(req, body, (status) => resolve({ pid, providerStatus: status }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		tokenUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
		holdNext: (mode) => new Promise((resolve) => (pending = { mode, resolve })),
		get requests() {
			return requests;
		},
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
