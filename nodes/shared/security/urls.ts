/**
 * Where a secret may travel in clear text: only to this machine. One rule for every credential-owned
 * endpoint (token URL, introspection).
 */

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '::1', '[::1]']);

/** 127.0.0.0/8 as the WHATWG URL parser writes it (four decimal parts), localhost and ::1. */
export function isLoopbackHostname(hostname: string): boolean {
	const name = hostname.toLowerCase();
	if (LOOPBACK_NAMES.has(name)) return true;
	const parts = name.split('.');
	return (
		parts.length === 4 && parts[0] === '127' && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)
	);
}

/** https, or plain http to this machine: a client secret never crosses a network unencrypted. */
export function isSecureEndpoint(url: string): boolean {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return false;
	}
	return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopbackHostname(parsed.hostname));
}

/** The URL without trailing slashes; a loop, not a pattern, so a long run of slashes costs nothing. */
export function withoutTrailingSlashes(url: string): string {
	let end = url.length;
	while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
	return url.slice(0, end);
}
