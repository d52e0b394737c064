/**
 * Reading facts out of values the engine did not make — thrown errors with their `cause` chains, HTTP
 * responses, header maps — with one rule each, so the classifier, diagnosis, node errors, retries and the
 * sink all agree on what counts as a connection failure, a status or a header.
 */
import type { HttpHeaders } from '../types';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** Wrappers nest (n8n's NodeApiError around axios around a socket error); deeper than this is noise. */
export const MAX_CAUSE_DEPTH = 6;

/** What a thrown value says: an Error's message, a thrown string, an object's `message`, else `fallback`. */
export function messageOf(error: unknown, fallback = 'Unknown error'): string {
	if (error instanceof Error) return error.message;
	if (typeof error === 'string') return error;
	const message = isRecord(error) ? error.message : undefined;
	return typeof message === 'string' ? message : fallback;
}

/** The error and every `cause` (or promise `reason`) behind it, outermost first, without cycles. */
export function causeChain(error: unknown): Array<Record<string, unknown>> {
	const chain: Array<Record<string, unknown>> = [];
	let current: unknown = error;
	while (
		typeof current === 'object' &&
		current !== null &&
		!chain.includes(current as Record<string, unknown>) &&
		chain.length < MAX_CAUSE_DEPTH
	) {
		const link = current as Record<string, unknown>;
		chain.push(link);
		current = link.cause ?? link.reason;
	}
	return chain;
}

/** System (`ECONNRESET`, `ETIMEDOUT`, `ERR_…`) and undici (`UND_ERR_…`) codes: the connection failed. */
const NETWORK_CODE = /^(?:E[A-Z0-9_]{3,}|UND_ERR_[A-Z0-9_]+)$/;

/** client-oauth2's own markers, shaped like system codes but not connection failures. */
const NOT_NETWORK_CODES: ReadonlySet<string> = new Set(['EAUTH', 'ESTATUS']);

export const isNetworkCode = (code: unknown): code is string =>
	typeof code === 'string' && NETWORK_CODE.test(code) && !NOT_NETWORK_CODES.has(code);

/** The first connection-failure code anywhere in the error's cause chain. */
export function networkCodeOf(error: unknown): string | undefined {
	for (const link of causeChain(error)) if (isNetworkCode(link.code)) return link.code;
	return undefined;
}

/** An HTTP status from a number or a three-digit string; anything else is no status. */
export function asHttpStatus(value: unknown): number | undefined {
	const number = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 100 && number <= 599 ? number : undefined;
}

/** The status one error object carries: n8n's `httpCode`, `status`, `statusCode`, or axios' `response.status`. */
export function httpStatusOfLink(link: Record<string, unknown>): number | undefined {
	const response = isRecord(link.response) ? link.response : undefined;
	for (const candidate of [link.httpCode, link.status, link.statusCode, response?.status]) {
		const status = asHttpStatus(candidate);
		if (status !== undefined) return status;
	}
	return undefined;
}

/** The first HTTP status anywhere in the error's cause chain. */
export function httpStatusOf(error: unknown): number | undefined {
	for (const link of causeChain(error)) {
		const status = httpStatusOfLink(link);
		if (status !== undefined) return status;
	}
	return undefined;
}

/** A header value by case-insensitive name; arrays give their first entry, numbers their text. */
export function readHeader(headers: HttpHeaders | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	const wanted = name.toLowerCase();
	for (const key of Object.keys(headers)) {
		if (key.toLowerCase() !== wanted) continue;
		const value = headers[key];
		const first = Array.isArray(value) ? value[0] : value;
		return first === undefined || first === null ? undefined : String(first);
	}
	return undefined;
}

/** Every value of a header by case-insensitive name, as text: one response can carry several WWW-Authenticate challenges. */
export function readHeaderValues(headers: HttpHeaders | undefined, name: string): string[] | undefined {
	if (!headers) return undefined;
	const wanted = name.toLowerCase();
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === wanted);
	const value = key === undefined ? undefined : headers[key];
	if (value === undefined || value === null) return undefined;
	return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [String(value)];
}
