import {
	DEFAULT_EXPIRY_MARGIN_SECONDS,
	type ExpiryInfo,
	isExpiring,
	resolveExpiry,
	timeLeftMs,
} from '../../nodes/shared/oauth/expiry';

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwtWithExp = (exp: number): string => `${segment({ alg: 'RS256' })}.${segment({ exp })}.sig`;

// 2025-01-01T00:00:00Z
const JAN_1_MS = 1735689600000;
const JAN_1_S = 1735689600;

describe('resolveExpiry', () => {
	it.each<[string, Record<string, unknown> | undefined, { obtainedAtMs?: number } | undefined, ExpiryInfo]>([
		[
			'n8n_expires_at as epoch-ms string (n8n ≥ 2.33)',
			{ access_token: 'x', n8n_expires_at: '1735689600000' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'n8n_expires_at' },
		],
		[
			'n8n_expires_at as number',
			{ n8n_expires_at: JAN_1_MS },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'n8n_expires_at' },
		],
		[
			'n8n_expires_at wins over expires_at and a JWT exp',
			{ n8n_expires_at: '1735689600000', expires_at: 1, access_token: jwtWithExp(2) },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'n8n_expires_at' },
		],
		[
			'expires_at in epoch seconds',
			{ expires_at: JAN_1_S },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		['expires_at in epoch ms', { expires_at: JAN_1_MS }, undefined, { expiresAtMs: JAN_1_MS, source: 'expires_at' }],
		[
			'expires_at as numeric seconds string',
			{ expires_at: '1735689600' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'expires_at as ISO with Z',
			{ expires_at: '2025-01-01T00:00:00Z' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'expires_at as ISO with offset',
			{ expires_at: '2025-01-01T02:00:00+02:00' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'expires_at as ISO without offset is UTC',
			{ expires_at: '2025-01-01T00:00:00' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'manual credential: accessToken + expiresAt ISO',
			{ accessToken: 'opaque', expiresAt: '2025-01-01T00:00:00.000Z' },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'manual credential: expiresAt epoch ms',
			{ accessToken: 'opaque', expiresAt: JAN_1_MS },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'expires_at wins over JWT exp',
			{ expires_at: JAN_1_S, access_token: jwtWithExp(99) },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'expires_at' },
		],
		[
			'JWT exp of access_token',
			{ access_token: jwtWithExp(JAN_1_S) },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'jwt_exp' },
		],
		[
			'JWT exp of accessToken (manual shape)',
			{ accessToken: jwtWithExp(JAN_1_S) },
			undefined,
			{ expiresAtMs: JAN_1_MS, source: 'jwt_exp' },
		],
		[
			'JWT exp wins over expires_in',
			{ access_token: jwtWithExp(JAN_1_S), expires_in: 10 },
			{ obtainedAtMs: 5 },
			{ expiresAtMs: JAN_1_MS, source: 'jwt_exp' },
		],
		[
			'expires_in + obtainedAtMs',
			{ access_token: 'opaque', expires_in: 3600 },
			{ obtainedAtMs: JAN_1_MS },
			{ expiresAtMs: JAN_1_MS + 3_600_000, source: 'expires_in' },
		],
		[
			'expires_in as string + obtainedAtMs',
			{ access_token: 'opaque', expires_in: '3599' },
			{ obtainedAtMs: JAN_1_MS },
			{ expiresAtMs: JAN_1_MS + 3_599_000, source: 'expires_in' },
		],
		[
			'expires_in without obtainedAtMs is useless',
			{ access_token: 'opaque', expires_in: 3600 },
			undefined,
			{ expiresAtMs: null, source: 'unknown' },
		],
		[
			'opaque token, nothing else',
			{ access_token: 'ya29.opaque' },
			undefined,
			{ expiresAtMs: null, source: 'unknown' },
		],
		['undefined token data', undefined, undefined, { expiresAtMs: null, source: 'unknown' }],
		['empty object', {}, undefined, { expiresAtMs: null, source: 'unknown' }],
	])('%s', (_name, tokenData, options, expected) => {
		expect(resolveExpiry(tokenData, options)).toEqual(expected);
	});

	it.each<[string, Record<string, unknown>]>([
		['zero n8n_expires_at', { n8n_expires_at: '0' }],
		['negative n8n_expires_at', { n8n_expires_at: -5 }],
		['non-numeric n8n_expires_at', { n8n_expires_at: 'soon' }],
		['NaN expires_at', { expires_at: Number.NaN }],
		['Infinity expires_at', { expires_at: Number.POSITIVE_INFINITY }],
		['garbage expires_at string', { expires_at: 'next tuesday' }],
		['empty expires_at', { expires_at: '' }],
		['JWT with exp 0', { access_token: jwtWithExp(0) }],
		['expires_in 0', { expires_in: 0 }],
		['expires_in negative', { expires_in: -3600 }],
	])('ignores %s', (_name, tokenData) => {
		expect(resolveExpiry(tokenData, { obtainedAtMs: JAN_1_MS })).toEqual({ expiresAtMs: null, source: 'unknown' });
	});

	it('falls through an invalid n8n_expires_at to the next source', () => {
		expect(resolveExpiry({ n8n_expires_at: 'garbage', expires_at: JAN_1_S })).toEqual({
			expiresAtMs: JAN_1_MS,
			source: 'expires_at',
		});
	});
});

describe('isExpiring / timeLeftMs', () => {
	const expiry: ExpiryInfo = { expiresAtMs: 1_000_000, source: 'jwt_exp' };
	const unknown: ExpiryInfo = { expiresAtMs: null, source: 'unknown' };

	it.each<[string, number, number, number, boolean]>([
		['well before the margin', 600_000, 300_000, 0, false],
		['exactly at the margin', 700_000, 300_000, 0, true],
		['one ms before the margin', 699_999, 300_000, 0, false],
		['already expired', 1_200_000, 0, 0, true],
		['server clock 2 min ahead pulls the margin in', 600_000, 300_000, 120_000, true],
		['server clock 2 min behind pushes it out', 750_000, 300_000, -120_000, false],
		['no margin, one ms left', 999_999, 0, 0, false],
	])('%s', (_name, nowMs, marginMs, skewMs, expected) => {
		expect(isExpiring(expiry, nowMs, marginMs, skewMs)).toBe(expected);
	});

	it('unknown expiry is reported as unknown, not as fresh or expired', () => {
		expect(isExpiring(unknown, 0, 300_000)).toBe('unknown');
		expect(timeLeftMs(unknown, 0)).toBeNull();
	});

	it.each<[number, number, number]>([
		[400_000, 0, 600_000],
		[400_000, 100_000, 500_000],
		[1_500_000, 0, -500_000],
	])('timeLeftMs(now %d, skew %d) = %d', (nowMs, skewMs, expected) => {
		expect(timeLeftMs(expiry, nowMs, skewMs)).toBe(expected);
	});

	it('default margin is five minutes', () => {
		expect(DEFAULT_EXPIRY_MARGIN_SECONDS).toBe(300);
	});
});
