import type { INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { asTimeout } from '../../nodes/shared/http/signedSend.adapter';
import { credentialTypeInfo } from '../../nodes/shared/credentialCatalog';
import { TokenGuardError } from '../../nodes/shared/errors/errors';
import {
	classifyError,
	evidenceFromError,
	failureFor,
	findTokenGuardError,
} from '../../nodes/shared/errors/classification';
import { classificationFor } from '../../nodes/shared/classify/taxonomy';
import { toNodeError } from '../../nodes/shared/errors/nodeErrors.adapter';
import { ALL_CATEGORIES } from '../../nodes/shared/classify/taxonomy';
import type { Category } from '../../nodes/shared/types';

const node: INode = {
	id: 'n1',
	name: 'Force Refresh',
	type: 'n8n-nodes-token-guard.forceRefresh',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

const connect = {
	type: 'tokenGuardOAuth2Api',
	info: credentialTypeInfo('tokenGuardOAuth2Api'),
	id: 'c1',
	name: 'Demo CRM',
};
const gmail = { type: 'gmailOAuth2', info: credentialTypeInfo('gmailOAuth2'), id: 'c2', name: 'Gmail account' };

const engineError = (category: Category, httpCode?: number, message = 'Token endpoint said no') =>
	new TokenGuardError(classificationFor(category, 'unknown', 'Because the test says so.', httpCode), message, {
		attempts: 1,
		waitedMs: 0,
	});

/** n8n's own error after a refresh answered invalid_grant (n8n-core oauth.ts buildOAuth2ReconnectError). */
const n8nReconnectError = () =>
	new NodeOperationError(node, 'The credential "Gmail account" needs to be reconnected.', {
		description: 'Access could not be refreshed because the connected account has revoked access.',
		failure: { cause: 'credential-invalid' },
	});

/** @n8n/client-oauth2 AuthError: message from its RFC table, the token endpoint's body kept. */
const authError = (error: string) =>
	Object.assign(new Error(`OAuth error ${error}`), { code: 'EAUTH', body: { error } });

const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });

describe('classifyError and the cause chain', () => {
	it('finds the engine error inside an n8n wrapper (a failed preAuthentication)', () => {
		const inner = engineError('refresh_token_invalid', 400);
		const wrapped = new NodeApiError(node, inner as never);
		expect(findTokenGuardError(wrapped)).toBe(inner);
		expect(classifyError(wrapped).category).toBe('refresh_token_invalid');
	});

	it.each<[string, () => unknown, Category]>([
		['n8n reconnect error', n8nReconnectError, 'refresh_token_invalid'],
		['AuthError invalid_grant', () => authError('invalid_grant'), 'refresh_token_invalid'],
		['AuthError invalid_client', () => authError('invalid_client'), 'client_misconfigured'],
		['connection refused', () => networkError('ECONNREFUSED'), 'provider_unavailable'],
		['n8n "OAuth credentials not connected"', () => new Error('OAuth credentials not connected'), 'not_connected'],
		['an unrelated failure', () => new Error('Cannot read properties of undefined'), 'not_auth_related'],
	])('%s → %s', (_case, makeError, category) => {
		expect(classifyError(makeError()).category).toBe(category);
	});

	it('gathers status, OAuth code, failure cause and network code from every link', () => {
		const axiosLike = Object.assign(new Error('Request failed with status code 429'), {
			code: 'ERR_BAD_REQUEST',
			response: { status: 429, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
		});
		const outer = Object.assign(new Error('outer'), { cause: axiosLike, failure: { cause: 'rate-limited' } });
		const evidence = evidenceFromError(outer);
		expect(evidence).toMatchObject({
			status: 429,
			failureCause: 'rate-limited',
			wwwAuthenticate: 'Bearer error="invalid_token"',
			messages: ['outer', 'Request failed with status code 429'],
		});
		expect(evidenceFromError(authError('invalid_grant'))).toMatchObject({ oauthError: 'invalid_grant' });
		expect(evidenceFromError(authError('invalid_grant')).networkCode).toBeUndefined();
		expect(evidenceFromError(networkError('ECONNRESET')).networkCode).toBe('ECONNRESET');
	});
});

describe('a response body that stalls past the Timeout (axios: "stream has been aborted")', () => {
	const stalledBody = () =>
		Object.assign(new Error('stream has been aborted'), { code: 'ERR_BAD_RESPONSE', response: { status: 200 } });

	it.each<[string, number | undefined, number, () => unknown, Category]>([
		['stalled after the 1000 ms Timeout', 1000, 1200, stalledBody, 'provider_unavailable'],
		['stalled exactly at the Timeout', 1000, 1000, stalledBody, 'provider_unavailable'],
		['aborted before the Timeout (not a timeout)', 1000, 400, stalledBody, 'not_auth_related'],
		['no Timeout set', undefined, 60_000, stalledBody, 'not_auth_related'],
	])('%s → %s', (_case, timeoutMs, elapsedMs, makeError, category) => {
		const error = asTimeout({ timeoutMs }, makeError(), elapsedMs);
		expect(classifyError(error).category).toBe(category);
		expect(evidenceFromError(error).networkCode === 'ETIMEDOUT').toBe(category === 'provider_unavailable');
	});

	it('keeps a real connection code as it is (a refused connection stays refused)', () => {
		const refused = networkError('ECONNREFUSED');
		expect(asTimeout({ timeoutMs: 1000 }, refused, 5000)).toBe(refused);
	});

	it('says it was the Timeout and keeps the original error as the cause', () => {
		const original = stalledBody();
		const error = asTimeout({ timeoutMs: 1500 }, original, 1600) as Error & { cause?: unknown };
		expect(error.message).toMatch(/1500 ms Timeout/);
		expect(error.cause).toBe(original);
	});
});

describe('toNodeError', () => {
	it('an HTTP failure becomes a NodeApiError naming the credential, with category, action and steps', () => {
		const error = toNodeError(node, engineError('refresh_token_invalid', 400), { credential: connect, itemIndex: 3 });
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toContain('"Demo CRM"');
		expect(error.description).toContain('Category: refresh_token_invalid · Action: reconnect');
		expect(error.description).toContain('Details: Token endpoint said no');
		expect(error.description).toMatch(/What to do:\n1\. /);
		expect((error as NodeApiError).httpCode).toBe('400');
		expect(error.context.itemIndex).toBe(3);
		expect(error.failure).toEqual({ cause: 'credential-invalid' });
		expect(error.context.tokenGuard).toMatchObject({
			category: 'refresh_token_invalid',
			action: 'reconnect',
			credential: { type: 'tokenGuardOAuth2Api', id: 'c1', name: 'Demo CRM' },
		});
	});

	it("n8n's reconnect error comes out as refresh_token_invalid naming the credential", () => {
		const error = toNodeError(node, n8nReconnectError(), { credential: gmail });
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('"Gmail account"');
		expect(error.context.tokenGuard).toMatchObject({ category: 'refresh_token_invalid', provider: 'google' });
		// The credential type names the provider, so Google's own rules lead the steps.
		expect(error.description).toMatch(/1\. If the Google Cloud OAuth consent screen is in "Testing"/);
	});

	it('a failure unrelated to authentication keeps its own message and description', () => {
		const original = new NodeOperationError(node, 'URL: is empty', { description: 'Enter the API address.' });
		const error = toNodeError(node, original, { credential: connect });
		expect(error.message).toBe('URL: is empty');
		expect(error.context.tokenGuard).toMatchObject({ category: 'not_auth_related' });
		expect(error.description).toContain('Enter the API address.');
	});

	it.each([
		[
			'Credential Type',
			'Pick one of the listed credential types in the "Credential Type" parameter.',
			'Pick one of the listed credential types',
		],
		['a description quoting a secret', 'Remove rt-CANARY-0a1b2c3d4e from the field.', 'from the field.'],
	])("keeps the failure's own guidance outside authentication (%s), redacted", (_case, guidance, kept) => {
		const original = new NodeOperationError(node, 'Credential Type "nope" is not one this node supports', {
			description: guidance,
		});
		const error = toNodeError(node, original, { credential: connect, secrets: ['rt-CANARY-0a1b2c3d4e'] });
		expect(error.description).toContain(kept);
		expect(error.description).not.toContain('rt-CANARY-0a1b2c3d4e');
	});

	it('never carries a known secret or a bearer token in message or description', () => {
		const secret = 'rt-CANARY-5f3c9a1d7e';
		const bearer = 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
		const leaky = Object.assign(new Error(`invalid_grant for refresh_token=${secret} sent with ${bearer}`), {
			body: { error: 'invalid_grant' },
		});
		const error = toNodeError(node, leaky, { credential: connect, secrets: [secret] });
		const shown = `${error.message}\n${error.description ?? ''}\n${JSON.stringify(error.context)}`;
		expect(shown).not.toContain(secret);
		expect(shown).not.toContain('eyJzdWIiOiIxIn0');
		expect(shown).toContain('[redacted sha256:');
	});

	it('keeps nothing of the original error object (request config, headers)', () => {
		const axiosLike = Object.assign(new Error('Request failed with status code 401'), {
			config: { headers: { Authorization: 'Bearer at-CANARY-0123456789abcdef' } },
			response: { status: 401 },
		});
		const error = toNodeError(node, axiosLike, { credential: connect });
		expect(error.cause).toBeUndefined();
		expect(JSON.stringify({ ...error, message: error.message })).not.toContain('at-CANARY');
	});

	it.each(ALL_CATEGORIES.filter((category) => category !== 'not_auth_related'))(
		"%s: n8n's descriptive-message mapping leaves the headline naming the credential",
		(category) => {
			const error = toNodeError(node, engineError(category, 400), { credential: connect });
			expect(error.message).toMatch(/^The (?:\w+ )?credential "Demo CRM" /);
			expect(error.description).toContain(`Category: ${category} · `);
		},
	);
});

describe('failureFor', () => {
	it.each<[Category, string | undefined]>([
		['refresh_token_invalid', 'credential-invalid'],
		['refresh_token_missing', 'credential-invalid'],
		['not_connected', 'credential-invalid'],
		['consent_required', 'credential-invalid'],
		['client_misconfigured', 'configuration-invalid'],
		['scope_insufficient', 'configuration-invalid'],
		['rate_limited', 'rate-limited'],
		['provider_unavailable', 'temporarily-unavailable'],
		['access_token_rejected', undefined],
		['clock_skew', undefined],
		['not_auth_related', undefined],
	])('%s → %s', (category, cause) => {
		expect(failureFor(classificationFor(category, 'unknown', 'r'))?.cause).toBe(cause);
	});

	it('carries a Retry-After for rate limiting', () => {
		expect(failureFor(classificationFor('rate_limited', 'unknown', 'r'), 2000)).toEqual({
			cause: 'rate-limited',
			retryAfterMs: 2000,
		});
	});
});
