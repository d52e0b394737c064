import { readHeader } from '../../nodes/shared/errors/facts';
import {
	buildRefreshRequest,
	parseTokenResponse,
	type RefreshGrantConfig,
	type TokenEndpointFailure,
	type TokenSet,
} from '../../nodes/shared/oauth/refreshGrant';
import type { HttpResponseLike } from '../../nodes/shared/types';

const OLD_RT = 'rt-old-CANARY-7f3a9c1e5b2d';
const NEW_RT = 'rt-new-CANARY-0c8e4f6a1d3b';
const NOW = 1_735_689_600_000;
const context = { previousRefreshToken: OLD_RT, nowMs: NOW };

const base: RefreshGrantConfig = {
	tokenUrl: 'https://idp.example/oauth/token',
	clientId: 'my client',
	clientSecret: 's3cr3t:+/=&',
	clientAuth: 'basic',
	refreshToken: OLD_RT,
};

const formOf = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('buildRefreshRequest', () => {
	it.each<[string, Partial<RefreshGrantConfig>, Record<string, string>, string | undefined]>([
		[
			'basic auth: credentials only in the header',
			{},
			{ grant_type: 'refresh_token', refresh_token: OLD_RT },
			// base64("my+client:s3cr3t%3A%2B%2F%3D%26"), each part form-urlencoded first (RFC 6749 §2.3.1)
			'Basic bXkrY2xpZW50OnMzY3IzdCUzQSUyQiUyRiUzRCUyNg==',
		],
		[
			'body auth: client_id and client_secret in the form',
			{ clientAuth: 'body' },
			{ grant_type: 'refresh_token', refresh_token: OLD_RT, client_id: 'my client', client_secret: 's3cr3t:+/=&' },
			undefined,
		],
		[
			'public client (no secret): client_id in the body only, even with basic',
			{ clientSecret: undefined },
			{ grant_type: 'refresh_token', refresh_token: OLD_RT, client_id: 'my client' },
			undefined,
		],
		[
			'blank secret counts as none',
			{ clientSecret: '   ', clientAuth: 'body' },
			{ grant_type: 'refresh_token', refresh_token: OLD_RT, client_id: 'my client' },
			undefined,
		],
		[
			'scope and audience are sent when set',
			{ scope: ' openid offline_access ', audience: 'https://api.example' },
			{
				grant_type: 'refresh_token',
				refresh_token: OLD_RT,
				scope: 'openid offline_access',
				audience: 'https://api.example',
			},
			'Basic bXkrY2xpZW50OnMzY3IzdCUzQSUyQiUyRiUzRCUyNg==',
		],
		[
			'empty scope is not sent',
			{ scope: '', audience: '  ' },
			{ grant_type: 'refresh_token', refresh_token: OLD_RT },
			'Basic bXkrY2xpZW50OnMzY3IzdCUzQSUyQiUyRiUzRCUyNg==',
		],
		[
			'extra params are added but never override the grant or the client credentials',
			{
				clientAuth: 'body',
				extraParams: {
					resource: 'https://graph',
					grant_type: 'client_credentials',
					refresh_token: 'stolen',
					client_id: 'other',
					Client_Secret: 'other',
					client_assertion: 'x',
				},
			},
			{
				resource: 'https://graph',
				grant_type: 'refresh_token',
				refresh_token: OLD_RT,
				client_id: 'my client',
				client_secret: 's3cr3t:+/=&',
			},
			undefined,
		],
		[
			'configured scope wins over an extra scope param',
			{ clientSecret: undefined, scope: 'a', extraParams: { scope: 'b c' } },
			{ scope: 'a', grant_type: 'refresh_token', refresh_token: OLD_RT, client_id: 'my client' },
			undefined,
		],
	])('%s', (_name, overrides, expectedForm, expectedAuthorization) => {
		const request = buildRefreshRequest({ ...base, ...overrides });
		expect(request.method).toBe('POST');
		expect(request.url).toBe('https://idp.example/oauth/token');
		expect(formOf(request.body)).toEqual(expectedForm);
		expect(request.headers.Authorization).toBe(expectedAuthorization);
		expect(request.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
		expect(request.headers.Accept).toBe('application/json');
	});

	it('never puts the secret in the body with basic auth', () => {
		expect(buildRefreshRequest(base).body).not.toContain('s3cr3t');
	});

	it('form-encodes the refresh token (Google tokens contain "/")', () => {
		const request = buildRefreshRequest({ ...base, refreshToken: '1//0g+ab=' });
		expect(request.body).toBe('grant_type=refresh_token&refresh_token=1%2F%2F0g%2Bab%3D');
	});
});

describe('readHeader', () => {
	it.each<[Record<string, string | string[] | number | undefined>, string, string | undefined]>([
		[{ 'content-type': 'application/json' }, 'Content-Type', 'application/json'],
		[{ 'Retry-After': ['5', '7'] }, 'retry-after', '5'],
		[{ 'content-length': 12 }, 'content-length', '12'],
		[{}, 'date', undefined],
	])('%j[%s] = %p', (headers, name, expected) => {
		expect(readHeader(headers, name)).toBe(expected);
	});
});

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const JWT_ACCESS = `${segment({ alg: 'RS256' })}.${segment({ exp: 1_735_700_000 })}.sig`;
const json = { 'content-type': 'application/json; charset=utf-8' };

describe('parseTokenResponse: success', () => {
	it.each<[string, HttpResponseLike, TokenSet]>([
		[
			'rotated refresh token replaces the old one',
			{
				status: 200,
				headers: json,
				body: { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600, refresh_token: NEW_RT, scope: 'openid' },
			},
			{
				accessToken: 'at-1',
				refreshToken: NEW_RT,
				refreshTokenRotated: true,
				tokenType: 'Bearer',
				expiresAtMs: NOW + 3_600_000,
				expiresInSeconds: 3600,
				scope: 'openid',
			},
		],
		[
			'no refresh token in the answer keeps the old one',
			{ status: 200, headers: json, body: { access_token: 'at-1', token_type: 'bearer', expires_in: 3599 } },
			{
				accessToken: 'at-1',
				refreshToken: OLD_RT,
				refreshTokenRotated: false,
				tokenType: 'Bearer',
				expiresAtMs: NOW + 3_599_000,
				expiresInSeconds: 3599,
			},
		],
		[
			'empty refresh token never drops the old one',
			{ status: 200, headers: json, body: { access_token: 'at-1', refresh_token: '', expires_in: 60 } },
			{
				accessToken: 'at-1',
				refreshToken: OLD_RT,
				refreshTokenRotated: false,
				tokenType: 'Bearer',
				expiresAtMs: NOW + 60_000,
				expiresInSeconds: 60,
			},
		],
		[
			'same refresh token returned is not a rotation',
			{ status: 200, headers: json, body: { access_token: 'at-1', refresh_token: OLD_RT } },
			{ accessToken: 'at-1', refreshToken: OLD_RT, refreshTokenRotated: false, tokenType: 'Bearer', expiresAtMs: null },
		],
		[
			'no expires_in and opaque token: expiry unknown (Salesforce)',
			{
				status: 200,
				headers: json,
				body: { access_token: '00Dxx!opaque', instance_url: 'https://x.my.salesforce.com', token_type: 'Bearer' },
			},
			{
				accessToken: '00Dxx!opaque',
				refreshToken: OLD_RT,
				refreshTokenRotated: false,
				tokenType: 'Bearer',
				expiresAtMs: null,
			},
		],
		[
			'no expires_in but a JWT access token: expiry from exp',
			{ status: 200, headers: json, body: { access_token: JWT_ACCESS, id_token: 'id-1' } },
			{
				accessToken: JWT_ACCESS,
				refreshToken: OLD_RT,
				refreshTokenRotated: false,
				tokenType: 'Bearer',
				expiresAtMs: 1_735_700_000_000,
				idToken: 'id-1',
			},
		],
		[
			'JSON text body (not pre-parsed), expires_in as a string',
			{
				status: 200,
				headers: json,
				body: JSON.stringify({ access_token: 'at-2', expires_in: '7200', token_type: 'MAC' }),
			},
			{
				accessToken: 'at-2',
				refreshToken: OLD_RT,
				refreshTokenRotated: false,
				tokenType: 'MAC',
				expiresAtMs: NOW + 7_200_000,
				expiresInSeconds: 7200,
			},
		],
		[
			'Buffer body',
			{ status: 200, headers: json, body: Buffer.from('{"access_token":"at-3","expires_in":0}') },
			{ accessToken: 'at-3', refreshToken: OLD_RT, refreshTokenRotated: false, tokenType: 'Bearer', expiresAtMs: null },
		],
		[
			'GitHub legacy form-encoded body',
			{
				status: 200,
				headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
				body: `access_token=ghu_abc&expires_in=28800&refresh_token=${NEW_RT}&refresh_token_expires_in=15811200&scope=&token_type=bearer`,
			},
			{
				accessToken: 'ghu_abc',
				refreshToken: NEW_RT,
				refreshTokenRotated: true,
				tokenType: 'Bearer',
				expiresAtMs: NOW + 28_800_000,
				expiresInSeconds: 28800,
			},
		],
		[
			'form body without a content type',
			{ status: 200, body: 'access_token=at-4&token_type=bearer' },
			{ accessToken: 'at-4', refreshToken: OLD_RT, refreshTokenRotated: false, tokenType: 'Bearer', expiresAtMs: null },
		],
		[
			'Slack ok:true with rotation',
			{
				status: 200,
				headers: json,
				body: {
					ok: true,
					access_token: 'xoxe.xoxb-1',
					refresh_token: NEW_RT,
					expires_in: 43200,
					token_type: 'bot',
					scope: ['chat:write', 'channels:read'],
				},
			},
			{
				accessToken: 'xoxe.xoxb-1',
				refreshToken: NEW_RT,
				refreshTokenRotated: true,
				tokenType: 'bot',
				expiresAtMs: NOW + 43_200_000,
				expiresInSeconds: 43200,
				scope: 'chat:write channels:read',
			},
		],
	])('%s', (_name, response, expected) => {
		expect(parseTokenResponse(response, context)).toEqual({ ok: true, value: expected });
	});
});

describe('parseTokenResponse: failures', () => {
	it.each<[string, HttpResponseLike, Partial<TokenEndpointFailure>]>([
		[
			'RFC 6749 invalid_grant',
			{
				status: 400,
				headers: json,
				body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
			},
			{
				kind: 'oauth_error',
				status: 400,
				oauthError: 'invalid_grant',
				errorDescription: 'Token has been expired or revoked.',
				contentType: 'application/json',
			},
		],
		[
			'invalid_client with 401',
			{ status: 401, headers: json, body: '{"error":"invalid_client"}' },
			{ kind: 'oauth_error', status: 401, oauthError: 'invalid_client' },
		],
		[
			'GitHub: error in a 200 body',
			{
				status: 200,
				headers: json,
				body: { error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' },
			},
			{ kind: 'oauth_error', status: 200, oauthError: 'bad_refresh_token' },
		],
		[
			'GitHub: form-encoded error in a 200 body',
			{
				status: 200,
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: 'error=bad_refresh_token&error_description=The+refresh+token+passed+is+incorrect+or+expired.',
			},
			{
				kind: 'oauth_error',
				status: 200,
				oauthError: 'bad_refresh_token',
				errorDescription: 'The refresh token passed is incorrect or expired.',
			},
		],
		[
			'Slack ok:false',
			{ status: 200, headers: json, body: { ok: false, error: 'invalid_refresh_token' } },
			{ kind: 'oauth_error', status: 200, oauthError: 'invalid_refresh_token' },
		],
		[
			'HubSpot BAD_REFRESH_TOKEN (non-RFC shape)',
			{
				status: 400,
				headers: json,
				body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token', correlationId: 'c-1' },
			},
			{
				kind: 'oauth_error',
				status: 400,
				oauthError: 'BAD_REFRESH_TOKEN',
				errorDescription: 'missing or invalid refresh token',
			},
		],
		[
			'Zoho throttle: error wins over status "failure"',
			{
				status: 400,
				headers: json,
				body: {
					error: 'Access Denied',
					error_description: 'You have made too many requests continuously.',
					status: 'failure',
				},
			},
			{ kind: 'oauth_error', status: 400, oauthError: 'Access Denied' },
		],
		[
			'nested error object',
			{
				status: 400,
				headers: json,
				body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed' } },
			},
			{
				kind: 'oauth_error',
				status: 400,
				oauthError: 'InvalidAuthenticationToken',
				errorDescription: 'Lifetime validation failed',
			},
		],
		[
			'HTML from a gateway',
			{
				status: 502,
				headers: { 'content-type': 'text/html' },
				body: '<html><head><title>502 Bad Gateway</title><style>p{}</style></head><body><h1>Bad Gateway</h1></body></html>',
			},
			{ kind: 'html_body', status: 502, contentType: 'text/html', bodySnippet: '502 Bad Gateway Bad Gateway' },
		],
		[
			'HTML login page with 200 and no content type',
			{ status: 200, body: '<!DOCTYPE html><html><body>Sign in</body></html>' },
			{ kind: 'html_body', status: 200, bodySnippet: 'Sign in' },
		],
		[
			'declared JSON that does not parse',
			{ status: 200, headers: json, body: '{"access_token": ' },
			{ kind: 'non_json_body', status: 200, contentType: 'application/json', bodySnippet: '{"access_token":' },
		],
		[
			'plain text',
			{ status: 503, headers: { 'content-type': 'text/plain' }, body: 'Service Unavailable' },
			{ kind: 'non_json_body', status: 503, contentType: 'text/plain', bodySnippet: 'Service Unavailable' },
		],
		['5xx with an empty body', { status: 503, body: '' }, { kind: 'http_error', status: 503 }],
		[
			'4xx JSON without an error code',
			{ status: 404, headers: json, body: { detail: 'not here' } },
			{ kind: 'http_error', status: 404, bodySnippet: '{"detail":"not here"}' },
		],
		[
			'2xx without access_token',
			{ status: 200, headers: json, body: { token_type: 'Bearer', expires_in: 3600 } },
			{ kind: 'missing_access_token', status: 200 },
		],
		[
			'Slack ok:false without an error code',
			{ status: 200, headers: json, body: { ok: false } },
			{ kind: 'missing_access_token', status: 200 },
		],
		['2xx JSON array', { status: 200, headers: json, body: '[]' }, { kind: 'missing_access_token', status: 200 }],
	])('%s', (_name, response, expected) => {
		const result = parseTokenResponse(response, context);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.error).toMatchObject(expected);
	});

	it('snippet is at most 200 characters', () => {
		const result = parseTokenResponse({ status: 500, body: 'x '.repeat(500) }, context);
		expect(!result.ok && result.error.bodySnippet?.length).toBe(200);
	});

	it.each<[string, HttpResponseLike]>([
		[
			'echoed refresh token in JSON',
			{
				status: 400,
				headers: json,
				body: {
					error: 'invalid_grant',
					error_description: `refresh token ${OLD_RT} is revoked`,
					refresh_token: OLD_RT,
				},
			},
		],
		[
			'Slack user-token shape (token nested, none at top level)',
			{
				status: 200,
				headers: json,
				body: { ok: true, authed_user: { access_token: 'xoxe.xoxp-CANARY-9d8e7f6a5b4c', refresh_token: NEW_RT } },
			},
		],
		[
			'form body with a refresh token',
			{ status: 500, headers: { 'content-type': 'text/plain' }, body: `refresh_token=${OLD_RT} failed` },
		],
		['JWT in HTML', { status: 502, headers: { 'content-type': 'text/html' }, body: `<p>${JWT_ACCESS}</p>` }],
	])('removes token values from the snippet and description: %s', (_name, response) => {
		const result = parseTokenResponse(response, context);
		expect(result.ok).toBe(false);
		const text = JSON.stringify(result);
		expect(text).not.toContain('CANARY');
		expect(text).not.toContain(JWT_ACCESS);
	});
});
