import { decodeJwtClaims } from '../../nodes/shared/oauth/jwt';

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (payload: unknown, header: unknown = { alg: 'RS256', typ: 'JWT' }): string =>
	`${segment(header)}.${segment(payload)}.c2lnbmF0dXJl`;

describe('decodeJwtClaims', () => {
	it.each([
		[
			'standard claims',
			jwt({ exp: 1700000000, iat: 1699996400, sub: 'user-1', iss: 'https://issuer' }),
			{ exp: 1700000000, iat: 1699996400, sub: 'user-1', iss: 'https://issuer' },
		],
		[
			'audience list and scp list (Microsoft style)',
			jwt({ aud: ['api://a', 'api://b'], scp: ['Mail.Read'] }),
			{ aud: ['api://a', 'api://b'], scp: ['Mail.Read'] },
		],
		['custom claims are kept', jwt({ exp: 1, tenant: { id: 7 } }), { exp: 1, tenant: { id: 7 } }],
		['numeric-string exp is read as a number', jwt({ exp: '1700000000' }), { exp: 1700000000 }],
		['exp of the wrong type is dropped', jwt({ exp: 'soon', sub: 'x' }), { sub: 'x' }],
		['sub of the wrong type is dropped', jwt({ sub: 42, scope: 'a b' }), { scope: 'a b' }],
		['aud list with a non-string entry is dropped', jwt({ aud: ['a', 1], iss: 'i' }), { iss: 'i' }],
		['unsigned token (alg none, empty signature)', `${segment({ alg: 'none' })}.${segment({ exp: 5 })}.`, { exp: 5 }],
		[
			'base64 padding left in',
			`${Buffer.from('{"alg":"HS256"}').toString('base64')}.${Buffer.from('{"exp":12}').toString('base64')}.sig`,
			{ exp: 12 },
		],
		['surrounding whitespace', `  ${jwt({ exp: 3 })}\n`, { exp: 3 }],
	])('%s', (_name, token, expected) => {
		expect(decodeJwtClaims(token)).toEqual(expected);
	});

	it.each([
		['Google opaque access token', 'ya29.a0AfB_byC1234567890abcdefghijklmnop'],
		['opaque token with two dots', 'abc.def.ghi'],
		['empty string', ''],
		['payload is not JSON', `${segment({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}.sig`],
		['payload is a JSON array', `${segment({ alg: 'HS256' })}.${segment([1, 2])}.sig`],
		['header is not JSON', `${Buffer.from('xx').toString('base64url')}.${segment({ exp: 1 })}.sig`],
		['JWE (five segments)', `${segment({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`],
		['two segments', `${segment({ alg: 'HS256' })}.${segment({ exp: 1 })}`],
		['illegal characters in payload', `${segment({ alg: 'HS256' })}.e30!*.sig`],
		['not a string', 12345 as unknown as string],
	])('%s → null, no throw', (_name, token) => {
		expect(decodeJwtClaims(token)).toBeNull();
	});
});
