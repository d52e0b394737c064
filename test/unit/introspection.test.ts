import { buildIntrospectionRequest, parseIntrospectionResponse } from '../../nodes/shared/introspection';

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
		const request = buildIntrospectionRequest('https://as.example/i', 'at-1', 'access_token', { clientId: 'c', clientSecret, clientAuth });
		expect(form(request.body)).toEqual({ token: 'at-1', token_type_hint: 'access_token', ...expected });
		expect(request.headers.Authorization).toBeUndefined();
	});
});

describe('parseIntrospectionResponse (RFC 7662 §2.2)', () => {
	it.each([
		['active JSON object', { status: 200, body: { active: true, scope: 'openid api:read' } }, { active: true, scope: 'openid api:read' }],
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
