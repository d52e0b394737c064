/**
 * Minimal HTTP client for test code talking to the loopback servers. One connection per request
 * (`agent: false`) so no keep-alive socket outlives a test and holds jest open.
 */
import { request as httpRequestRaw } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequestOptions {
	method?: string;
	headers?: Record<string, string>;
	/** A string is sent as is; URLSearchParams as a form; anything else as JSON. */
	body?: string | URLSearchParams | object;
	timeoutMs?: number;
	/** Called for every body chunk as it arrives (to observe streaming). */
	onChunk?: (chunk: Buffer) => void;
}

export interface HttpResponse<T = any> {
	status: number;
	headers: IncomingHttpHeaders;
	text: string;
	/** Parsed JSON body, or undefined when the body is not JSON. */
	json: T;
}

function encodeBody(body: HttpRequestOptions['body']): { payload?: string; contentType?: string } {
	if (body === undefined) return {};
	if (typeof body === 'string') return { payload: body };
	if (body instanceof URLSearchParams)
		return { payload: body.toString(), contentType: 'application/x-www-form-urlencoded' };
	return { payload: JSON.stringify(body), contentType: 'application/json' };
}

export function httpRequest<T = any>(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse<T>> {
	const { payload, contentType } = encodeBody(options.body);
	const headers: Record<string, string> = {
		...(contentType ? { 'content-type': contentType } : {}),
		...options.headers,
	};
	if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));

	return new Promise((resolve, reject) => {
		const req = httpRequestRaw(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => {
				chunks.push(chunk);
				options.onChunk?.(chunk);
			});
			res.on('error', reject);
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: any;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		req.on('error', reject);
		if (options.timeoutMs !== undefined) {
			req.setTimeout(options.timeoutMs, () =>
				req.destroy(new Error(`request to ${url} timed out after ${options.timeoutMs} ms`)),
			);
		}
		req.end(payload);
	});
}

export function basicAuthorization(user: string, password: string): string {
	// RFC 6749 §2.3.1: form-encode each part before joining.
	const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
	return `Basic ${Buffer.from(`${encode(user)}:${encode(password)}`).toString('base64')}`;
}
