/**
 * In-process HTTP server on 127.0.0.1 that answers each request with the next queued fault: the
 * failures a real authorization server or API cannot be made to produce on demand (throttling with
 * Retry-After, HTML error pages, resets, hangs, trickling bodies). Usable as a token endpoint and as
 * an API at the same time.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

interface FaultTiming {
	/** Wait this long before answering (single-flight and timeout tests). */
	delayMs?: number;
}

export type Fault = FaultTiming &
	(
		| { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
		| { kind: 'text'; status: number; body: string; contentType: string }
		| { kind: 'html'; status: number; body?: string }
		| { kind: 'retryAfterSeconds'; status: 429 | 503; seconds: number; body?: unknown }
		| { kind: 'retryAfterDate'; status: 429 | 503; date: Date; body?: unknown }
		| { kind: 'reset' }
		| { kind: 'hang' }
		| { kind: 'slowBody'; status: number; body: string | object; chunkDelayMs: number; chunks?: number }
		| {
				kind: 'token';
				/** Omitted → a fresh unique token. */
				accessToken?: string;
				/** Omitted → a fresh unique token; null → no refresh_token in the response (no rotation). */
				refreshToken?: string | null;
				/** Omitted → 3600; null → no expires_in in the response. */
				expiresIn?: number | null;
				scope?: string;
				extra?: Record<string, unknown>;
		  }
		| { kind: 'oauthError'; status?: number; error: string; description?: string }
	);

export interface RecordedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	body: string;
	/** Parsed body when it was a form (token requests) or JSON. */
	form?: Record<string, string>;
	json?: unknown;
	/** Epoch milliseconds when the request head arrived. */
	time: number;
	/** The fault that answered it. */
	fault: Fault;
}

export interface FaultServerHandle {
	url: string;
	port: number;
	/** Each request consumes the next queued fault, in order. */
	enqueue(...faults: Fault[]): void;
	/** Answer used when the queue is empty (initially json 200 {ok:true}). */
	setDefault(fault: Fault): void;
	readonly requests: RecordedRequest[];
	/** Number of faults still queued. */
	readonly pending: number;
	/** Empties the queue and the request log and restores the initial default. */
	reset(): void;
	/** Closes the server and destroys every open socket (hung requests included). */
	stop(): Promise<void>;
}

export const INITIAL_DEFAULT_FAULT: Fault = { kind: 'json', status: 200, body: { ok: true } };

const uniqueToken = (prefix: string) => `${prefix}-${randomBytes(16).toString('hex')}`;

function htmlPage(status: number): string {
	// Shaped like the proxy/CDN error pages that land in front of real token endpoints.
	return `<!DOCTYPE html>\n<html><head><title>${status} Error</title></head><body><center><h1>${status} Error</h1></center><hr><center>nginx</center></body></html>\n`;
}

function retryBody(status: number, body: unknown): unknown {
	return body ?? { error: status === 429 ? 'rate_limited' : 'temporarily_unavailable' };
}

function parseRecordedBody(body: string, contentType = ''): Pick<RecordedRequest, 'form' | 'json'> {
	if (contentType.includes('application/x-www-form-urlencoded'))
		return { form: Object.fromEntries(new URLSearchParams(body)) };
	if (contentType.includes('application/json')) {
		try {
			return { json: JSON.parse(body) };
		} catch {
			return {};
		}
	}
	return {};
}

export async function startFaultServer(): Promise<FaultServerHandle> {
	const queue: Fault[] = [];
	const requests: RecordedRequest[] = [];
	const sockets = new Set<Socket>();
	const timers = new Set<NodeJS.Timeout>();
	let defaultFault: Fault = INITIAL_DEFAULT_FAULT;

	const later = (ms: number) =>
		new Promise<void>((resolve) => {
			const timer = setTimeout(() => {
				timers.delete(timer);
				resolve();
			}, ms);
			timers.add(timer);
		});

	const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
		const payload = JSON.stringify(body);
		res.writeHead(status, {
			'content-type': 'application/json; charset=utf-8',
			'cache-control': 'no-store',
			...headers,
		});
		res.end(payload);
	};

	async function answer(fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<void> {
		switch (fault.kind) {
			case 'json':
				return sendJson(res, fault.status, fault.body, fault.headers);
			case 'text':
				res.writeHead(fault.status, { 'content-type': fault.contentType });
				res.end(fault.body);
				return;
			case 'html':
				res.writeHead(fault.status, { 'content-type': 'text/html; charset=utf-8' });
				res.end(fault.body ?? htmlPage(fault.status));
				return;
			case 'retryAfterSeconds':
				return sendJson(res, fault.status, retryBody(fault.status, fault.body), {
					'retry-after': String(fault.seconds),
				});
			case 'retryAfterDate':
				return sendJson(res, fault.status, retryBody(fault.status, fault.body), {
					'retry-after': fault.date.toUTCString(),
				});
			case 'reset':
				req.socket.destroy();
				return;
			case 'hang':
				return;
			case 'slowBody': {
				const text = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
				const contentType =
					typeof fault.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
				const chunkCount = Math.max(1, Math.min(fault.chunks ?? 4, text.length));
				const chunkSize = Math.ceil(text.length / chunkCount);
				res.writeHead(fault.status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) });
				for (let offset = 0; offset < text.length; offset += chunkSize) {
					if (offset > 0) await later(fault.chunkDelayMs);
					if (res.destroyed) return;
					res.write(text.slice(offset, offset + chunkSize));
				}
				res.end();
				return;
			}
			case 'token': {
				const body: Record<string, unknown> = {
					access_token: fault.accessToken ?? uniqueToken('at'),
					token_type: 'Bearer',
					...(fault.expiresIn === null ? {} : { expires_in: fault.expiresIn ?? 3600 }),
					...(fault.refreshToken === null ? {} : { refresh_token: fault.refreshToken ?? uniqueToken('rt') }),
					...(fault.scope ? { scope: fault.scope } : {}),
					...fault.extra,
				};
				return sendJson(res, 200, body);
			}
			case 'oauthError': {
				const status = fault.status ?? (fault.error === 'invalid_client' ? 401 : 400);
				const body = { error: fault.error, ...(fault.description ? { error_description: fault.description } : {}) };
				const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Basic realm="token"' } : {};
				return sendJson(res, status, body, headers);
			}
		}
	}

	const server = createServer((req, res) => {
		const time = Date.now();
		const fault = queue.shift() ?? defaultFault;
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			const url = new URL(req.url ?? '/', 'http://127.0.0.1');
			requests.push({
				method: req.method ?? 'GET',
				path: url.pathname + url.search,
				headers: req.headers,
				body,
				...parseRecordedBody(body, req.headers['content-type']),
				time,
				fault,
			});
			const delay = fault.delayMs ? later(fault.delayMs) : Promise.resolve();
			delay.then(() => answer(fault, req, res)).catch(() => req.socket.destroy());
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}`,
		port,
		enqueue: (...faults) => {
			queue.push(...faults);
		},
		setDefault: (fault) => {
			defaultFault = fault;
		},
		requests,
		get pending() {
			return queue.length;
		},
		reset: () => {
			queue.length = 0;
			requests.length = 0;
			defaultFault = INITIAL_DEFAULT_FAULT;
		},
		stop: () =>
			new Promise<void>((resolve) => {
				for (const timer of timers) clearTimeout(timer);
				timers.clear();
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			}),
	};
}
