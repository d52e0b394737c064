import {
	buildIntrospectionRequest,
	introspectionEndpointFromMetadata,
	metadataUrls,
	parseIntrospectionResponse,
} from '../../nodes/shared/oauth/introspection';
import { isSecureEndpoint } from '../../nodes/shared/security/urls';

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('buildIntrospectionRequest (RFC 7662 §2.1)', () => {
	it('sends the token with its type hint and authenticates the client with HTTP Basic', () => {
		const request = buildIntrospectionRequest('https://as.example/introspect', 'rt-1', 'refresh_token', {
			clientId: 'client:1',
			clientSecret: 's+cret',
			clientAuth: 'basic',
		});
		expect(request).toMatchObject({ method: 'POST', url: 'https://as.example/introspect' });
		expect(form(request.body)).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token' });
		// RFC 6749 §2.3.1: each part form-encoded before base64.
		expect(request.headers.Authorization).toBe(`Basic ${Buffer.from('client%3A1:s%2Bcret').toString('base64')}`);
	});

	it.each([
		['body', 'secret', { client_id: 'c', client_secret: 'secret' }],
		['basic', '', { client_id: 'c' }],
	] as const)('client auth %s with secret %j puts %j in the body', (clientAuth, clientSecret, expected) => {
		const request = buildIntrospectionRequest('https://as.example/i', 'at-1', 'access_token', {
			clientId: 'c',
			clientSecret,
			clientAuth,
		});
		expect(form(request.body)).toEqual({ token: 'at-1', token_type_hint: 'access_token', ...expected });
		expect(request.headers.Authorization).toBeUndefined();
	});
});

describe('parseIntrospectionResponse (RFC 7662 §2.2)', () => {
	it.each([
		[
			'active JSON object',
			{ status: 200, body: { active: true, scope: 'openid api:read' } },
			{ active: true, scope: 'openid api:read' },
		],
		['inactive, as JSON text', { status: 200, body: '{"active":false}' }, { active: false }],
	])('%s', (_name, response, expected) => {
		expect(parseIntrospectionResponse(response)).toEqual({ ok: true, value: expected });
	});

	it.each([
		['an error status', { status: 401, body: { error: 'invalid_client' } }],
		['no active field', { status: 200, body: { scope: 'x' } }],
		['active is not a boolean', { status: 200, body: { active: 'true' } }],
		['an HTML page', { status: 200, body: '<html>login</html>' }],
	])('%s is not an introspection answer', (_name, response) => {
		expect(parseIntrospectionResponse(response)).toEqual({ ok: false, error: 'not_an_introspection_answer' });
	});
});

describe('the credential-owned introspection endpoint', () => {
	it("is looked up on the token URL's origin only: RFC 8414 first, then OpenID discovery", () => {
		expect(metadataUrls('https://auth.example.com/realms/x/token?x=1')).toEqual([
			'https://auth.example.com/.well-known/oauth-authorization-server',
			'https://auth.example.com/.well-known/openid-configuration',
		]);
		expect(metadataUrls('not a url')).toEqual([]);
		expect(metadataUrls('ftp://auth.example.com/token')).toEqual([]);
	});

	it("a published endpoint on the token URL's origin is used", () => {
		const metadata = JSON.stringify({ introspection_endpoint: 'https://auth.example.com/oauth2/introspect' });
		expect(introspectionEndpointFromMetadata(metadata, 'https://auth.example.com/oauth2/token')).toEqual({
			ok: true,
			value: 'https://auth.example.com/oauth2/introspect',
		});
	});

	it.each([
		['another host', 'https://collector.example.net/introspect'],
		['another port', 'https://auth.example.com:8443/introspect'],
		['plain http on the same host', 'http://auth.example.com/introspect'],
	])('a published endpoint on %s is refused', (_label, endpoint) => {
		const result = introspectionEndpointFromMetadata(
			{ introspection_endpoint: endpoint },
			'https://auth.example.com/oauth2/token',
		);
		expect(result.ok).toBe(false);
	});

	it('metadata without an endpoint says so', () => {
		expect(
			introspectionEndpointFromMetadata({ issuer: 'https://auth.example.com' }, 'https://auth.example.com/token'),
		).toEqual({
			ok: false,
			error: 'the authorization server publishes no introspection endpoint',
		});
	});
});

describe('secure endpoints', () => {
	it.each([
		['https://auth.example.com/x', true],
		['http://127.0.0.1:8080/x', true],
		['http://127.20.0.3/x', true],
		['http://localhost/x', true],
		['http://[::1]:9/x', true],
		['http://auth.example.com/x', false],
		['http://127.0.0.1.nip.io/x', false],
		['http://128.0.0.1/x', false],
		['ftp://127.0.0.1/x', false],
		['nope', false],
	])('%s → %s', (url, secure) => {
		expect(isSecureEndpoint(url)).toBe(secure);
	});
});
