/**
 * Redaction on hostile and oversized text: every pattern runs in linear time, text is capped before
 * any pattern sees it (and what is kept stays redacted), and text that may hold a secret is redacted
 * before it is shortened, in every spelling a secret can take (verbatim, JSON-escaped, percent- and
 * form-encoded).
 */
import { createHash } from 'crypto';
import { diagnose } from '../../nodes/shared/diagnose/diagnosis';
import { isTokenGuardError } from '../../nodes/shared/errors/errors';
import { performRefreshGrant } from '../../nodes/shared/refresh/manualGrant';
import { errorDescriptionFor, errorMessageFor } from '../../nodes/shared/errors/classification';
import { classificationFor } from '../../nodes/shared/classify/taxonomy';
import { describeValue } from '../../nodes/shared/parameters/parameters';
import { MAX_REDACT_TEXT_LENGTH, redactDeep, redactedSnippet, redactText } from '../../nodes/shared/security/redact';
import { parseTokenResponse } from '../../nodes/shared/oauth/refreshGrant';

const marker = (secret: string): string =>
	`[redacted sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}]`;

const JWT =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const GOOGLE_TOKEN = 'ya29.a0/CANARY/AfH6SMBx/9c1e';

const elapsedMs = (run: () => unknown): number => {
	const started = process.hrtime.bigint();
	run();
	return Number(process.hrtime.bigint() - started) / 1e6;
};

const KIB_200 = 200 * 1024;
const repeated = (unit: string, length: number): string =>
	unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Inputs that made a pattern restart over the same characters (quadratic or worse). */
const HOSTILE_UNITS: Array<[string, string]> = [
	['`eyJ-` runs (the old JWT pattern rescanned them from every `eyJ`)', 'eyJ-'],
	['dotted `eyJ` segments', 'eyJhbGciOiJIUzI1.'],
	['unclosed JSON values of secret keys', 'password:"'],
	['unclosed single-quoted values', "apiKey='"],
	['`Bearer` prefixes', 'Bearer '],
	['`Basic` prefixes with base64 runs', 'Basic QUFB+'],
	['parameter names without values', '&token='],
];

describe('redactText in linear time', () => {
	it.each(HOSTILE_UNITS)('200 KB of %s in well under a second', (_case, unit) => {
		expect(elapsedMs(() => redactText(repeated(unit, KIB_200)))).toBeLessThan(1000);
	});

	it.each(HOSTILE_UNITS)('just under the size cap, %s: the patterns themselves are linear', (_case, unit) => {
		expect(elapsedMs(() => redactText(repeated(unit, MAX_REDACT_TEXT_LENGTH - 1)))).toBeLessThan(500);
	});

	it('still finds a JWT after a long run of false starts', () => {
		const text = `${repeated('eyJ-', 40_000)} then ${JWT} end`;
		const redacted = redactText(text);
		expect(redacted).toContain(`then ${marker(JWT)} end`);
		expect(redacted).not.toContain(JWT.split('.')[1]);
	});

	it.each([
		['a JWT after a word character is not one', `x${JWT}`, `x${JWT}`],
		['a JWT after a dash is', `id-${JWT}`, `id-${marker(JWT)}`],
		['a JWE has five parts', `${JWT}.abc.def tail`, `${marker(`${JWT}.abc.def`)} tail`],
		['a header under 11 characters is not a JWT', 'eyJabc.def.ghi', 'eyJabc.def.ghi'],
	])('%s', (_case, input, expected) => {
		expect(redactText(input)).toBe(expected);
	});

	it.each([
		[
			'an unclosed JSON value (a body cut short) is redacted to the end of its line',
			'{"access_token":"at-123456\nnext',
			`{"access_token":"${marker('at-123456')}\nnext`,
		],
		['a marker is not redacted twice', `{"password":"${marker('x-1')}"}`, `{"password":"${marker('x-1')}"}`],
		[
			'an empty value is left alone and the search goes on',
			'token=&password=pw-1',
			`token=&password=${marker('pw-1')}`,
		],
		[
			'Basic credentials followed by a third = are not Basic credentials',
			`Basic ${Buffer.from('user:pw').toString('base64')}=`,
			`Basic ${Buffer.from('user:pw').toString('base64')}=`,
		],
	])('%s', (_case, input, expected) => {
		expect(redactText(input)).toBe(expected);
	});
});

describe('the size cap', () => {
	const note = (dropped: number): string => `[truncated: ${dropped} more characters]`;

	it(`reads at most MAX_REDACT_TEXT_LENGTH (${MAX_REDACT_TEXT_LENGTH}) characters and says how much it dropped`, () => {
		expect(MAX_REDACT_TEXT_LENGTH).toBe(65_536);
		const text = 'abc '.repeat(50_000);
		const redacted = redactText(text);
		expect(redacted).toBe(`${text.slice(0, MAX_REDACT_TEXT_LENGTH)}${note(text.length - MAX_REDACT_TEXT_LENGTH)}`);
	});

	it('cuts before a word the limit runs through, not inside it', () => {
		const text = 'word '.repeat(40_000);
		// 65,536 = 5 × 13,107 + 1: the limit falls one character into a word.
		expect(redactText(text)).toBe(
			`${text.slice(0, MAX_REDACT_TEXT_LENGTH - 1)}${note(text.length - MAX_REDACT_TEXT_LENGTH + 1)}`,
		);
	});

	it('leaves text of exactly the cap alone', () => {
		const text = 'a '.repeat(MAX_REDACT_TEXT_LENGTH / 2);
		expect(redactText(text)).toBe(text);
	});

	it('never keeps the head of a token the cut runs through', () => {
		const prefix = ' '.repeat(MAX_REDACT_TEXT_LENGTH - 20);
		const redacted = redactText(`${prefix}${JWT} tail`);
		expect(redacted).toBe(`${prefix}${note(JWT.length + 5)}`);
	});

	it('never keeps the head of a known secret, or half its marker, at the cut', () => {
		const secret = 'rt-CANARY-straddling-0123456789';
		const prefix = ' '.repeat(MAX_REDACT_TEXT_LENGTH - 5);
		const redacted = redactText(`${prefix}${secret} tail`, [secret]);
		expect(redacted).toBe(`${prefix}${note(marker(secret).length + 5)}`);
	});

	it('applies to every string redactDeep copies', () => {
		const copy = redactDeep({ message: 'word '.repeat(40_000) });
		expect(copy.message.length).toBeLessThan(MAX_REDACT_TEXT_LENGTH + 50);
		expect(copy.message).toMatch(/\[truncated: \d+ more characters\]$/);
	});
});

describe('known secrets in every spelling', () => {
	it.each<[string, string, string]>([
		['JSON-escaped with \\/', 'ya29.a0/Af/9c', 'echo: ya29.a0\\/Af\\/9c!'],
		['JSON-escaped quote and backslash', 'p"ss\\word-1', `{"x":${JSON.stringify('p"ss\\word-1')}}`],
		['JSON with non-ASCII escaped', 'pässwört-1', 'said p\\u00e4ssw\\u00f6rt-1 here'],
		['percent-encoded, upper-case hex', '1//0gAbc', 'x=1%2F%2F0gAbc'],
		['percent-encoded, lower-case hex', '1//0gAbc', 'x=1%2f%2f0gAbc'],
		['form-encoded (space as +)', 'my secret*pass', 'q=my+secret*pass&x=1'],
	])('%s', (_case, secret, text) => {
		const redacted = redactText(text, [secret]);
		expect(redacted).toContain(marker(secret));
		expect(redacted).not.toContain(secret.slice(0, 4));
	});

	it('two overlapping secrets become one marker, with no tail of the second left behind', () => {
		expect(redactText('<abcd1234wxyz>', ['abcd1234', '1234wxyz'])).toBe(`<${marker('abcd1234')}>`);
	});

	it('a short secret that occurs inside a marker does not mangle it', () => {
		const long = 'rt-CANARY-4f1e9a2b';
		expect(redactText(`x ${long} y`, [long, 'acte', 'sha2'])).toBe(`x ${marker(long)} y`);
	});
});

describe('redactedSnippet: redacted first, shortened after', () => {
	const secret = 'rt-CANARY-cut-in-half-8d2f1c';

	it('a known secret the limit cuts through leaves no head behind', () => {
		const snippet = redactedSnippet(`${'x'.repeat(290)} ${secret} tail`, [secret], 300);
		expect(snippet.length).toBeLessThanOrEqual(300);
		expect(snippet).not.toContain(secret.slice(0, 6));
	});

	it('a token nobody named, cut by the limit, leaves no head behind', () => {
		const snippet = redactedSnippet(`${'x'.repeat(280)} Authorization: Bearer ${GOOGLE_TOKEN}`, [], 300);
		expect(snippet).not.toContain(GOOGLE_TOKEN.slice(0, 6));
	});

	it('a JSON-escaped secret in a non-JSON body is redacted whole', () => {
		const escaped = GOOGLE_TOKEN.split('/').join('\\/');
		expect(redactedSnippet(`<error>token ${escaped} invalid</error>`, [GOOGLE_TOKEN], 300)).toBe(
			`<error>token ${marker(GOOGLE_TOKEN)} invalid</error>`,
		);
	});

	it('a marker the limit would cut is left out whole', () => {
		expect(redactedSnippet(`${'x'.repeat(95)} ${secret}`, [secret], 100)).toBe(`${'x'.repeat(95)} `);
	});

	it.each<[string, string, number, Parameters<typeof redactedSnippet>[3], string]>([
		['short text is returned redacted and whole', 'a b', 10, {}, 'a b'],
		['single-line collapses whitespace and trims', ' a \n\t b ', 10, { singleLine: true }, 'a b'],
		['the ellipsis marks a cut', 'abcdef', 3, { ellipsis: '…' }, 'abc…'],
		['half a surrogate pair is not kept', 'ab😀cd', 3, {}, 'ab'],
	])('%s', (_case, text, maxLength, options, expected) => {
		expect(redactedSnippet(text, [], maxLength, options)).toBe(expected);
	});
});

describe('every place that shortens text redacts first', () => {
	it('Token Health diagnosis: a 200 KB hostile message takes well under a second and the evidence is redacted and capped', () => {
		let result: ReturnType<typeof diagnose> | undefined;
		const ms = elapsedMs(() => {
			result = diagnose(
				{ error: { message: `Bearer ${GOOGLE_TOKEN} ${repeated('eyJ-', KIB_200)}` } },
				{ instanceBaseUrl: 'https://n8n.example.com' },
			);
		});
		expect(ms).toBeLessThan(1000);
		const message = result?.ok ? result.value.evidence.message : undefined;
		expect(message?.length).toBeLessThanOrEqual(500);
		expect(message).toContain(`Bearer ${marker(GOOGLE_TOKEN)}`);
	});

	it('a token endpoint body with the refresh token JSON-escaped is redacted in the snippet', () => {
		const previousRefreshToken = '1//0gCANARY-refresh-3c9e';
		const body = `upstream error: {"rt":"${previousRefreshToken.split('/').join('\\/')}"} rejected`;
		const result = parseTokenResponse(
			{ status: 400, headers: { 'content-type': 'text/plain' }, body },
			{ previousRefreshToken, nowMs: 0 },
		);
		expect(result.ok).toBe(false);
		const text = JSON.stringify(result);
		expect(text).not.toContain('CANARY');
		expect(text).toContain(marker(previousRefreshToken).slice(0, 20));
	});

	it('a refresh request that fails before it is sent: the secret at the 200-character limit leaves no head', async () => {
		const clientSecret = 'client-secret-CANARY-9e4d1a';
		const httpRequest = async (): Promise<never> => {
			throw new Error(`${'x'.repeat(190)} ${clientSecret}`);
		};
		const config = {
			tokenUrl: 'http://127.0.0.1:9/token',
			clientId: 'c',
			clientSecret,
			clientAuth: 'body' as const,
			refreshToken: 'rt-CANARY-snippet-1',
		};
		const error = await performRefreshGrant(httpRequest, config, { sleep: async () => undefined }).then(
			() => undefined,
			(thrown: unknown) => thrown,
		);
		expect(isTokenGuardError(error)).toBe(true);
		expect((error as Error).message).toContain('request not sent: xxx');
		expect((error as Error).message).not.toContain('client-se');
	});

	it('a parameter value quoted in an error message', () => {
		const url = `https://api.example.com/v1?access_token=${'A1b2'.repeat(10)}`;
		const shown = describeValue(url);
		expect(shown).not.toContain('A1b2');
		// The marker does not fit in 60 characters, so the quote stops before it.
		expect(shown).toBe(JSON.stringify('https://api.example.com/v1?access_token=…'));
	});

	it('a node error quotes at most 2,000 characters of the failure’s own message, and the steps still follow', () => {
		const classification = classificationFor('not_auth_related', 'unknown', 'No authentication signal.');
		const text = repeated('lorem ipsum ', 300_000);
		const error = new Error(text);
		const message = errorMessageFor(classification, error);
		expect(message).toBe(`${text.slice(0, 2000)}…`);
		const description = errorDescriptionFor(classificationFor('access_token_rejected', 'unknown', 'Rejected.'), error);
		expect(description).toContain(`Details: ${text.slice(0, 2000)}…\n`);
		expect(description).toMatch(/What to do:\n1\. /);
	});
});
