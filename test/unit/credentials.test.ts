import { existsSync, readFileSync } from 'fs';
import { isTokenExpiredStatusCode } from 'n8n-core/dist/execution-engine/node-execution-context/utils/request-helpers/oauth';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeParameters,
	INodeProperties,
	INodeTypes,
} from 'n8n-workflow';
import { NodeHelpers, Workflow } from 'n8n-workflow';
import { join } from 'path';

import { TokenGuardAtlassianOAuth2Api } from '../../credentials/TokenGuardAtlassianOAuth2Api.credentials';
import { TokenGuardDropboxOAuth2Api } from '../../credentials/TokenGuardDropboxOAuth2Api.credentials';
import { TokenGuardGoogleOAuth2Api } from '../../credentials/TokenGuardGoogleOAuth2Api.credentials';
import { TokenGuardMicrosoftOAuth2Api } from '../../credentials/TokenGuardMicrosoftOAuth2Api.credentials';
import { TokenGuardN8nApi } from '../../credentials/TokenGuardN8nApi.credentials';
import { TokenGuardOAuth2Api } from '../../credentials/TokenGuardOAuth2Api.credentials';
import { TokenGuardRefreshTokenApi } from '../../credentials/TokenGuardRefreshTokenApi.credentials';
import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';
import { TokenGuardXeroOAuth2Api } from '../../credentials/TokenGuardXeroOAuth2Api.credentials';
import { TokenGuardZohoOAuth2Api } from '../../credentials/TokenGuardZohoOAuth2Api.credentials';
import { isTokenGuardError } from '../../nodes/shared/errors/errors';
import { forgetRecentRefreshes } from '../../nodes/shared/refresh/manualGrant';
import {
	RETRY_POLICY_DATA_KEY,
	parseExtraParameters,
	readRefreshGrantConfig,
	retryPolicyFromData,
	retryPolicyToData,
	toPersistedTokenFields,
} from '../../nodes/shared/refresh/manualCredential';
import type { RetryPolicy } from '../../nodes/shared/http/retry';
import { DEFAULT_RETRY_POLICY } from '../../nodes/shared/http/retry';

const ROOT = join(__dirname, '..', '..');

const CREDENTIAL_CLASSES = [
	TokenGuardOAuth2Api,
	TokenGuardGoogleOAuth2Api,
	TokenGuardMicrosoftOAuth2Api,
	TokenGuardDropboxOAuth2Api,
	TokenGuardAtlassianOAuth2Api,
	TokenGuardXeroOAuth2Api,
	TokenGuardZohoOAuth2Api,
	TokenGuardRefreshTokenApi,
	TokenGuardWebhookApi,
	TokenGuardN8nApi,
] as const;

const instances: ICredentialType[] = CREDENTIAL_CLASSES.map((Class) => new Class());
const byName = (name: string): ICredentialType => {
	const found = instances.find((credential) => credential.name === name);
	if (!found) throw new Error(`no credential type ${name}`);
	return found;
};
const property = (type: ICredentialType, name: string): INodeProperties | undefined =>
	type.properties.find((candidate) => candidate.name === name);

/** The sensitive-name rule of @n8n/community-nodes `credential-password-field`, restated independently. */
const SENSITIVE_FRAGMENTS = ['password', 'secret', 'token', 'apikey', 'api_key', 'passphrase', 'privatekey', 'cert'];
const NON_SENSITIVE_FRAGMENTS = ['url', 'pub', 'id'];
/** Holds HTTP status codes; n8n reads it under exactly this name, so it cannot be renamed. */
const SENSITIVE_NAMED_BUT_NOT_SECRET = new Set(['tokenExpiredStatusCode']);
const looksSensitive = (name: string): boolean => {
	const lower = name.toLowerCase();
	return (
		!NON_SENSITIVE_FRAGMENTS.some((fragment) => lower.includes(fragment)) &&
		SENSITIVE_FRAGMENTS.some((fragment) => lower.includes(fragment))
	);
};

/** What n8n's CLI does to stored data before use: defaults via getNodeParameters, then expressions with $self. */
const mockNodeTypes = {
	getByName: () => ({ description: { properties: [] } }),
	getByNameAndVersion: () => ({ description: { properties: [] } }),
	getKnownTypes: () => ({}),
} as unknown as INodeTypes;
const mockNode: INode = { id: 'temp', name: 'Temp', type: 'mock', typeVersion: 1, position: [0, 0], parameters: {} };
function resolveAsN8nDoes(type: ICredentialType, stored: INodeParameters = {}): ICredentialDataDecryptedObject {
	const withDefaults = NodeHelpers.getNodeParameters(
		type.properties,
		stored,
		true,
		false,
		null,
		null,
	) as INodeParameters;
	const workflow = new Workflow({ nodes: [mockNode], connections: {}, active: false, nodeTypes: mockNodeTypes });
	return workflow.expression.getComplexParameterValue(
		mockNode,
		withDefaults,
		'internal',
		{},
		undefined,
		undefined,
		withDefaults,
	) as ICredentialDataDecryptedObject;
}

describe('every credential type', () => {
	it('instantiates all ten types with unique names ending in Api', () => {
		const names = instances.map((credential) => credential.name);
		expect(names).toHaveLength(10);
		expect(new Set(names).size).toBe(names.length);
		for (const name of names) expect(name).toMatch(/^tokenGuard[A-Za-z0-9]*Api$/);
	});

	it("the N8n (Token Guard) API key goes in n8n's X-N8N-API-KEY header; its test lists one credential", () => {
		const n8nApi = byName('tokenGuardN8nApi');
		expect(n8nApi.authenticate).toEqual({
			type: 'generic',
			properties: { headers: { 'X-N8N-API-KEY': '={{ $credentials.apiKey }}' } },
		});
		expect(n8nApi.test?.request).toMatchObject({ url: '/credentials', qs: { limit: 1 } });
		expect(property(n8nApi, 'apiKey')?.typeOptions?.password).toBe(true);
	});

	it.each(instances.map((credential) => [credential.name, credential]))(
		'%s: class name, display name and docs URL follow the conventions',
		(name, credential) => {
			expect(credential.constructor.name).toBe(name.charAt(0).toUpperCase() + name.slice(1));
			expect(credential.displayName).toMatch(/ API$/);
			expect(new URL(credential.documentationUrl as string).protocol).toBe('https:');
			if (name.includes('OAuth2')) expect(credential.displayName).toContain('OAuth2');
		},
	);

	it.each(instances.map((credential) => [credential.name, credential]))(
		'%s: every secret-named field is masked, and property names are unique',
		(_name, credential) => {
			const names = credential.properties.map((candidate) => candidate.name);
			expect(new Set(names).size).toBe(names.length);
			for (const field of credential.properties) {
				if (looksSensitive(field.name) && !SENSITIVE_NAMED_BUT_NOT_SECRET.has(field.name)) {
					expect({ field: field.name, password: field.typeOptions?.password }).toEqual({
						field: field.name,
						password: true,
					});
				}
			}
		},
	);

	it.each(instances.map((credential) => [credential.name, credential]))(
		'%s: has light and dark icons on disk',
		(_name, credential) => {
			const icon = credential.icon as { light: string; dark: string };
			const files = [icon.light, icon.dark].map((ref) => join(ROOT, 'credentials', ref.replace(/^file:/, '')));
			for (const file of files) expect(existsSync(file)).toBe(true);
			expect(readFileSync(files[0], 'utf8')).not.toBe(readFileSync(files[1], 'utf8'));
		},
	);
});

const OAUTH2_TYPES = instances.filter((credential) => credential.extends?.includes('oAuth2Api'));

describe('Connect-button OAuth2 types', () => {
	it('are the generic type and six provider presets, all extending oAuth2Api directly', () => {
		expect(OAUTH2_TYPES.map((credential) => credential.name).sort()).toEqual(
			[
				'tokenGuardOAuth2Api',
				'tokenGuardGoogleOAuth2Api',
				'tokenGuardMicrosoftOAuth2Api',
				'tokenGuardDropboxOAuth2Api',
				'tokenGuardAtlassianOAuth2Api',
				'tokenGuardXeroOAuth2Api',
				'tokenGuardZohoOAuth2Api',
			].sort(),
		);
		for (const credential of OAUTH2_TYPES) expect(credential.extends).toEqual(['oAuth2Api']);
	});

	it.each(OAUTH2_TYPES.map((credential) => [credential.name, credential]))(
		'%s declares its own tokenExpiredStatusCode (the oAuth2Api one is doNotInherit)',
		(_name, credential) => {
			const field = property(credential, 'tokenExpiredStatusCode');
			expect(field).toBeDefined();
			expect(field?.doNotInherit).toBeUndefined();
		},
	);

	it.each<[string, number, boolean]>([
		['tokenGuardOAuth2Api', 401, true],
		['tokenGuardOAuth2Api', 403, false],
		['tokenGuardGoogleOAuth2Api', 401, true],
		['tokenGuardGoogleOAuth2Api', 404, false],
		['tokenGuardAtlassianOAuth2Api', 401, true],
		['tokenGuardAtlassianOAuth2Api', 403, true],
		['tokenGuardAtlassianOAuth2Api', 404, true],
		['tokenGuardAtlassianOAuth2Api', 500, false],
	])('%s: n8n-core treats HTTP %d as token expired → %s', (name, status, expected) => {
		const resolved = resolveAsN8nDoes(byName(name));
		expect(isTokenExpiredStatusCode(status, resolved.tokenExpiredStatusCode as number | number[])).toBe(expected);
	});
});

const PRESETS = OAUTH2_TYPES.filter((credential) => credential.name !== 'tokenGuardOAuth2Api');

describe('provider presets', () => {
	it.each(PRESETS.map((credential) => [credential.name, credential]))(
		'%s pins grant type, endpoints, auth query and client authentication as hidden fields',
		(_name, credential) => {
			for (const name of ['grantType', 'authUrl', 'accessTokenUrl', 'authQueryParameters', 'authentication']) {
				expect({ name, type: property(credential, name)?.type }).toEqual({ name, type: 'hidden' });
			}
			const resolved = resolveAsN8nDoes(credential);
			expect(resolved.grantType).toBe('authorizationCode');
			expect(new URL(resolved.authUrl as string).protocol).toBe('https:');
			expect(new URL(resolved.accessTokenUrl as string).protocol).toBe('https:');
			expect(['header', 'body']).toContain(resolved.authentication);
		},
	);

	// The parameter or scope without which the provider issues no refresh token.
	it.each<[string, (resolved: ICredentialDataDecryptedObject) => void]>([
		['tokenGuardGoogleOAuth2Api', (r) => expect(r.authQueryParameters).toBe('access_type=offline&prompt=consent')],
		['tokenGuardDropboxOAuth2Api', (r) => expect(r.authQueryParameters).toBe('token_access_type=offline')],
		['tokenGuardZohoOAuth2Api', (r) => expect(r.authQueryParameters).toBe('access_type=offline&prompt=consent')],
		['tokenGuardMicrosoftOAuth2Api', (r) => expect(String(r.scope).split(' ')).toContain('offline_access')],
		[
			'tokenGuardAtlassianOAuth2Api',
			(r) => {
				expect(String(r.scope).split(' ')).toContain('offline_access');
				expect(r.authQueryParameters).toBe('audience=api.atlassian.com&prompt=consent');
			},
		],
		['tokenGuardXeroOAuth2Api', (r) => expect(String(r.scope).split(' ')).toContain('offline_access')],
	])('%s pins its offline-access requirement', (name, check) => {
		check(resolveAsN8nDoes(byName(name)));
	});

	it.each<[string, string, string]>([
		['user scopes', 'Mail.Read Files.Read', 'Mail.Read Files.Read offline_access'],
		['offline_access already there', 'offline_access Mail.Read', 'Mail.Read offline_access'],
		['comma-separated scopes', 'read:jira-work,read:jira-user', 'read:jira-work read:jira-user offline_access'],
		['no scopes', '', 'offline_access'],
	])("scope with offline_access, resolved by n8n's expression engine: %s", (_case, requestedScopes, expected) => {
		for (const name of ['tokenGuardMicrosoftOAuth2Api', 'tokenGuardAtlassianOAuth2Api', 'tokenGuardXeroOAuth2Api']) {
			expect(resolveAsN8nDoes(byName(name), { requestedScopes }).scope).toBe(expected);
		}
	});

	it('hides scope only where offline_access is enforced (Google, Dropbox, Zoho keep it editable)', () => {
		const hiddenScope = PRESETS.filter((credential) => property(credential, 'scope')?.type === 'hidden').map(
			(c) => c.name,
		);
		expect(hiddenScope.sort()).toEqual([
			'tokenGuardAtlassianOAuth2Api',
			'tokenGuardMicrosoftOAuth2Api',
			'tokenGuardXeroOAuth2Api',
		]);
	});

	it.each<[string, INodeParameters, string, string]>([
		[
			'tokenGuardMicrosoftOAuth2Api',
			{ tenantId: 'contoso.onmicrosoft.com' },
			'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
			'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
		],
		[
			'tokenGuardMicrosoftOAuth2Api',
			{},
			'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
			'https://login.microsoftonline.com/common/oauth2/v2.0/token',
		],
		[
			'tokenGuardZohoOAuth2Api',
			{},
			'https://accounts.zoho.com/oauth/v2/auth',
			'https://accounts.zoho.com/oauth/v2/token',
		],
		[
			'tokenGuardZohoOAuth2Api',
			{ accountsServer: 'accounts.zohocloud.ca' },
			'https://accounts.zohocloud.ca/oauth/v2/auth',
			'https://accounts.zohocloud.ca/oauth/v2/token',
		],
	])('%s builds its endpoints from %j', (name, stored, authUrl, accessTokenUrl) => {
		const resolved = resolveAsN8nDoes(byName(name), stored);
		expect(resolved.authUrl).toBe(authUrl);
		expect(resolved.accessTokenUrl).toBe(accessTokenUrl);
	});

	it('offers every Zoho data center the preset documents', () => {
		const options = (property(byName('tokenGuardZohoOAuth2Api'), 'accountsServer')?.options ?? []) as Array<{
			value: string;
		}>;
		expect(options.map((option) => option.value).sort()).toEqual(
			[
				'accounts.zoho.com',
				'accounts.zoho.eu',
				'accounts.zoho.in',
				'accounts.zoho.com.au',
				'accounts.zoho.jp',
				'accounts.zohocloud.ca',
				'accounts.zoho.sa',
				'accounts.zoho.com.cn',
				'accounts.zoho.uk',
			].sort(),
		);
	});
});

describe('tokenGuardRefreshTokenApi (manual)', () => {
	const manual = byName('tokenGuardRefreshTokenApi');

	it('has exactly one hidden expirable field, the masked accessToken', () => {
		const expirable = manual.properties.filter(
			(field) => field.type === 'hidden' && field.typeOptions?.expirable === true,
		);
		expect(expirable.map((field) => [field.name, field.typeOptions?.password])).toEqual([['accessToken', true]]);
		expect(property(manual, 'expiresAt')?.type).toBe('hidden');
	});

	it('signs requests with the stored access token', () => {
		expect(manual.authenticate).toEqual({
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } },
		});
	});

	it.each<[string, INodeParameters, string, boolean]>([
		[
			'a Test URL',
			{ testUrl: 'https://api.example.com/me', tokenUrl: 'https://id.example.com/token' },
			'https://api.example.com/me',
			false,
		],
		['no Test URL', { testUrl: '', tokenUrl: 'https://id.example.com/token' }, 'https://id.example.com/token', true],
	])(
		'credential test with %s: GETs the right URL and ignores HTTP errors only on the token URL',
		(_case, values, url, ignore) => {
			const request = manual.test?.request as Record<string, unknown>;
			const workflow = new Workflow({ nodes: [mockNode], connections: {}, active: false, nodeTypes: mockNodeTypes });
			const resolve = (value: unknown) =>
				workflow.expression.getSimpleParameterValue(mockNode, value as string, 'internal', { $credentials: values });
			expect(request.method).toBe('GET');
			expect(resolve(request.url)).toBe(url);
			expect(resolve(request.ignoreHttpStatusErrors)).toBe(ignore);
		},
	);
});

describe('readRefreshGrantConfig', () => {
	const valid = {
		tokenUrl: ' https://oauth2.example.com/token ',
		clientId: 'client-1\n',
		clientSecret: 'cs-SECRET-1',
		clientAuthentication: 'body',
		refreshToken: ' rt-SECRET-1 ',
		scope: '',
		audience: 'https://api.example.com',
		extraParameters: 'resource=https%3A%2F%2Fapi.example.com&tenant=acme',
		allowInsecureHttp: false,
		testUrl: '',
		accessToken: '',
		expiresAt: '',
	};

	it('reads a complete credential, trimming pasted whitespace', () => {
		expect(readRefreshGrantConfig(valid)).toEqual({
			ok: true,
			value: {
				tokenUrl: 'https://oauth2.example.com/token',
				clientId: 'client-1',
				clientSecret: 'cs-SECRET-1',
				clientAuth: 'body',
				refreshToken: 'rt-SECRET-1',
				audience: 'https://api.example.com',
				extraParams: { resource: 'https://api.example.com', tenant: 'acme' },
			},
		});
	});

	it.each<[string, Record<string, unknown>, 'basic' | 'body']>([
		['header', { clientAuthentication: 'header' }, 'basic'],
		['body', { clientAuthentication: 'body' }, 'body'],
		['unset (n8n default is header)', { clientAuthentication: undefined }, 'basic'],
	])('maps client authentication %s', (_case, overrides, expected) => {
		const result = readRefreshGrantConfig({ ...valid, ...overrides });
		expect(result.ok && result.value.clientAuth).toBe(expected);
	});

	it.each([
		['loopback 127.0.0.1', 'http://127.0.0.1:8080/token'],
		['localhost', 'http://localhost/token'],
		['IPv6 loopback', 'http://[::1]:9000/token'],
	])('accepts plain http on %s', (_case, tokenUrl) => {
		expect(readRefreshGrantConfig({ ...valid, tokenUrl }).ok).toBe(true);
	});

	it('accepts plain http elsewhere only with Allow Insecure HTTP', () => {
		expect(
			readRefreshGrantConfig({ ...valid, tokenUrl: 'http://idp.internal/token', allowInsecureHttp: true }).ok,
		).toBe(true);
	});

	it('leaves out an empty client secret (public client)', () => {
		const result = readRefreshGrantConfig({ ...valid, clientSecret: '  ' });
		expect(result.ok && 'clientSecret' in result.value).toBe(false);
	});

	it.each<[string, Record<string, unknown>, string, string]>([
		['an empty token URL', { tokenUrl: '' }, 'tokenUrl', 'Token URL is empty'],
		['a relative token URL', { tokenUrl: '/oauth/token' }, 'tokenUrl', 'not a valid absolute URL'],
		['a non-http token URL', { tokenUrl: 'ftp://example.com/token' }, 'tokenUrl', 'https://'],
		['plain http to a remote host', { tokenUrl: 'http://idp.example.com/token' }, 'tokenUrl', 'Allow Insecure HTTP'],
		['an empty client ID', { clientId: ' ' }, 'clientId', 'Client ID is empty'],
		[
			'an unknown client authentication',
			{ clientAuthentication: 'mtls' },
			'clientAuthentication',
			'Client Authentication',
		],
		['an empty refresh token', { refreshToken: '\n' }, 'refreshToken', 'Refresh Token is empty'],
		['a missing refresh token', { refreshToken: undefined }, 'refreshToken', 'Refresh Token is empty'],
		[
			'a grant parameter in Extra Parameters',
			{ extraParameters: 'grant_type=password' },
			'extraParameters',
			'"grant_type"',
		],
		[
			'a client secret in Extra Parameters',
			{ extraParameters: 'a=1&client_secret=x' },
			'extraParameters',
			'"client_secret"',
		],
		['scope in Extra Parameters', { extraParameters: 'scope=openid' }, 'extraParameters', '"Scope" field'],
		['a value without key', { extraParameters: 'a=1&=2' }, 'extraParameters', 'key=value'],
		['a key without value', { extraParameters: 'novalue' }, 'extraParameters', 'key=value'],
	])('refuses %s, naming the field', (_case, overrides, field, message) => {
		const result = readRefreshGrantConfig({ ...valid, ...overrides });
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.error.field).toBe(field);
			expect(result.error.message).toContain(message);
			for (const secret of ['cs-SECRET-1', 'rt-SECRET-1']) expect(result.error.message).not.toContain(secret);
			expect(manual().properties.map((candidate) => candidate.name)).toContain(field);
		}
	});

	function manual(): ICredentialType {
		return byName('tokenGuardRefreshTokenApi');
	}

	it.each<[string, string, Record<string, string>]>([
		['empty', '', {}],
		['a leading question mark', '?a=1', { a: '1' }],
		['plus as space and empty values', 'a=b+c&d=', { a: 'b c', d: '' }],
	])('parses extra parameters: %s', (_case, value, expected) => {
		expect(parseExtraParameters(value)).toEqual({ ok: true, value: expected });
	});
});

describe('toPersistedTokenFields', () => {
	it.each<[string, number | null, string]>([
		['a known expiry', Date.UTC(2026, 0, 2, 3, 4, 5, 600), '2026-01-02T03:04:05.600Z'],
		['no expiry', null, ''],
	])('returns access token, %s and the refresh token to keep', (_case, expiresAtMs, expiresAt) => {
		const fields = toPersistedTokenFields({
			accessToken: 'at-1',
			refreshToken: 'rt-kept',
			refreshTokenRotated: false,
			tokenType: 'Bearer',
			expiresAtMs,
		});
		expect(fields).toEqual({ accessToken: 'at-1', expiresAt, refreshToken: 'rt-kept' });
	});
});

describe('tokenGuardRefreshTokenApi.preAuthentication', () => {
	const manual = new TokenGuardRefreshTokenApi();
	// Every case reuses one refresh token; each must reach the (fake) token endpoint itself.
	beforeEach(() => forgetRecentRefreshes());
	const credentials = {
		tokenUrl: 'https://127.0.0.1/token',
		clientId: 'client-1',
		clientSecret: 'cs-CANARY-7',
		clientAuthentication: 'header',
		refreshToken: 'rt-CANARY-7',
		accessToken: '',
	};

	/** n8n's preAuthentication `this`: only helpers.httpRequest, here answering like a token endpoint. */
	function helperAnswering(answer: (options: IHttpRequestOptions) => unknown) {
		const calls: IHttpRequestOptions[] = [];
		const helper = {
			helpers: {
				httpRequest: async (options: IHttpRequestOptions) => {
					calls.push(options);
					return answer(options);
				},
			},
		} as unknown as IHttpRequestHelper;
		return { helper, calls };
	}

	const tokenResponse = (status: number, body: Record<string, unknown>) => ({
		statusCode: status,
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});

	it.each<[string, Record<string, unknown>, string]>([
		[
			'rotated',
			{ access_token: 'at-new', refresh_token: 'rt-rotated', expires_in: 3600, token_type: 'Bearer' },
			'rt-rotated',
		],
		['kept', { access_token: 'at-new', expires_in: 3600, token_type: 'Bearer' }, 'rt-CANARY-7'],
	])(
		'returns the new access token, its expiry and the %s refresh token for n8n to persist',
		async (_case, body, refreshToken) => {
			const { helper, calls } = helperAnswering(() => tokenResponse(200, body));
			const result = await manual.preAuthentication.call(helper, { ...credentials });
			expect(calls).toHaveLength(1);
			expect(result).toEqual({
				accessToken: 'at-new',
				expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
				refreshToken,
			});
		},
	);

	// No waiting between attempts, so only Max Attempts decides how many calls are made.
	const noWait = { baseDelayMs: 0, maxDelayMs: 0, maxTotalWaitMs: 5_000 };
	it.each<[string, Partial<RetryPolicy>, number]>([
		['Max Attempts 1', { ...noWait, maxAttempts: 1 }, 1],
		['Max Attempts 2', { ...noWait, maxAttempts: 2 }, 2],
		['Max Attempts 3', { ...noWait, maxAttempts: 3 }, 3],
	])("follows the node's retry policy handed over in the data (%s)", async (_case, policy, expectedCalls) => {
		const { helper, calls } = helperAnswering(() => tokenResponse(503, { error: 'temporarily_unavailable' }));
		const handed = { ...DEFAULT_RETRY_POLICY, ...policy };
		const error = await manual.preAuthentication
			.call(helper, { ...credentials, [RETRY_POLICY_DATA_KEY]: retryPolicyToData(handed) })
			.catch((caught: unknown) => caught);
		expect(isTokenGuardError(error)).toBe(true);
		expect(calls).toHaveLength(expectedCalls);
	});

	it.each<[string, Record<string, unknown>, number]>([
		[
			'the handed-over attempt timeout',
			{ [RETRY_POLICY_DATA_KEY]: retryPolicyToData({ ...DEFAULT_RETRY_POLICY, attemptTimeoutMs: 1_234 }) },
			1_234,
		],
		['the default attempt timeout without one', {}, DEFAULT_RETRY_POLICY.attemptTimeoutMs ?? -1],
	])('sends each attempt with %s, and returns only the token fields', async (_case, extra, timeout) => {
		const { helper, calls } = helperAnswering(() => tokenResponse(200, { access_token: 'at-new', expires_in: 60 }));
		const result = await manual.preAuthentication.call(helper, { ...credentials, ...extra });
		expect(calls.map((call) => call.timeout)).toEqual([timeout]);
		expect(Object.keys(result).sort()).toEqual(['accessToken', 'expiresAt', 'refreshToken']);
	});

	it('refuses an invalid credential before any request, naming the field', async () => {
		const { helper, calls } = helperAnswering(() => tokenResponse(200, {}));
		await expect(
			manual.preAuthentication.call(helper, { ...credentials, tokenUrl: 'http://idp.example.com/t' }),
		).rejects.toThrow('field "tokenUrl"');
		expect(calls).toHaveLength(0);
	});

	it('fails a revoked refresh token with a classified, secret-free error', async () => {
		const { helper } = helperAnswering(() =>
			tokenResponse(400, { error: 'invalid_grant', error_description: 'token rt-CANARY-7 revoked' }),
		);
		const error = await manual.preAuthentication.call(helper, { ...credentials }).catch((caught: unknown) => caught);
		expect(isTokenGuardError(error)).toBe(true);
		expect((error as Error).message).toContain('invalid_grant');
		for (const secret of ['rt-CANARY-7', 'cs-CANARY-7']) expect((error as Error).message).not.toContain(secret);
	});

	it('rebuilds any other error from its redacted message alone', async () => {
		const { helper } = helperAnswering(() => {
			throw Object.assign(new Error('blocked: body refresh_token=rt-CANARY-7&client_secret=cs-CANARY-7'), {
				config: { data: 'rt-CANARY-7' },
			});
		});
		const error = (await manual.preAuthentication
			.call(helper, { ...credentials })
			.catch((caught: unknown) => caught)) as Error;
		expect(error.message).toContain('Token refresh failed');
		expect(JSON.stringify({ ...error, text: error.message })).not.toMatch(/CANARY/);
	});
});

describe('retryPolicyFromData', () => {
	const handed = (policy: Record<string, unknown>) => ({ [RETRY_POLICY_DATA_KEY]: policy });
	it.each<[string, Record<string, unknown>, Partial<RetryPolicy>]>([
		['no policy handed over', {}, {}],
		['a policy that is not an object', { [RETRY_POLICY_DATA_KEY]: 'lots' }, {}],
		['an array', { [RETRY_POLICY_DATA_KEY]: [3] }, {}],
		[
			'the node caps',
			handed({ maxAttempts: 3, maxTotalWaitMs: 3_000, attemptTimeoutMs: 1_000 }),
			{ maxAttempts: 3, maxTotalWaitMs: 3_000, attemptTimeoutMs: 1_000 },
		],
		['fractional attempts', handed({ maxAttempts: 2.9 }), { maxAttempts: 2 }],
		['zero attempts', handed({ maxAttempts: 0 }), { maxAttempts: 1 }],
		['a million attempts', handed({ maxAttempts: 1e6 }), { maxAttempts: 10 }],
		['a negative wait', handed({ maxTotalWaitMs: -5 }), { maxTotalWaitMs: 0 }],
		['an hour of waiting', handed({ maxTotalWaitMs: 3_600_000 }), { maxTotalWaitMs: 300_000 }],
		['a zero attempt timeout', handed({ attemptTimeoutMs: 0 }), { attemptTimeoutMs: 100 }],
		[
			'non-numbers and non-finite numbers',
			handed({ maxAttempts: '3', maxTotalWaitMs: Number.NaN, attemptTimeoutMs: Infinity, baseDelayMs: null }),
			{},
		],
	])('%s', (_case, data, expected) => {
		expect(retryPolicyFromData(data)).toEqual({ ...DEFAULT_RETRY_POLICY, ...expected });
	});

	it('round-trips a policy through retryPolicyToData', () => {
		const policy: RetryPolicy = {
			maxAttempts: 3,
			maxTotalWaitMs: 3_000,
			attemptTimeoutMs: 1_500,
			baseDelayMs: 250,
			maxDelayMs: 2_000,
		};
		expect(retryPolicyFromData({ [RETRY_POLICY_DATA_KEY]: retryPolicyToData(policy) })).toEqual(policy);
	});
});
