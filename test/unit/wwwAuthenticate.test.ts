import { bearerError, parseWwwAuthenticate, type Challenge } from '../../nodes/shared/oauth/wwwAuthenticate';

describe('parseWwwAuthenticate', () => {
	it.each<[string, string | string[] | undefined, Challenge[]]>([
		['undefined', undefined, []],
		['empty string', '', []],
		['scheme only', 'Basic', [{ scheme: 'basic', params: {} }]],
		[
			'RFC 6750 invalid_token',
			'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
			[
				{
					scheme: 'bearer',
					params: { realm: 'example', error: 'invalid_token', error_description: 'The access token expired' },
				},
			],
		],
		[
			'RFC 6750 insufficient_scope with scope list',
			'Bearer error="insufficient_scope", scope="files.read files.write"',
			[{ scheme: 'bearer', params: { error: 'insufficient_scope', scope: 'files.read files.write' } }],
		],
		[
			'case-insensitive scheme and parameter names',
			'BEARER ERROR="invalid_token", Error_Description="x"',
			[{ scheme: 'bearer', params: { error: 'invalid_token', error_description: 'x' } }],
		],
		[
			'quoted-string escapes',
			'Bearer error_description="say \\"hi\\" and \\\\ back"',
			[{ scheme: 'bearer', params: { error_description: 'say "hi" and \\ back' } }],
		],
		[
			'comma inside a quoted string',
			'Bearer realm="a, b", error="invalid_token"',
			[{ scheme: 'bearer', params: { realm: 'a, b', error: 'invalid_token' } }],
		],
		[
			'unquoted token values and bad whitespace around "="',
			'Bearer error = invalid_token , realm = api',
			[{ scheme: 'bearer', params: { error: 'invalid_token', realm: 'api' } }],
		],
		[
			'RFC 7235 §4.1 example: two challenges in one header',
			'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
			[
				{ scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
				{ scheme: 'basic', params: { realm: 'simple' } },
			],
		],
		[
			'token68',
			'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg==',
			[{ scheme: 'negotiate', params: {}, token68: 'YIIBhwYGKwYBBQUCoIIBezCCAXeg==' }],
		],
		[
			'token68 followed by another challenge',
			'Negotiate abc==, Bearer realm="x"',
			[
				{ scheme: 'negotiate', params: {}, token68: 'abc==' },
				{ scheme: 'bearer', params: { realm: 'x' } },
			],
		],
		[
			'several header lines',
			['Basic realm="a"', 'Bearer error="invalid_token"'],
			[
				{ scheme: 'basic', params: { realm: 'a' } },
				{ scheme: 'bearer', params: { error: 'invalid_token' } },
			],
		],
		[
			'first occurrence of a parameter wins',
			'Bearer error="invalid_token", error="insufficient_scope"',
			[{ scheme: 'bearer', params: { error: 'invalid_token' } }],
		],
		[
			'unterminated quoted string runs to the end',
			'Bearer error="invalid_token',
			[{ scheme: 'bearer', params: { error: 'invalid_token' } }],
		],
		['empty quoted value', 'Bearer realm=""', [{ scheme: 'bearer', params: { realm: '' } }]],
		[
			'garbage before a valid challenge',
			'=== , Bearer error="invalid_token"',
			[{ scheme: 'bearer', params: { error: 'invalid_token' } }],
		],
		[
			'Microsoft Graph style',
			'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
			[
				{
					scheme: 'bearer',
					params: {
						realm: '',
						authorization_uri: 'https://login.microsoftonline.com/common/oauth2/authorize',
						client_id: '00000003-0000-0000-c000-000000000000',
					},
				},
			],
		],
		[
			'DPoP nonce challenge (RFC 9449)',
			'DPoP error="use_dpop_nonce", error_description="Authorization server requires nonce in DPoP proof", algs="ES256 PS256"',
			[
				{
					scheme: 'dpop',
					params: {
						error: 'use_dpop_nonce',
						error_description: 'Authorization server requires nonce in DPoP proof',
						algs: 'ES256 PS256',
					},
				},
			],
		],
	])('%s', (_name, header, expected) => {
		expect(parseWwwAuthenticate(header)).toEqual(expected);
	});

	it('stops at a bounded length on huge headers', () => {
		const huge = `Bearer realm="${'a'.repeat(20_000)}", error="invalid_token"`;
		const [challenge] = parseWwwAuthenticate(huge);
		expect(challenge.scheme).toBe('bearer');
		expect(challenge.params.error).toBeUndefined();
	});
});

describe('bearerError', () => {
	it.each<[string, string | string[] | undefined, ReturnType<typeof bearerError>]>([
		['nothing', undefined, {}],
		['Basic only', 'Basic realm="x"', {}],
		['Bearer without error', 'Bearer realm="x"', {}],
		[
			'invalid_token with description',
			'Bearer realm="x", error="invalid_token", error_description="expired"',
			{ error: 'invalid_token', errorDescription: 'expired' },
		],
		[
			'insufficient_scope with scope',
			'Bearer error="insufficient_scope", scope="openid email"',
			{ error: 'insufficient_scope', scope: 'openid email' },
		],
		['Bearer after Basic', 'Basic realm="a", Bearer error="invalid_token"', { error: 'invalid_token' }],
		[
			'the challenge with an error wins',
			['Bearer realm="a"', 'Bearer error="invalid_token"'],
			{ error: 'invalid_token' },
		],
		['DPoP', 'DPoP error="invalid_token", algs="ES256"', { error: 'invalid_token' }],
	])('%s', (_name, header, expected) => {
		expect(bearerError(header)).toEqual(expected);
	});
});
