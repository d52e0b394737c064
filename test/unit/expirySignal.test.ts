import {
	DEFAULT_EXPIRY_STATUS_CODES,
	credentialExpiryStatusCodes,
	decideProactiveRefresh,
	detectExpirySignal,
	isTransientApiFailure,
	matchesBodyRule,
	parseBodyRule,
	parseStatusCodes,
	proactiveMarginMs,
} from '../../nodes/shared/http/expirySignal';
import type { BodyRule, ExpiryRules } from '../../nodes/shared/http/expirySignal';
import type { HttpResponseLike } from '../../nodes/shared/types';

const rule = (text: string): BodyRule => {
	const parsed = parseBodyRule(text);
	if (!parsed.ok || parsed.value === null) throw new Error(`test rule "${text}" does not parse`);
	return parsed.value;
};

describe('parseStatusCodes', () => {
	it.each([
		['401', [401]],
		['401, 403', [401, 403]],
		['401 403;404', [401, 403, 404]],
		[' 401,401 ', [401]],
		['', []],
	])('%j → %j', (text, codes) => {
		expect(parseStatusCodes(text)).toEqual({ ok: true, value: codes });
	});

	it.each(['abc', '99', '600', '4011', '401,x'])('%j is refused with a message naming the bad entry', (text) => {
		const parsed = parseStatusCodes(text);
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.error.message).toMatch(/is not an HTTP status code/);
	});

	it('defaults to 401, the RFC 6750 expiry status', () => {
		expect(DEFAULT_EXPIRY_STATUS_CODES).toEqual([401]);
	});
});

describe('credentialExpiryStatusCodes', () => {
	it.each<[unknown, number[]]>([
		[401, [401]],
		['403', [403]],
		[
			[401, 403, 404],
			[401, 403, 404],
		],
		[
			['401', 403, 403],
			[401, 403],
		],
		[undefined, []],
		['', []],
		[[0, 'x', 700, null], []],
	])('%j → %j', (value, codes) => {
		expect(credentialExpiryStatusCodes(value)).toEqual(codes);
	});
});

describe('parseBodyRule', () => {
	it.each([
		['ok = false', [{ path: ['ok'], values: ['false'] }]],
		['ok=false', [{ path: ['ok'], values: ['false'] }]],
		['error in token_expired, invalid_auth', [{ path: ['error'], values: ['token_expired', 'invalid_auth'] }]],
		[
			'ok = false and error in token_expired,invalid_auth',
			[
				{ path: ['ok'], values: ['false'] },
				{ path: ['error'], values: ['token_expired', 'invalid_auth'] },
			],
		],
		[
			'ok = false && error = "token expired"',
			[
				{ path: ['ok'], values: ['false'] },
				{ path: ['error'], values: ['token expired'] },
			],
		],
		['errors[*].code in 601,602', [{ path: ['errors', '*', 'code'], values: ['601', '602'] }]],
		['errors.0.code = 601', [{ path: ['errors', 0, 'code'], values: ['601'] }]],
		['error = sign in required', [{ path: ['error'], values: ['sign in required'] }]],
	])('%j → conditions %j', (text, conditions) => {
		const parsed = rule(text);
		expect(parsed.kind).toBe('conditions');
		if (parsed.kind === 'conditions') {
			expect(parsed.conditions.map(({ path, values }) => ({ path, values }))).toEqual(conditions);
		}
	});

	it.each([
		['/token_expired/', 'token_expired', ''],
		['/"code":\\s*"60[12]"/i', '"code":\\s*"60[12]"', 'i'],
	])('%j → regex %s with flags %j', (text, source, flags) => {
		const parsed = rule(text);
		expect(parsed.kind === 'regex' && [parsed.pattern.source, parsed.pattern.flags]).toEqual([source, flags]);
	});

	it.each(['', '   '])('%j → no rule', (text) => {
		expect(parseBodyRule(text)).toEqual({ ok: true, value: null });
	});

	it.each([
		['error', /not a condition/],
		['a b = c', /not a field path/],
		['error in ,', /lists no values/],
		['/[/', /does not compile/],
	])('%j is refused (%s)', (text, message) => {
		const parsed = parseBodyRule(text);
		expect(parsed.ok).toBe(false);
		if (!parsed.ok) expect(parsed.error.message).toMatch(message);
	});

	// Every refusal says how to write it instead, not only what is wrong.
	it.each([
		['error', /write it like ok = false/],
		['a b = c', /write it like error, error\.code/],
		['error in ,', /write them like error in token_expired/],
		[
			'/(/',
			/Write a valid JavaScript regular expression between slashes, optionally followed by the flags i, m, s or u/,
		],
		['/[/', /e\.g\. \/"error":\\s\*"token_expired"\/i/],
	])('%j says how to write the rule', (text, fix) => {
		const parsed = parseBodyRule(text);
		expect(parsed.ok ? 'accepted' : parsed.error.message).toMatch(fix);
	});

	it('the example a compile error suggests is itself a rule that compiles', () => {
		const parsed = parseBodyRule('/(/');
		const example = parsed.ok ? '' : (/e\.g\. (\/.+\/i)/.exec(parsed.error.message)?.[1] ?? '');
		expect(parseBodyRule(example)).toMatchObject({ ok: true, value: { kind: 'regex' } });
	});
});

describe('matchesBodyRule', () => {
	const slack = 'ok = false and error in token_expired,invalid_auth';
	const marketo = 'errors[*].code in 601,602';

	it.each([
		[slack, { ok: false, error: 'token_expired' }, true],
		[slack, { ok: false, error: 'invalid_auth' }, true],
		[slack, { ok: false, error: 'channel_not_found' }, false],
		[slack, { ok: true }, false],
		[slack, '{"ok":false,"error":"invalid_auth"}', true],
		[slack, Buffer.from('{"ok":false,"error":"token_expired"}'), true],
		[slack, 'ok=false error=token_expired', false],
		[marketo, { success: false, errors: [{ code: '601', message: 'Access token invalid' }] }, true],
		[marketo, { success: false, errors: [{ code: 602 }] }, true],
		[marketo, { success: false, errors: [{ code: '603' }] }, false],
		[marketo, { success: true, result: [] }, false],
		['error.code = 190', { error: { code: 190, type: 'OAuthException' } }, true],
		['errors[1].code = 601', { errors: [{ code: '1' }, { code: '601' }] }, true],
		['errors[1].code = 601', { errors: [{ code: '601' }] }, false],
		['a.b = 1', { a: 'x' }, false],
		['ok = null', { ok: null }, true],
		['/"code":\\s*"60[12]"/', { errors: [{ code: '602' }] }, true],
		['/token_expired/', 'plain text token_expired', true],
		['/token_expired/', '', false],
	])('%j on %j → %s', (text, body, expected) => {
		expect(matchesBodyRule(rule(text), body)).toBe(expected);
	});
});

describe('detectExpirySignal', () => {
	const statusOnly = (codes: number[]): ExpiryRules => ({ statusCodes: codes, bodyRule: null });
	const slackRules: ExpiryRules = {
		statusCodes: [401],
		bodyRule: rule('ok = false and error in token_expired,invalid_auth'),
	};
	const scopeChallenge = { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="read"' };

	it.each<[string, HttpResponseLike, ExpiryRules, boolean, string]>([
		['401 with the default list', { status: 401 }, statusOnly([401]), true, 'status'],
		['403 listed for an Atlassian-style gateway', { status: 403 }, statusOnly([401, 403]), true, 'status'],
		['403 not listed', { status: 403 }, statusOnly([401]), false, 'none'],
		[
			'403 insufficient_scope in WWW-Authenticate, even when 403 is listed',
			{ status: 403, headers: scopeChallenge },
			statusOnly([401, 403]),
			false,
			'insufficient_scope',
		],
		[
			'401 insufficient_scope in WWW-Authenticate',
			{ status: 401, headers: scopeChallenge },
			statusOnly([401]),
			false,
			'insufficient_scope',
		],
		[
			'403 insufficient_scope in the body',
			{ status: 403, body: { error: 'insufficient_scope' } },
			statusOnly([403]),
			false,
			'insufficient_scope',
		],
		[
			'401 invalid_token challenge',
			{ status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
			statusOnly([401]),
			true,
			'status',
		],
		[
			'Slack 200 token_expired with the body rule',
			{ status: 200, body: { ok: false, error: 'token_expired' } },
			slackRules,
			true,
			'body',
		],
		[
			'Slack 200 token_expired without a body rule',
			{ status: 200, body: { ok: false, error: 'token_expired' } },
			statusOnly([401]),
			false,
			'none',
		],
		[
			'Slack 200 other error with the body rule',
			{ status: 200, body: { ok: false, error: 'channel_not_found' } },
			slackRules,
			false,
			'none',
		],
		['500 server error', { status: 500 }, statusOnly([401]), false, 'none'],
		['401 with an empty status list', { status: 401 }, statusOnly([]), false, 'none'],
	])('%s', (_case, response, rules, expired, via) => {
		const verdict = detectExpirySignal(response, rules);
		expect([verdict.expired, verdict.via]).toEqual([expired, via]);
	});
});

describe('decideProactiveRefresh', () => {
	const now = 1_000_000_000_000;
	const known = (offsetMs: number) => ({ expiresAtMs: now + offsetMs, source: 'n8n_expires_at' as const });
	const unknown = { expiresAtMs: null, source: 'unknown' as const };

	it.each([
		['expired a minute ago', known(-60_000), 300_000, false, true, 'expired'],
		['inside the margin', known(120_000), 300_000, false, true, 'expiring'],
		['exactly at the margin', known(300_000), 300_000, false, true, 'expiring'],
		['outside the margin', known(600_000), 300_000, false, false, 'fresh'],
		['margin 0, still valid', known(1), 0, false, false, 'fresh'],
		['unknown expiry, not asked to refresh', unknown, 300_000, false, false, 'unknown'],
		['unknown expiry, asked to refresh', unknown, 300_000, true, true, 'unknown'],
	] as const)('%s', (_case, expiry, marginMs, refreshWhenUnknown, refresh, state) => {
		const decision = decideProactiveRefresh({ expiry, nowMs: now, marginMs, refreshWhenUnknown });
		expect([decision.refresh, decision.state]).toEqual([refresh, state]);
		expect(decision.timeLeftMs).toBe(expiry.expiresAtMs === null ? null : expiry.expiresAtMs - now);
	});

	it('reads the expiry on the provider clock when a skew is given', () => {
		// The provider's clock is 2 minutes ahead: a token with 4 minutes left locally has 2 left there.
		const decision = decideProactiveRefresh({
			expiry: known(240_000),
			nowMs: now,
			marginMs: 180_000,
			clockSkewMs: 120_000,
		});
		expect([decision.refresh, decision.timeLeftMs]).toEqual([true, 120_000]);
	});
});

describe('proactiveMarginMs', () => {
	it.each([
		[300_000, null, 300_000],
		[300_000, 3_600_000, 300_000],
		[300_000, 60_000, 30_000],
		[300_000, 0, 300_000],
		[-5, null, 0],
		[0, 60_000, 0],
	])('margin %i with lifetime %j → %i', (margin, lifetime, expected) => {
		expect(proactiveMarginMs(margin, lifetime)).toBe(expected);
	});
});

describe('isTransientApiFailure', () => {
	it.each([
		['GET', { status: 429 }, true],
		['POST', { status: 429 }, true],
		['POST', { status: 503 }, true],
		['GET', { status: 500 }, true],
		['POST', { status: 500 }, false],
		['PATCH', { status: 502 }, false],
		['PUT', { status: 504 }, true],
		['GET', { status: 408 }, true],
		['GET', { status: 409 }, false],
		['GET', { status: 404 }, false],
		['POST', { networkCode: 'ECONNREFUSED' }, true],
		['POST', { networkCode: 'ECONNRESET' }, false],
		['GET', { networkCode: 'ECONNRESET' }, true],
		['delete', { networkCode: 'etimedout' }, true],
		['GET', { networkCode: 'ENOTFOUND' }, false],
		['GET', {}, false],
	])('%s %j → %s', (method, failure, expected) => {
		expect(isTransientApiFailure(method, failure)).toBe(expected);
	});
});
