import { assessHealth, CLOCK_SKEW_FINDING_MS, parseScopes } from '../../nodes/shared/diagnose/healthCheck';
import type { HealthInput, HealthReport } from '../../nodes/shared/diagnose/healthCheck';
import { CATEGORY_TRAITS } from '../../nodes/shared/classify/taxonomy';
import type { Category, Classification } from '../../nodes/shared/types';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MINUTE = 60_000;

const input = (overrides: Partial<HealthInput> = {}, token: Partial<HealthInput['token']> = {}): HealthInput => ({
	nowMs: NOW,
	provider: 'unknown',
	family: 'connect',
	marginMs: 5 * MINUTE,
	requiredScopes: [],
	clockSkewMs: null,
	...overrides,
	token: {
		connected: true,
		refreshTokenPresent: true,
		expiry: { expiresAtMs: NOW + 60 * MINUTE, source: 'n8n_expires_at' },
		claims: null,
		...token,
	},
});

const classification = (category: Category, reason = 'test reason'): Classification => ({
	...CATEGORY_TRAITS[category],
	category,
	provider: 'unknown',
	reason,
});
const codes = (report: HealthReport) => report.findings.map((finding) => finding.code);
const finding = (report: HealthReport, code: string) => report.findings.find((item) => item.code === code);

describe('assessHealth', () => {
	it('a connected credential with a refresh token and an hour left is healthy', () => {
		const report = assessHealth(input());
		expect(report.status).toBe('healthy');
		expect(report.primaryCategory).toBeUndefined();
		expect(codes(report)).toEqual(['refresh_token_present', 'token_valid']);
		expect(report.expiresInSeconds).toBe(3600);
		expect(report.expiresAt).toBe(new Date(NOW + 60 * MINUTE).toISOString());
		expect(report.expiring).toBe(false);
	});

	it.each([
		[
			'never connected',
			input({}, { connected: false, refreshTokenPresent: false }),
			'critical',
			'not_connected',
			'not_connected',
		],
		[
			'no refresh token, known expiry',
			input({}, { refreshTokenPresent: false }),
			'critical',
			'refresh_token_missing',
			'refresh_token_missing',
		],
		[
			'no refresh token, unknown expiry (maybe long-lived)',
			input({}, { refreshTokenPresent: false, expiry: { expiresAtMs: null, source: 'unknown' } }),
			'warning',
			'refresh_token_missing',
			'refresh_token_missing',
		],
		[
			'expired and nothing renews it',
			input({}, { refreshTokenPresent: false, expiry: { expiresAtMs: NOW - MINUTE, source: 'n8n_expires_at' } }),
			'critical',
			'token_expired',
			'refresh_token_missing',
		],
		[
			'required scope missing',
			input({ requiredScopes: ['api:write'] }, { scope: 'openid api:read' }),
			'critical',
			'scope_missing',
			'scope_insufficient',
		],
		[
			'required scopes not knowable',
			input({ requiredScopes: ['api:write'] }),
			'warning',
			'scopes_unknown',
			'scope_insufficient',
		],
		['clock 5 minutes off', input({ clockSkewMs: 5 * MINUTE }), 'warning', 'clock_skew', 'clock_skew'],
		[
			'refresh now failed with invalid_grant',
			input({ refresh: { ok: false, classification: classification('refresh_token_invalid') } }),
			'critical',
			'refresh_failed',
			'refresh_token_invalid',
		],
		[
			'refresh token reported inactive by introspection',
			input({ introspection: { kind: 'answered', tokenKind: 'refresh_token', active: false } }),
			'critical',
			'refresh_token_inactive',
			'refresh_token_invalid',
		],
		[
			'unexpired access token reported inactive (revoked)',
			input({ introspection: { kind: 'answered', tokenKind: 'access_token', active: false } }),
			'warning',
			'access_token_inactive',
			'access_token_rejected',
		],
		[
			'probe answered 403 insufficient_scope',
			input({
				probe: { kind: 'answered', status: 403, classification: classification('scope_insufficient'), durationMs: 5 },
			}),
			'critical',
			'probe_rejected',
			'scope_insufficient',
		],
		[
			'probe could not connect',
			input({ probe: { kind: 'failed', classification: classification('provider_unavailable') } }),
			'warning',
			'probe_failed',
			'provider_unavailable',
		],
		[
			'JWT issued in the future',
			input({}, { claims: { iat: NOW / 1000 + 600 } }),
			'warning',
			'jwt_not_yet_valid',
			'clock_skew',
		],
	] as const)('%s → %s (%s)', (_name, health, status, code, category) => {
		const report = assessHealth(health);
		expect(report.status).toBe(status);
		expect(report.primaryCategory).toBe(category);
		expect(finding(report, code)).toMatchObject({ severity: status, category });
		expect(finding(report, code)?.remediation.length).toBeGreaterThan(10);
	});

	it.each([
		['expiring inside the margin', NOW + 2 * MINUTE, 'token_expiring', true],
		['already expired', NOW - 2 * MINUTE, 'token_expired', true],
		['outside the margin', NOW + 6 * MINUTE, 'token_valid', false],
	])('routine expiry with a refresh token stays healthy: %s', (_name, expiresAtMs, code, expiring) => {
		const report = assessHealth(input({}, { expiry: { expiresAtMs, source: 'n8n_expires_at' } }));
		expect(report.status).toBe('healthy');
		expect(finding(report, code)?.severity).toBe('info');
		expect(report.expiring).toBe(expiring);
	});

	it('expiring without a refresh token is a warning on top of the missing refresh token', () => {
		const report = assessHealth(
			input({}, { refreshTokenPresent: false, expiry: { expiresAtMs: NOW + 2 * MINUTE, source: 'n8n_expires_at' } }),
		);
		expect(finding(report, 'token_expiring')?.severity).toBe('warning');
		expect(report.status).toBe('critical');
	});

	it('says honestly when the expiry is unknown', () => {
		const report = assessHealth(input({}, { expiry: { expiresAtMs: null, source: 'unknown' } }));
		expect(report).toMatchObject({ status: 'healthy', expiresAt: null, expiresInSeconds: null, expiring: 'unknown' });
		expect(codes(report)).toContain('expiry_unknown');
	});

	it('a successful refresh replaces the stored expiry', () => {
		const report = assessHealth(
			input(
				{ refresh: { ok: true, expiresAtMs: NOW + 3600_000, attempts: 1, durationMs: 12, refreshTokenRotated: true } },
				{ expiry: { expiresAtMs: NOW - MINUTE, source: 'n8n_expires_at' } },
			),
		);
		expect(report.status).toBe('healthy');
		expect(report.expiresInSeconds).toBe(3600);
		expect(finding(report, 'refresh_ok')?.message).toMatch(/rotated/);
	});

	it.each([
		['manual', true, true],
		['manual', false, false],
		['connect', true, false],
	] as const)(
		'a %s credential whose refresh rotated=%s: queue-mode rotation risk reported = %s, as info (status stays healthy)',
		(family, rotated, reported) => {
			const report = assessHealth(
				input({
					family,
					refresh: { ok: true, expiresAtMs: NOW + 3600_000, attempts: 1, durationMs: 12, refreshTokenRotated: rotated },
				}),
			);
			expect(report.status).toBe('healthy');
			const risk = finding(report, 'manual_rotation_shared');
			expect(risk !== undefined).toBe(reported);
			if (risk) expect(risk).toMatchObject({ severity: 'info', remediation: expect.stringMatching(/Connect-button/) });
		},
	);

	it('reads server-stamped expiries on the server clock and local ones on ours', () => {
		const skew = 10 * MINUTE;
		const jwt = assessHealth(
			input({ clockSkewMs: skew }, { expiry: { expiresAtMs: NOW + 60 * MINUTE, source: 'jwt_exp' } }),
		);
		const local = assessHealth(
			input({ clockSkewMs: skew }, { expiry: { expiresAtMs: NOW + 60 * MINUTE, source: 'n8n_expires_at' } }),
		);
		expect(jwt.expiresInSeconds).toBe(50 * 60);
		expect(local.expiresInSeconds).toBe(60 * 60);
	});

	it.each([
		[CLOCK_SKEW_FINDING_MS - 1, false],
		[CLOCK_SKEW_FINDING_MS, true],
		[-CLOCK_SKEW_FINDING_MS, true],
	])('clock skew of %d ms is a finding: %s', (skew, expected) => {
		expect(codes(assessHealth(input({ clockSkewMs: skew }))).includes('clock_skew')).toBe(expected);
	});

	it('an expired token refused by the probe is routine when a refresh token exists', () => {
		const report = assessHealth(
			input(
				{
					probe: {
						kind: 'answered',
						status: 401,
						classification: classification('access_token_rejected'),
						durationMs: 3,
					},
				},
				{ expiry: { expiresAtMs: NOW - MINUTE, source: 'n8n_expires_at' } },
			),
		);
		expect(report.status).toBe('healthy');
		expect(codes(report)).toContain('probe_token_expired');
	});

	it('granted scopes come from the token, then JWT claims, then introspection', () => {
		expect(assessHealth(input({}, { scope: 'a,b' })).grantedScopes).toEqual(['a', 'b']);
		expect(assessHealth(input({}, { claims: { scp: ['x', 'y'] } })).grantedScopes).toEqual(['x', 'y']);
		expect(
			assessHealth(
				input({ introspection: { kind: 'answered', tokenKind: 'refresh_token', active: true, scope: 'i j' } }),
			).grantedScopes,
		).toEqual(['i', 'j']);
		expect(assessHealth(input()).grantedScopes).toBeNull();
	});

	it('reports JWT claims as unverified', () => {
		const report = assessHealth(input({}, { claims: { exp: 2, iat: 1, aud: 'api', scp: 'a', sub: 'user' } }));
		expect(report.jwt).toEqual({
			exp: 2,
			iat: 1,
			nbf: undefined,
			aud: 'api',
			scp: 'a',
			iss: undefined,
			verified: false,
		});
	});

	it.each([
		['google', /Testing/],
		['microsoft', /90 days/],
		['atlassian', /365 days/],
		['xero', /60 days/],
		['box', /60 days/],
		['quickbooks', /100 days/],
		['salesforce', /expires_in/],
	] as const)('adds the %s advisory as information', (provider, text) => {
		const advisory = finding(assessHealth(input({ provider })), 'provider_advisory');
		expect(advisory?.severity).toBe('info');
		expect(advisory?.message).toMatch(text);
	});

	it('skipped probes are information, not problems', () => {
		const report = assessHealth(
			input({
				probe: { kind: 'skipped', reason: 'no access token' },
				introspection: { kind: 'skipped', reason: 'no token' },
			}),
		);
		expect(report.status).toBe('healthy');
		expect(codes(report)).toEqual(expect.arrayContaining(['probe_skipped', 'introspection_skipped']));
	});
});

describe('parseScopes', () => {
	it.each([
		['openid offline_access', ['openid', 'offline_access']],
		['a, b,,c  a', ['a', 'b', 'c']],
		[
			['x', 'y x'],
			['x', 'y'],
		],
		[undefined, []],
		[42, []],
	])('%j → %j', (value, expected) => {
		expect(parseScopes(value)).toEqual(expected);
	});
});
