/**
 * Text from outside (token endpoint answers, error messages, URLs, the user's rule) is read in linear
 * time: each of these inputs made a backtracking regex restart over the same characters, taking seconds
 * (or, for the form-body check, exponential time: 82 bytes took about 10 s).
 */
import { classify } from '../../nodes/shared/classify/classifier';
import { reconnectUrlFor } from '../../nodes/shared/diagnose/diagnosis';
import { parseBodyRule } from '../../nodes/shared/http/expirySignal';
import { parseTokenResponse } from '../../nodes/shared/oauth/refreshGrant';
import type { HttpResponseLike } from '../../nodes/shared/types';

const context = { previousRefreshToken: 'rt-CANARY-linear-5a1c', nowMs: 0 };
const textPlain = { 'content-type': 'text/plain' };

const elapsedMs = (run: () => unknown): number => {
	const started = process.hrtime.bigint();
	run();
	return Number(process.hrtime.bigint() - started) / 1e6;
};

const parsed = (response: HttpResponseLike) => {
	let result: ReturnType<typeof parseTokenResponse> | undefined;
	const ms = elapsedMs(() => {
		result = parseTokenResponse(response, context);
	});
	return { ms, result: result as ReturnType<typeof parseTokenResponse> };
};

describe('token endpoint answers that look like a form body', () => {
	it.each([
		// `&a=` is either part of the value or the start of a new pair: each one doubled the old regex's work.
		['82 bytes', `a=${'&a='.repeat(26)}<<`],
		['88 bytes', `a=${'&a='.repeat(28)}<<`],
		['90 KB', `a=${'&a='.repeat(30_000)}<<`],
	])('%s of `a=&a=…<<` are refused as non-JSON text in well under a second', (_case, body) => {
		const { ms, result } = parsed({ status: 200, headers: textPlain, body });
		expect(ms).toBeLessThan(1000);
		expect(result.ok ? 'ok' : result.error.kind).toBe('non_json_body');
	});

	it.each([
		['GitHub-style success', 'access_token=at-1&token_type=bearer&scope=', { accessToken: 'at-1' }],
		['a value holding =', 'access_token=at-2==&token_type=bearer', { accessToken: 'at-2==' }],
		['percent-encoded and + in names and values', 'access_token=a%2Fb+c&x.y~z-1=v', { accessToken: 'a/b c' }],
	])('a form body: %s', (_case, body, expected) => {
		const { result } = parsed({ status: 200, headers: textPlain, body });
		expect(result.ok ? { accessToken: result.value.accessToken } : result.error).toEqual(expected);
	});

	it.each([
		['a pair without =', 'access_token=at-1&flag'],
		['an empty pair', 'access_token=at-1&&x=1'],
		['an empty name', '=at-1'],
		['a name with a character outside the set', 'access:token=at-1'],
		['whitespace in a value', 'access_token=at 1'],
		['braces', 'access_token={at-1}'],
	])('not a form body: %s', (_case, body) => {
		const { result } = parsed({ status: 200, headers: textPlain, body });
		expect(result.ok ? 'ok' : result.error.kind).toBe('non_json_body');
	});
});

describe('HTML answers', () => {
	const html = { 'content-type': 'text/html' };

	it.each([
		['unclosed `<`s', '<'.repeat(100_000)],
		['unclosed `<script`s', '<script'.repeat(20_000)],
		['unclosed `<style`s', `<p>${'<style '.repeat(20_000)}`],
		['closed tags', '<b>x</b>'.repeat(20_000)],
	])('100 KB or more of %s in well under a second', (_case, body) => {
		const { ms, result } = parsed({ status: 502, headers: html, body });
		expect(ms).toBeLessThan(1000);
		expect(result.ok ? 'ok' : result.error.kind).toBe('html_body');
	});

	it.each([
		[
			'script and style blocks and tags become spaces',
			'<p>a</p><SCRIPT>var x = "<b>";</script>b<style>p{}</Style>c&nbsp;d',
			'a b c d',
		],
		['an unclosed script tag is an ordinary tag', '<script>alert(1)', 'alert(1)'],
		['a `<` that is never closed stays', '<p>1 < 2', '1 < 2'],
	])('%s', (_case, body, snippet) => {
		const { result } = parsed({ status: 502, headers: html, body });
		expect(result.ok ? undefined : result.error.bodySnippet).toBe(snippet);
	});
});

describe('URLs and rules', () => {
	it('a token URL followed by 100,000 punctuation marks', () => {
		const url = `https://idp.example.com/oauth/token${','.repeat(100_000)}x`;
		expect(elapsedMs(() => classify({ messages: ['failed'], url }))).toBeLessThan(1000);
	});

	it('sentence punctuation after a token URL still counts as the token endpoint', () => {
		expect(
			classify({ messages: ['failed'], status: 503, url: 'https://idp.example.com/oauth/token.,;' }).atTokenEndpoint,
		).toBe(true);
	});

	it('an instance base URL with 100,000 slashes not at its end', () => {
		const base = `https://n8n.example.com${'/'.repeat(100_000)}x`;
		let url: string | null = null;
		expect(elapsedMs(() => (url = reconnectUrlFor(base, 'c1')))).toBeLessThan(1000);
		expect(url).toBe(`${base}/home/credentials/c1`);
		expect(reconnectUrlFor('https://n8n.example.com///', 'c1')).toBe('https://n8n.example.com/home/credentials/c1');
	});

	it.each([
		['whitespace', `ok${' '.repeat(100_000)}= false`],
		['whitespace before `in`', `error${'\t'.repeat(100_000)}in a`],
		['whitespace around `=` and a line break in the value', `a${'\t'.repeat(50_000)}=${'\t'.repeat(50_000)}x\ny`],
	])('an "Expired When" rule with 100,000 characters of %s is read in well under a second', (_case, rule) => {
		expect(elapsedMs(() => parseBodyRule(rule))).toBeLessThan(1000);
	});

	it.each([
		[
			'and (any case) and && split conditions',
			'ok = false AND error in a,b && code == 7',
			[
				['ok', ['false']],
				['error', ['a', 'b']],
				['code', ['7']],
			],
		],
		['the first operator decides', 'error = sign in required', [['error', ['sign in required']]]],
		['`and` inside a word does not split', 'brand = x', [['brand', ['x']]]],
		['`in` needs whitespace on both sides', 'login = x', [['login', ['x']]]],
	])('rule conditions: %s', (_case, rule, expected) => {
		const result = parseBodyRule(rule);
		const conditions = result.ok && result.value?.kind === 'conditions' ? result.value.conditions : [];
		expect(conditions.map((condition) => [condition.pathText, condition.values])).toEqual(expected);
	});
});
