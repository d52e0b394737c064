/**
 * The scanning half of redaction (redact.ts): how a known secret can be spelled and where it occurs,
 * where a JWT or a parameter / JSON value ends, and which characters make up a token. Plain loops over
 * the text, each character visited a bounded number of times: these are the spots where a regex would
 * backtrack over untrusted input.
 */

// ---------------------------------------------------------------------------------------------
// Known secrets

/** One spelling of a known secret and the marker that replaces it. */
export interface SecretForm {
	form: string;
	marker: string;
}

const NON_ASCII = /[\u007f-\uffff]/g;
const PERCENT_ESCAPE = /%[0-9A-F]{2}/g;

/**
 * How a secret shows up in text besides verbatim: JSON-escaped (also with `/` written `\/`, as PHP and
 * some gateways do, and with non-ASCII as `\u00e9`), percent-encoded (either hex case) and form-encoded.
 */
export function secretSpellings(secret: string): string[] {
	const json = JSON.stringify(secret).slice(1, -1);
	const asciiJson = json.replace(NON_ASCII, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
	const spellings = [secret, json, json.split('/').join('\\/'), asciiJson, asciiJson.split('/').join('\\/')];
	try {
		const percent = encodeURIComponent(secret);
		spellings.push(
			percent,
			percent.replace(PERCENT_ESCAPE, (escape) => escape.toLowerCase()),
		);
	} catch {
		// A lone surrogate has no percent-encoding; the form encoding below still covers it.
	}
	spellings.push(new URLSearchParams([['', secret]]).toString().slice(1));
	return spellings;
}

/**
 * One pass over the text: every occurrence of every spelling is found in the original text, and
 * overlapping occurrences merge into one replacement, so a marker is never searched again and no part
 * of a secret survives next to another secret's marker.
 */
export function replaceSecretForms(text: string, forms: readonly SecretForm[]): string {
	const hits: Array<{ start: number; end: number; marker: string }> = [];
	for (const { form, marker } of forms) {
		for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
			hits.push({ start: at, end: at + form.length, marker });
		}
	}
	if (hits.length === 0) return text;
	hits.sort((a, b) => a.start - b.start || b.end - a.end);
	let result = '';
	let copied = 0;
	for (const hit of hits) {
		if (hit.start < copied) {
			copied = Math.max(copied, hit.end);
			continue;
		}
		result += text.slice(copied, hit.start) + hit.marker;
		copied = hit.end;
	}
	return result + text.slice(copied);
}

// ---------------------------------------------------------------------------------------------
// JWTs, found by a scan rather than a regex: with a regex every `eyJ` after a `-` restarts a scan
// over the same characters, which is quadratic in a long run of them.

const DOT = 0x2e;

const isBase64UrlChar = (code: number): boolean =>
	(code >= 0x30 && code <= 0x39) ||
	(code >= 0x41 && code <= 0x5a) ||
	(code >= 0x61 && code <= 0x7a) ||
	code === 0x5f ||
	code === 0x2d;

const isWordChar = (code: number): boolean => isBase64UrlChar(code) && code !== 0x2d;

function base64UrlRunEnd(text: string, from: number): number {
	let at = from;
	while (at < text.length && isBase64UrlChar(text.charCodeAt(at))) at++;
	return at;
}

/** A header of at least 11 characters (`eyJ` + 8), then `.payload.signature`, or the five parts of a JWE. */
function jwtEnd(text: string, headerEnd: number, headerLength: number): number | undefined {
	if (headerLength < 11 || text.charCodeAt(headerEnd) !== DOT) return undefined;
	const payloadEnd = base64UrlRunEnd(text, headerEnd + 1);
	if (payloadEnd === headerEnd + 1 || text.charCodeAt(payloadEnd) !== DOT) return undefined;
	const signatureEnd = base64UrlRunEnd(text, payloadEnd + 1);
	if (text.charCodeAt(signatureEnd) === DOT) {
		const fourthEnd = base64UrlRunEnd(text, signatureEnd + 1);
		if (fourthEnd > signatureEnd + 1 && text.charCodeAt(fourthEnd) === DOT) {
			const fifthEnd = base64UrlRunEnd(text, fourthEnd + 1);
			if (fifthEnd > fourthEnd + 1) return fifthEnd;
		}
	}
	return signatureEnd;
}

/** Each JWT/JWS/JWE compact serialization, replaced: the header always starts with base64url of `{"`. */
export function replaceJwts(text: string, replace: (jwt: string) => string): string {
	let result = '';
	let copied = 0;
	let from = 0;
	for (let start = text.indexOf('eyJ'); start !== -1; start = text.indexOf('eyJ', from)) {
		if (start > 0 && isWordChar(text.charCodeAt(start - 1))) {
			from = start + 1;
			continue;
		}
		const headerEnd = base64UrlRunEnd(text, start + 3);
		const end = jwtEnd(text, headerEnd, headerEnd - start);
		if (end === undefined) {
			// A later `eyJ` in the same header run has a shorter header and the same tail: it fails too.
			from = headerEnd;
			continue;
		}
		result += text.slice(copied, start) + replace(text.slice(start, end));
		copied = from = end;
	}
	return copied === 0 ? text : result + text.slice(copied);
}

// ---------------------------------------------------------------------------------------------
// Parameter and JSON values

const isLineBreak = (char: string): boolean => char === '\n' || char === '\r' || char === '\u2028' || char === '\u2029';

/** A parameter value runs up to `&`, whitespace, `#`, a quote, `,` or `;`. */
export function parameterValueEnd(text: string, from: number): number {
	let at = from;
	while (at < text.length && !'&#"\',;'.includes(text.charAt(at)) && text.charAt(at).trim() !== '') at++;
	return at;
}

/** A quoted value runs up to its closing quote or the end of its line; a backslash escapes the next character. */
export function quotedValueEnd(text: string, from: number, quote: string): number {
	let at = from;
	while (at < text.length) {
		const char = text.charAt(at);
		if (char === quote || char === '\n' || char === '\r') break;
		if (char !== '\\') at++;
		else if (at + 1 < text.length && !isLineBreak(text.charAt(at + 1))) at += 2;
		else break;
	}
	return at;
}

// ---------------------------------------------------------------------------------------------
// Token characters

/** Characters of tokens, encoded tokens and JSON-escaped tokens: a cut inside a run of them splits a secret. */
export const isTokenChar = (code: number): boolean =>
	isBase64UrlChar(code) ||
	code === DOT ||
	code === 0x7e ||
	code === 0x2b ||
	code === 0x2f ||
	code === 0x3d ||
	code === 0x25 ||
	code === 0x5c;
