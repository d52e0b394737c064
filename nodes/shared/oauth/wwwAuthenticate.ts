/**
 * WWW-Authenticate parsing (RFC 7235 §4.1, RFC 6750 §3). Resource servers put the reason a bearer
 * token was refused here (`error="invalid_token"` vs `error="insufficient_scope"`), and the difference
 * decides whether a refresh can help at all.
 */

export interface Challenge {
	/** Auth scheme, lower-cased: schemes compare case-insensitively (RFC 7235 §2.1). */
	scheme: string;
	/** auth-params with lower-cased names and unquoted, unescaped values. The first occurrence wins. */
	params: Record<string, string>;
	/** The token68 form (`Basic abc==`) when the challenge carries one instead of params. */
	token68?: string;
}

export interface BearerError {
	error?: string;
	errorDescription?: string;
	scope?: string;
}

// Header values are attacker-controlled input; long ones are cut rather than scanned in full.
const MAX_HEADER_LENGTH = 8192;

// RFC 7230 tchar; token68 adds `-._~+/` and trailing `=` padding.
const TOKEN_RE = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68_RE = /[A-Za-z0-9\-._~+/]+=*/y;
const WHITESPACE_RE = /[ \t]*/y;

class Cursor {
	position = 0;

	constructor(readonly input: string) {}

	get done(): boolean {
		return this.position >= this.input.length;
	}

	peek(): string {
		return this.input.charAt(this.position);
	}

	skipWhitespace(): void {
		this.matchSticky(WHITESPACE_RE);
	}

	skipWhitespaceAndCommas(): void {
		while (!this.done && /[ \t,]/.test(this.peek())) this.position++;
	}

	matchSticky(pattern: RegExp): string | undefined {
		pattern.lastIndex = this.position;
		const match = pattern.exec(this.input);
		if (!match || match[0] === '') return undefined;
		this.position = pattern.lastIndex;
		return match[0];
	}

	readToken(): string | undefined {
		return this.matchSticky(TOKEN_RE);
	}

	/** RFC 7230 quoted-string: a backslash escapes the next character. An unterminated string runs to the end. */
	readQuotedString(): string {
		let value = '';
		this.position++;
		while (!this.done) {
			const character = this.input.charAt(this.position++);
			if (character === '"') return value;
			if (character === '\\' && !this.done) {
				value += this.input.charAt(this.position++);
			} else {
				value += character;
			}
		}
		return value;
	}

	/**
	 * True when the text at the cursor is `name BWS "=" BWS value`, i.e. an auth-param rather than a new
	 * challenge or token68 padding (`abc==`, `abc=` at the end: a param value is never empty or `=`).
	 */
	atAuthParam(): boolean {
		const start = this.position;
		let isParam = false;
		if (this.readToken() !== undefined) {
			this.skipWhitespace();
			if (this.peek() === '=') {
				this.position++;
				this.skipWhitespace();
				isParam = !this.done && this.peek() !== '=' && this.peek() !== ',';
			}
		}
		this.position = start;
		return isParam;
	}

	/** True when token68 follows and ends the challenge (end of input or a comma). */
	atToken68(): boolean {
		const start = this.position;
		const token68 = this.matchSticky(TOKEN68_RE);
		this.skipWhitespace();
		const endsChallenge = token68 !== undefined && (this.done || this.peek() === ',');
		this.position = start;
		return endsChallenge;
	}
}

function readParams(cursor: Cursor, params: Record<string, string>): void {
	while (!cursor.done) {
		cursor.skipWhitespaceAndCommas();
		if (cursor.done || !cursor.atAuthParam()) return;
		const name = (cursor.readToken() as string).toLowerCase();
		cursor.skipWhitespace();
		cursor.position++; // '='
		cursor.skipWhitespace();
		const value = cursor.peek() === '"' ? cursor.readQuotedString() : (cursor.readToken() ?? '');
		if (!(name in params)) params[name] = value;
		cursor.skipWhitespace();
		if (!cursor.done && cursor.peek() !== ',') return;
	}
}

function parseOneHeader(header: string, challenges: Challenge[]): void {
	const cursor = new Cursor(header.length > MAX_HEADER_LENGTH ? header.slice(0, MAX_HEADER_LENGTH) : header);
	while (!cursor.done) {
		cursor.skipWhitespaceAndCommas();
		if (cursor.done) return;
		const scheme = cursor.readToken();
		if (scheme === undefined) {
			// Not a token: skip to the next comma so one malformed piece does not hide later challenges.
			const nextComma = cursor.input.indexOf(',', cursor.position + 1);
			cursor.position = nextComma === -1 ? cursor.input.length : nextComma;
			continue;
		}
		const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
		challenges.push(challenge);
		cursor.skipWhitespace();
		if (cursor.done || cursor.peek() === ',') continue;
		if (!cursor.atAuthParam() && cursor.atToken68()) {
			challenge.token68 = cursor.matchSticky(TOKEN68_RE);
			continue;
		}
		readParams(cursor, challenge.params);
	}
}

/** Parses one or several WWW-Authenticate header values into their challenges, in order. */
export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
	const challenges: Challenge[] = [];
	if (header === undefined) return challenges;
	for (const value of Array.isArray(header) ? header : [header]) {
		if (typeof value === 'string') parseOneHeader(value, challenges);
	}
	return challenges;
}

/** The RFC 6750 error of the first Bearer (or DPoP, RFC 9449) challenge that carries one. */
export function bearerError(header: string | string[] | undefined): BearerError {
	const challenges = parseWwwAuthenticate(header).filter(
		(challenge) => challenge.scheme === 'bearer' || challenge.scheme === 'dpop',
	);
	const withError = challenges.find((challenge) => challenge.params.error !== undefined) ?? challenges[0];
	if (withError === undefined) return {};
	const result: BearerError = {};
	if (withError.params.error !== undefined) result.error = withError.params.error;
	if (withError.params.error_description !== undefined) {
		result.errorDescription = withError.params.error_description;
	}
	if (withError.params.scope !== undefined) result.scope = withError.params.scope;
	return result;
}
