import { createHash } from 'crypto';

import {
	EMPTY_FINGERPRINT,
	fingerprint,
	isSecretKey,
	MAX_REDACT_DEPTH,
	redactDeep,
	redactText,
} from '../../nodes/shared/security/redact';
import { collectSecrets } from '../../nodes/shared/security/secretCollection';

/** Independent of the code under test: what the spec says a fingerprint is. */
const expectedFingerprint = (secret: string): string =>
	`sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;

const marker = (secret: string): string => `[redacted ${expectedFingerprint(secret)}]`;

const basic = (pair: string): string => Buffer.from(pair, 'utf8').toString('base64');

// A JWT-shaped value: base64url header {"alg":"HS256","typ":"JWT"}, a payload and a signature.
const JWT =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('fingerprint', () => {
	it.each([
		['abc', 'sha256:ba7816bf8f01'], // FIPS 180-2 test vector for SHA-256("abc")
		['', EMPTY_FINGERPRINT],
	])('fingerprint(%j) = %s', (secret, expected) => {
		expect(fingerprint(secret)).toBe(expected);
	});

	it.each(['ya29.a0AfH6SMB', '1//0gLongRefreshToken', 'ünïcødé-secret'])('matches sha256 of %j', (secret) => {
		expect(fingerprint(secret)).toBe(expectedFingerprint(secret));
	});

	it('distinguishes tokens that differ in one character', () => {
		expect(fingerprint('token-a-123456')).not.toBe(fingerprint('token-b-123456'));
	});
});

describe('isSecretKey', () => {
	it.each([
		['access_token', true],
		['accessToken', true],
		['refresh_token', true],
		['id_token', true],
		['client_secret', true],
		['clientSecret', true],
		['signingSecret', true],
		['password', true],
		['api_key', true],
		['apiKey', true],
		['X-Api-Key', true],
		['Authorization', true],
		['githubToken', true],
		['token', true],
		['tokenUrl', false],
		['accessTokenUrl', false],
		['tokenType', false],
		['token_type', false],
		['tokenExpiredStatusCode', false],
		['expires_in', false],
		['nextPageToken', false],
		['refreshTokenRotated', false],
		['clientId', false],
		['oauthTokenData', false],
	])('%s → %s', (key, expected) => {
		expect(isSecretKey(key)).toBe(expected);
	});
});

describe('redactText with known secrets', () => {
	const secret = 'rt-9f8e7d6c5b4a';

	it.each([
		['plain occurrence', `refresh token ${secret} was rejected`, `refresh token ${marker(secret)} was rejected`],
		['twice', `${secret}/${secret}`, `${marker(secret)}/${marker(secret)}`],
		['percent-encoded in a form body', 'x=1%2F%2Fabc', `x=${marker('1//abc')}`],
	])('replaces a %s', (_case, input, expected) => {
		expect(redactText(input, [secret, '1//abc'])).toBe(expected);
	});

	it('replaces the longer of two overlapping secrets whole', () => {
		const short = 'abcd1234';
		const long = 'abcd1234efgh5678';
		expect(redactText(`a ${long} b ${short}`, [short, long])).toBe(`a ${marker(long)} b ${marker(short)}`);
	});

	it('leaves secrets shorter than 4 characters alone (they would mangle ordinary text)', () => {
		expect(redactText('abc is a word', ['abc'])).toBe('abc is a word');
	});

	it('accepts any iterable of secrets', () => {
		expect(redactText(`x ${secret}`, new Set([secret]))).toBe(`x ${marker(secret)}`);
	});
});

describe('redactText patterns (secrets nobody told us about)', () => {
	it.each([
		[
			'Bearer header',
			'Authorization: Bearer ya29.a0AfH6SMBx-long',
			`Authorization: Bearer ${marker('ya29.a0AfH6SMBx-long')}`,
		],
		['lower-case bearer', 'bearer abcdef0123456789', `bearer ${marker('abcdef0123456789')}`],
		[
			'Basic header',
			`Authorization: Basic ${basic('client:s3cret')}`,
			`Authorization: Basic ${marker(basic('client:s3cret'))}`,
		],
		['JWT', `id_token was ${JWT} here`, `id_token was ${marker(JWT)} here`],
		['Bearer JWT', `Bearer ${JWT}`, `Bearer ${marker(JWT)}`],
		[
			'refresh_token in a form body',
			'grant_type=refresh_token&refresh_token=1%2F%2F0gAbc',
			`grant_type=refresh_token&refresh_token=${marker('1%2F%2F0gAbc')}`,
		],
		[
			'access_token in a URL',
			'https://api.x.com/v1?access_token=abc123&x=1',
			`https://api.x.com/v1?access_token=${marker('abc123')}&x=1`,
		],
		[
			'client_secret in a form body',
			'client_id=app&client_secret=s3cr3t',
			`client_id=app&client_secret=${marker('s3cr3t')}`,
		],
		[
			'authorization code in a callback URL',
			'https://n8n/callback?code=4/0AX4&state=xyz',
			`https://n8n/callback?code=${marker('4/0AX4')}&state=xyz`,
		],
		[
			'JSON token response',
			'{"access_token":"at-123","token_type":"Bearer","refresh_token":"rt-456","expires_in":3600}',
			`{"access_token":"${marker('at-123')}","token_type":"Bearer","refresh_token":"${marker('rt-456')}","expires_in":3600}`,
		],
		['JSON with spaces and camelCase', '{ "clientSecret" : "cs-1" }', `{ "clientSecret" : "${marker('cs-1')}" }`],
		['JSON value with an escaped quote', '{"password":"a\\"b"}', `{"password":"${marker('a\\"b')}"}`],
		['inspected object', "{ apiKey: 'k-123456' }", `{ apiKey: '${marker('k-123456')}' }`],
		['Authorization key in JSON', '{"Authorization":"Token abc"}', `{"Authorization":"${marker('Token abc')}"}`],
	])('redacts a %s', (_case, input, expected) => {
		expect(redactText(input)).toBe(expected);
	});

	it.each([
		['prose about bearer tokens', 'Send a Bearer token in the header'],
		['a WWW-Authenticate challenge', 'WWW-Authenticate: Bearer error="invalid_token"'],
		['prose about basic auth', 'Use Basic authentication here'],
		['an error code in prose', 'error code=400 from upstream'],
		['grant_type value', 'grant_type=refresh_token'],
		['dotted host names', 'https://www.example.com/a.b.c'],
		['token_type in JSON', '{"token_type":"Bearer","expires_in":3600}'],
		['empty text', ''],
	])('leaves %s alone', (_case, input) => {
		expect(redactText(input)).toBe(input);
	});

	it('is idempotent', () => {
		const text = `Bearer abc.def-12345 {"access_token":"x-1"} ?code=zz9 ${JWT}`;
		const once = redactText(text, ['x-1']);
		expect(redactText(once, ['x-1'])).toBe(once);
	});
});

describe('redactDeep', () => {
	it('redacts strings everywhere and replaces secret-named values whole', () => {
		const input = {
			message: 'failed with Bearer abcdef123456',
			response: { status: 400, body: { error: 'invalid_grant', refresh_token: 'rt-1', nested: ['rt-known-1'] } },
			headers: { Authorization: 'Bearer x', accept: 'application/json' },
			password: 12345,
			empty: { clientSecret: '' },
			at: new Date(0),
		};
		const output = redactDeep(input, ['rt-known-1']);
		expect(output).toEqual({
			message: `failed with Bearer ${marker('abcdef123456')}`,
			response: {
				status: 400,
				body: { error: 'invalid_grant', refresh_token: marker('rt-1'), nested: [marker('rt-known-1')] },
			},
			headers: { Authorization: marker('Bearer x'), accept: 'application/json' },
			password: '[redacted]',
			empty: { clientSecret: '' },
			at: new Date(0),
		});
	});

	it('does not mutate its input', () => {
		const input = { access_token: 'at-1', list: ['Bearer abcdef123456'] };
		const snapshot = JSON.parse(JSON.stringify(input));
		redactDeep(input, []);
		expect(input).toEqual(snapshot);
	});

	it('survives cycles and marks them', () => {
		const input: Record<string, unknown> = { name: 'a' };
		input.self = input;
		expect(redactDeep(input, [])).toEqual({ name: 'a', self: '[circular]' });
	});

	it('keeps shared (non-cyclic) references', () => {
		const shared = { token_type: 'Bearer' };
		expect(redactDeep({ a: shared, b: shared }, [])).toEqual({ a: shared, b: shared });
	});

	it('stops at the depth cap', () => {
		let deep: Record<string, unknown> = { leaf: 'x' };
		for (let level = 0; level < MAX_REDACT_DEPTH + 5; level++) deep = { child: deep };
		const serialized = JSON.stringify(redactDeep(deep, []));
		expect(serialized).toContain('[truncated]');
		expect(serialized).not.toContain('leaf');
	});

	it('turns errors into plain objects with redacted text', () => {
		const error = Object.assign(new Error('token rt-secret-9 rejected'), { code: 'EAUTH' });
		const output = redactDeep({ error }, ['rt-secret-9']) as unknown as { error: Record<string, unknown> };
		expect(output.error.name).toBe('Error');
		expect(output.error.message).toBe(`token ${marker('rt-secret-9')} rejected`);
		expect(output.error.code).toBe('EAUTH');
		expect(String(output.error.stack)).not.toContain('rt-secret-9');
	});

	it.each([
		['a string', 'Bearer abcdef123456', `Bearer ${marker('abcdef123456')}`],
		['a number', 42, 42],
		['null', null, null],
		['a boolean', true, true],
	])('handles %s at the top level', (_case, input, expected) => {
		expect(redactDeep(input, [])).toEqual(expected);
	});

	it('removes every planted canary from a realistic error payload', () => {
		const canaries = ['CANARY-access-0001', 'CANARY-refresh-0002', 'CANARY-secret-0003', 'CANARY-signing-0004'];
		const payload = {
			execution: {
				error: { message: `Request failed: refresh_token=${canaries[1]}`, description: `client ${canaries[2]}` },
			},
			request: { headers: { authorization: `Bearer ${canaries[0]}` }, body: `client_secret=${canaries[2]}` },
			logs: [`signed with ${canaries[3]}`, { oauthTokenData: { access_token: canaries[0] } }],
		};
		const serialized = JSON.stringify(redactDeep(payload, canaries));
		for (const canary of canaries) expect(serialized).not.toContain(canary);
	});
});

describe('collectSecrets', () => {
	it('finds every secret-named value, nested token data and custom header values', () => {
		const secrets = collectSecrets({
			tokenUrl: 'https://example.com/token',
			clientId: 'client-1',
			clientSecret: 'cs-1',
			refreshToken: ' rt-1\n',
			accessToken: 'at-1',
			signingSecret: 'whsec_abc',
			tokenExpiredStatusCode: 401,
			oauthTokenData: {
				access_token: 'at-2',
				refresh_token: 'rt-2',
				id_token: 'id-2',
				token_type: 'Bearer',
				expires_in: 3600,
			},
			headers: '{"X-Api-Key":"hk-1","X-Team":"ops"}',
			password: '',
			apiKey: 'ak-1',
		});
		expect(secrets.sort()).toEqual(
			[' rt-1\n', 'rt-1', 'cs-1', 'at-1', 'whsec_abc', 'at-2', 'rt-2', 'id-2', 'hk-1', 'ops', 'ak-1'].sort(),
		);
	});

	it.each([
		['invalid header JSON', { headers: '{not json' }],
		['no secrets at all', { tokenUrl: 'https://x', clientId: 'c', scope: 'openid' }],
		['non-string secret values', { accessToken: 123, clientSecret: null }],
	])('returns nothing for %s', (_case, data) => {
		expect(collectSecrets(data)).toEqual([]);
	});

	it('feeds redactText so a credential can never echo its own secrets', () => {
		const data = { clientSecret: 'cs-abcdef', oauthTokenData: { refresh_token: 'rt-abcdef' } };
		const text = redactText('sent cs-abcdef and rt-abcdef', collectSecrets(data));
		expect(text).not.toContain('cs-abcdef');
		expect(text).not.toContain('rt-abcdef');
	});
});
