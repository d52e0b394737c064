import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { credentialTypeInfo } from '../../nodes/shared/credentialCatalog';
import type { SelectedCredential } from '../../nodes/shared/refresh/tokenState';
import { refreshCredentialToken } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import { tokenFromCredentialData } from '../../nodes/shared/refresh/tokenState';
import { isTokenGuardError } from '../../nodes/shared/errors/errors';
import type { TokenGuardError } from '../../nodes/shared/errors/errors';
import { DEFAULT_RETRY_POLICY } from '../../nodes/shared/http/retry';
import type { RetryPolicy } from '../../nodes/shared/http/retry';

const CONNECT_TYPE = 'tokenGuardOAuth2Api';
const NAME = 'My CRM';
const STALE_ACCESS = 'at-STALE-CANARY-1';
const REFRESH = 'rt-CANARY-1';
const SECRET = 'cs-CANARY-1';

const selected: SelectedCredential = {
	type: CONNECT_TYPE,
	info: credentialTypeInfo(CONNECT_TYPE)!,
	id: 'c-1',
	name: NAME,
};

const connectData = (oauthTokenData: unknown): ICredentialDataDecryptedObject => ({
	grantType: 'authorizationCode',
	accessTokenUrl: 'http://127.0.0.1:9/token',
	clientId: 'client-1',
	clientSecret: SECRET,
	oauthTokenData: oauthTokenData as IDataObject,
});
const storedTokenData = { access_token: STALE_ACCESS, refresh_token: REFRESH, token_type: 'Bearer' };

/** Just enough of IExecuteFunctions for the Connect family's refresh: n8n's refreshOAuth2Token, mocked. */
function contextWith(refresh: () => Promise<unknown>) {
	const refreshOAuth2Token = jest.fn(refresh);
	const ctx = {
		getNode: () => ({ id: 'n', name: 'Force Refresh', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} }),
		helpers: { refreshOAuth2Token },
	} as unknown as IExecuteFunctions;
	return { ctx, refreshOAuth2Token };
}

const policy: RetryPolicy = {
	...DEFAULT_RETRY_POLICY,
	maxAttempts: 3,
	maxTotalWaitMs: 3_000,
	baseDelayMs: 0,
	maxDelayMs: 0,
	attemptTimeoutMs: 100,
};

async function refreshFailure(
	ctx: IExecuteFunctions,
	oauthTokenData: unknown = storedTokenData,
): Promise<TokenGuardError> {
	const previous = tokenFromCredentialData(selected, connectData(oauthTokenData));
	const error = await refreshCredentialToken(ctx, selected, previous, { policy }).then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (!isTokenGuardError(error)) throw new Error(`expected a TokenGuardError, got ${String(error)}`);
	return error;
}

const neverSettles = async (): Promise<unknown> => await new Promise<unknown>(() => undefined);

describe('Connect family refresh: a token endpoint that never answers', () => {
	it('gives up after the attempt timeout, once, as provider_unavailable, saying n8n may still finish', async () => {
		const { ctx, refreshOAuth2Token } = contextWith(neverSettles);
		const error = await refreshFailure(ctx);
		expect(refreshOAuth2Token).toHaveBeenCalledTimes(1);
		expect(error.classification.category).toBe('provider_unavailable');
		expect(error.message).toContain(`"${NAME}"`);
		expect(error.message).toContain('did not answer within 0.1 s');
		expect(error.message).toContain('background');
	});

	it('leaves no unhandled rejection when the abandoned refresh fails later', async () => {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown) => unhandled.push(reason);
		process.on('unhandledRejection', onUnhandled);
		try {
			const { ctx } = contextWith(
				async () =>
					await new Promise<unknown>((_resolve, reject) => setTimeout(() => reject(new Error('late failure')), 200)),
			);
			await refreshFailure(ctx);
			await new Promise((resolve) => setTimeout(resolve, 400));
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});
});

describe('Connect family refresh: a 200 answer that is not a new token', () => {
	// n8n returns the stored token data merged with the answer, and has already persisted it.
	it.each<[string, Record<string, unknown>, string, RegExp]>([
		[
			'no access_token in the answer',
			{ ...storedTokenData, expires_in: 3600 },
			'provider_unavailable',
			/no new access_token/,
		],
		['an empty access_token', { ...storedTokenData, access_token: '' }, 'provider_unavailable', /no new access_token/],
		[
			'an error body (bad_refresh_token)',
			{
				...storedTokenData,
				error: 'bad_refresh_token',
				error_description: `The refresh token ${REFRESH} is incorrect or expired.`,
			},
			'refresh_token_invalid',
			/error "bad_refresh_token"/,
		],
		[
			'an error body (invalid_grant)',
			{ ...storedTokenData, error: 'invalid_grant' },
			'refresh_token_invalid',
			/error "invalid_grant"/,
		],
	])('fails with %s instead of keeping the stale token', async (_case, returned, category, evidence) => {
		const { ctx, refreshOAuth2Token } = contextWith(async () => returned);
		const error = await refreshFailure(ctx);
		expect(refreshOAuth2Token).toHaveBeenCalledTimes(1);
		expect(error.classification.category).toBe(category);
		expect(error.classification.provider).toBe('unknown');
		expect(error.message).toMatch(evidence);
		expect(error.message).toContain(`"${NAME}"`);
		for (const secret of [REFRESH, SECRET, STALE_ACCESS]) expect(error.message).not.toContain(secret);
	});

	it.each<[string, Record<string, unknown>]>([
		['a new access token', { ...storedTokenData, access_token: 'at-new-1' }],
		// Another process refreshed first: n8n hands back that token, with an older failure's error key still merged in.
		[
			'a newer token stored by another process, next to a leftover error key',
			{ ...storedTokenData, access_token: 'at-other-process', error: 'bad_refresh_token' },
		],
	])('accepts %s', async (_case, returned) => {
		const { ctx } = contextWith(async () => returned);
		const previous = tokenFromCredentialData(selected, connectData(storedTokenData));
		const refreshed = await refreshCredentialToken(ctx, selected, previous, { policy });
		expect(refreshed.token.accessToken).toBe(returned.access_token);
	});
});

describe('Connect family refresh: token data n8n cannot refresh', () => {
	it.each<[string, unknown]>([
		['null', null],
		['a number', 5],
		['an array', []],
		['text that is not JSON', 'not json'],
	])('fails as not_connected naming the credential, without calling n8n (%s)', async (_case, oauthTokenData) => {
		const { ctx, refreshOAuth2Token } = contextWith(async () => storedTokenData);
		const error = await refreshFailure(ctx, oauthTokenData);
		expect(refreshOAuth2Token).not.toHaveBeenCalled();
		expect(error.classification.category).toBe('not_connected');
		expect(error.message).toContain(`Credential "${NAME}"`);
		expect(error.message).toMatch(/reconnect/);
	});
});
