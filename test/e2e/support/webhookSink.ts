/**
 * A loopback HTTP receiver standing in for an alerting endpoint (Svix, an incident tool, Slack's
 * incoming webhook): it records every request verbatim and answers 204, so tests and the demo can check
 * what n8n sent.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	body: string;
	receivedAtMs: number;
}

export interface WebhookSink {
	baseUrl: string;
	url(path: string): string;
	readonly requests: ReceivedRequest[];
	/** Resolves with the requests so far once `predicate` holds; rejects after `timeoutMs`. */
	waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs: number): Promise<ReceivedRequest[]>;
	clear(): void;
	stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startWebhookSink(
	options: { onRequest?: (request: ReceivedRequest) => void } = {},
): Promise<WebhookSink> {
	const requests: ReceivedRequest[] = [];
	const waiters = new Set<() => void>();
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= MAX_BODY_BYTES) chunks.push(chunk);
		});
		req.on('end', () => {
			const received: ReceivedRequest = {
				method: req.method ?? 'GET',
				path: req.url ?? '/',
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8'),
				receivedAtMs: Date.now(),
			};
			requests.push(received);
			options.onRequest?.(received);
			res.writeHead(204, { connection: 'close' });
			res.end();
			for (const wake of [...waiters]) wake();
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const baseUrl = `http://127.0.0.1:${port}`;

	return {
		baseUrl,
		url: (path) => `${baseUrl}/${path.replace(/^\/+/, '')}`,
		requests,
		waitFor(predicate, timeoutMs) {
			return new Promise((resolve, reject) => {
				const check = () => {
					if (!predicate(requests)) return;
					cleanup();
					resolve([...requests]);
				};
				const timer = setTimeout(() => {
					cleanup();
					reject(
						new Error(`webhook sink: condition not met within ${timeoutMs} ms (${requests.length} requests received)`),
					);
				}, timeoutMs);
				const cleanup = () => {
					clearTimeout(timer);
					waiters.delete(check);
				};
				waiters.add(check);
				check();
			});
		},
		clear() {
			requests.length = 0;
		},
		stop: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
/** The CloudEvent a request carried (`{}` when its body is not JSON). */
export function eventOf(request: ReceivedRequest): Record<string, any> {
	try {
		return JSON.parse(request.body) as Record<string, any>;
	} catch {
		return {};
	}
}
