/**
 * Proves the real-execution harness: n8n-core's WorkflowExecute + our CLI-faithful credentials
 * helper against a tiny loopback authorization server and API.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';

import { HarnessCredentialsHelper, runNode, toErrorTriggerItem } from '../harness';
import type { RunNodeOptions } from '../harness';
import { HARNESS_CREDENTIAL_TYPES, HttpProbeNode, fingerprint } from '../harness/testNodes';

// ---- a tiny rotating-token authorization server + protected API on 127.0.0.1 ----

interface TokenCall {
	path: string;
	refreshToken: string | undefined;
	clientIdInBody: string | undefined;
	basicAuth: boolean;
}

class MiniAuthServer {
	readonly tokenCalls: TokenCall[] = [];

	readonly apiAuthorizations: Array<string | undefined> = [];

	/** Every token this server has issued: none may ever appear in a log line. */
	readonly issued: string[] = [];

	url = '';

	private readonly validAccessTokens = new Set<string>();

	private readonly validRefreshTokens = new Set<string>();

	private counter = 0;

	private latestRefresh = '';

	private server: Server | undefined;

	async start(): Promise<void> {
		this.server = createServer((request, response) => {
			void this.handle(request, response);
		});
		await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server?.close(() => resolve()));
	}

	/** A refresh token the server will accept once (it rotates on use). */
	seedRefreshToken(): string {
		const token = this.mint('rt');
		this.validRefreshTokens.add(token);
		this.latestRefresh = token;
		return token;
	}

	get latestRefreshToken(): string {
		return this.latestRefresh;
	}

	expireAccessTokens(): void {
		this.validAccessTokens.clear();
	}

	revokeRefreshTokens(): void {
		this.validRefreshTokens.clear();
	}

	private mint(kind: string): string {
		const token = `${kind}-CANARY-${++this.counter}-${Math.random().toString(36).slice(2)}`;
		this.issued.push(token);
		return token;
	}

	private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const send = (status: number, body: IDataObject, headers: Record<string, string> = {}) => {
			response.writeHead(status, { 'content-type': 'application/json', ...headers });
			response.end(JSON.stringify(body));
		};

		if (request.method === 'POST' && (request.url === '/oauth/token' || request.url === '/session')) {
			const body: Record<string, string | undefined> =
				request.url === '/session'
					? (JSON.parse(raw) as Record<string, string>)
					: Object.fromEntries(new URLSearchParams(raw));
			this.tokenCalls.push({
				path: request.url,
				refreshToken: body.refresh_token,
				clientIdInBody: body.client_id,
				basicAuth: (request.headers.authorization ?? '').startsWith('Basic '),
			});
			// Slow enough that parallel 401s overlap with the refresh in flight.
			await new Promise((resolve) => setTimeout(resolve, 40));
			const presented = body.refresh_token ?? '';
			if (!this.validRefreshTokens.delete(presented)) {
				send(400, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
				return;
			}
			const accessToken = this.mint('at');
			const refreshToken = this.mint('rt');
			this.validAccessTokens.add(accessToken);
			this.validRefreshTokens.add(refreshToken);
			this.latestRefresh = refreshToken;
			if (request.url === '/session') {
				send(200, { session_token: accessToken, refresh_token: refreshToken });
			} else {
				send(200, { access_token: accessToken, refresh_token: refreshToken, token_type: 'Bearer', expires_in: 3600 });
			}
			return;
		}

		if (request.url === '/api/whoami') {
			const authorization = request.headers.authorization;
			this.apiAuthorizations.push(authorization);
			const token = authorization?.replace(/^Bearer /, '') ?? '';
			if (!this.validAccessTokens.has(token)) {
				send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
				return;
			}
			send(200, { ok: true, token: fingerprint(token) });
			return;
		}
		send(404, { error: 'not_found' });
	}
}

const server = new MiniAuthServer();
beforeAll(async () => await server.start());
afterAll(async () => await server.stop());

function newHelper(options?: ConstructorParameters<typeof HarnessCredentialsHelper>[0]): HarnessCredentialsHelper {
	const helper = new HarnessCredentialsHelper(options);
	for (const type of HARNESS_CREDENTIAL_TYPES) helper.registerCredentialType(type);
	return helper;
}

function probe(
	helper: HarnessCredentialsHelper,
	credentialType: string,
	ref: { id: string; name: string },
	parameters: IDataObject,
	extra: Partial<RunNodeOptions> = {},
) {
	return runNode({
		nodeType: new HttpProbeNode(),
		helper,
		parameters: { credentialType, url: `${server.url}/api/whoami`, ...parameters },
		credentials: { [credentialType]: ref },
		...extra,
	});
}

function expectNoIssuedTokenIn(texts: string[]): void {
	const joined = texts.join('\n');
	for (const token of server.issued) expect(joined).not.toContain(token);
}

// ---- the helper on its own: CLI rules ----

describe('HarnessCredentialsHelper follows the CLI rules', () => {
	it.each([
		['gmailOAuth2', ['googleOAuth2Api', 'oAuth2Api']],
		['googleSheetsOAuth2Api', ['googleOAuth2Api', 'oAuth2Api']],
		['microsoftOutlookOAuth2Api', ['microsoftOAuth2Api', 'oAuth2Api']],
		['xeroOAuth2Api', ['oAuth2Api']],
		['harnessOAuth2Api', ['oAuth2Api']],
		['harnessSessionApi', []],
		['oAuth2Api', []],
	])('getParentTypes(%s) walks extends: %j', (type, parents) => {
		expect(newHelper().getParentTypes(type)).toEqual(parents);
	});

	const sheetsData = {
		clientId: 'client-1',
		clientSecret: 'secret-1',
		accessTokenUrl: 'http://127.0.0.1:1/token',
		oauthTokenData: { access_token: 'a', refresh_token: 'r' },
	};
	const decrypt = async (helper: HarnessCredentialsHelper, raw?: boolean) => {
		const ref = helper.addCredential({
			id: 'c-sheets',
			name: 'Sheets',
			type: 'googleSheetsOAuth2Api',
			data: sheetsData,
		});
		return await helper.getDecrypted({} as never, ref, 'googleSheetsOAuth2Api', 'manual', undefined, raw);
	};

	it('applies defaults merged across extends and keeps stored values (n8n 2.40)', async () => {
		const decrypted = await decrypt(newHelper());
		expect(decrypted).toMatchObject({
			...sheetsData,
			grantType: 'authorizationCode', // oAuth2Api default
			authentication: 'body', // pinned by googleOAuth2Api
			authQueryParameters: 'access_type=offline&prompt=consent',
		});
		// doNotInherit on the base type: a child does not get these unless it declares them.
		expect(decrypted).not.toHaveProperty('tokenExpiredStatusCode');
		expect(decrypted).not.toHaveProperty('ignoreSSLIssues');
	});

	it('returns the stored data untouched when raw=true', async () => {
		expect(await decrypt(newHelper(), true)).toEqual(sheetsData);
	});

	it('drops stored pinned OAuth fields in favour of the type default when pinOAuthFields is on (n8n 2.41)', async () => {
		const decrypted = await decrypt(newHelper({ pinOAuthFields: true }));
		expect(decrypted.accessTokenUrl).toBe('https://oauth2.googleapis.com/token');
	});

	it('throws like n8n for an unknown credential id', async () => {
		await expect(
			newHelper().getDecrypted({} as never, { id: 'nope', name: 'x' }, 'oAuth2Api', 'manual'),
		).rejects.toThrow('Credential with ID "nope" does not exist for type "oAuth2Api".');
	});

	describe('preAuthentication', () => {
		const ref = { id: 'c-session', name: 'Session' };
		const setup = (stored: ICredentialDataDecryptedObject, hookResponse: IDataObject) => {
			const helper = newHelper();
			helper.addCredential({ ...ref, type: 'harnessSessionApi', data: stored });
			let hookCalls = 0;
			const helpers = {
				helpers: {
					httpRequest: async () => {
						hookCalls++;
						return hookResponse;
					},
				},
			};
			return { helper, helpers, hookCalls: () => hookCalls };
		};
		const node = (overrides: Partial<INode> = {}): INode => ({
			id: 'n1',
			name: 'Probe',
			type: 'n8n-nodes-token-guard.httpProbe',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
			credentials: { harnessSessionApi: ref },
			...overrides,
		});
		const fresh = { session_token: 'S-new', refresh_token: 'R-new' };
		const credentialTestNode = node({ type: 'n8n-nodes-base.noOp', parameters: { temp: '' } });
		const emptySession = () => ({ refreshToken: 'R-old', sessionToken: '' });

		it.each([
			['empty expirable value', true, '', false, node()],
			['filled value, not expired', false, 'S-old', false, node()],
			['filled value, expired (401 retry)', true, 'S-old', true, node()],
			['credential test (noOp with temp)', true, 'S-old', false, credentialTestNode],
		])('%s → hook runs: %s', async (_case, runs, sessionToken, expired, callingNode) => {
			const { helper, helpers, hookCalls } = setup({ refreshToken: 'R-old', sessionToken }, fresh);
			const credentials = { refreshToken: 'R-old', sessionToken };
			const result = await helper.preAuthentication(helpers, credentials, 'harnessSessionApi', callingNode, expired);
			expect(hookCalls()).toBe(runs ? 1 : 0);
			expect(helper.writes).toHaveLength(runs ? 1 : 0);
			if (runs) {
				expect(result).toBe(credentials); // Object.assign(credentials, output)
				expect(helper.storedData(ref.id)).toEqual({ refreshToken: 'R-new', sessionToken: 'S-new' });
			} else {
				expect(result).toBeUndefined();
			}
		});

		it('persists nothing when the hook does not return the expirable key', async () => {
			const { helper, helpers, hookCalls } = setup({ refreshToken: 'R-old' }, { refresh_token: 'R-new' });
			const result = await helper.preAuthentication(helpers, emptySession(), 'harnessSessionApi', node(), false);
			expect([result, hookCalls(), helper.writes.length]).toEqual([undefined, 1, 0]);
		});

		it('keeps a stored expression instead of overwriting it with the resolved value', async () => {
			const { helper, helpers } = setup({ refreshToken: '={{ $vars.rt }}', tokenUrl: 'u' }, fresh);
			await helper.preAuthentication(helpers, emptySession(), 'harnessSessionApi', node(), false);
			expect(helper.storedData(ref.id)).toEqual({
				refreshToken: '={{ $vars.rt }}',
				tokenUrl: 'u',
				sessionToken: 'S-new',
			});
		});

		it('does nothing for a type without a hidden expirable property', async () => {
			const { helper, helpers, hookCalls } = setup({}, fresh);
			helper.registerCredentialType({
				name: 'noExpirableApi',
				displayName: 'No Expirable',
				properties: [{ displayName: 'Token', name: 'token', type: 'string', default: '' }],
				preAuthentication: async () => ({ token: 'x' }),
			});
			const result = await helper.preAuthentication(helpers, { token: '' }, 'noExpirableApi', node(), true);
			expect([result, hookCalls(), helper.writes.length]).toEqual([undefined, 0, 0]);
		});
	});
});

// ---- real executions through WorkflowExecute ----

describe('generic path: preAuthentication with an expirable field', () => {
	const helper = newHelper();
	const ref = { id: 'c-session', name: 'Session API' };

	beforeAll(() => {
		helper.addCredential({
			...ref,
			type: 'harnessSessionApi',
			data: { tokenUrl: `${server.url}/session`, refreshToken: server.seedRefreshToken() },
		});
	});

	it('runs preAuthentication on the empty token, persists every returned key, then authenticates', async () => {
		const seeded = server.latestRefreshToken;
		const callsBefore = server.tokenCalls.length;
		const result = await probe(helper, 'harnessSessionApi', ref, { mode: 'authRequest' });

		expect(result.error).toBeUndefined();
		expect(result.outputs[0][0].json.ok).toBe(true);
		expect(server.tokenCalls.slice(callsBefore).map((call) => call.refreshToken)).toEqual([seeded]);
		expect(helper.writes.map((write) => write.kind)).toEqual(['updateCredentials']);
		const stored = helper.storedData(ref.id);
		expect(stored.refreshToken).toBe(server.latestRefreshToken); // rotated key persisted too
		expect(stored.tokenUrl).toBe(`${server.url}/session`); // raw stored data kept
		expect(result.outputs[0][0].json.token).toBe(fingerprint(stored.sessionToken as string));
	});

	it('resolves credential expressions and applies defaults when a node reads the credential', async () => {
		const expressionHelper = newHelper();
		const expressionRef = expressionHelper.addCredential({
			id: 'c-expression',
			name: 'Expression',
			type: 'harnessSessionApi',
			data: { tokenUrl: `={{ "${server.url}" + "/session" }}`, refreshToken: 'unused' },
		});
		const result = await probe(expressionHelper, 'harnessSessionApi', expressionRef, { mode: 'readCredential' });

		expect(result.error).toBeUndefined();
		expect(result.outputs[0][0].json.keys).toEqual(['refreshToken', 'sessionToken', 'tokenUrl']);
		expect(result.outputs[0][0].json.fingerprints).toMatchObject({
			tokenUrl: fingerprint(`${server.url}/session`),
			sessionToken: fingerprint(''),
		});
	});

	it('on 401 re-runs preAuthentication with expired=true, retries once and persists again', async () => {
		server.expireAccessTokens();
		const apiBefore = server.apiAuthorizations.length;
		const result = await probe(helper, 'harnessSessionApi', ref, { mode: 'authRequest' });

		expect(result.error).toBeUndefined();
		expect(result.outputs[0][0].json.ok).toBe(true);
		expect(server.apiAuthorizations.length - apiBefore).toBe(2); // the 401 and the retry
		expect(helper.writes.map((write) => write.kind)).toEqual(['updateCredentials', 'updateCredentials']);
		expect(helper.storedData(ref.id).refreshToken).toBe(server.latestRefreshToken);
		expectNoIssuedTokenIn(result.logs.map((line) => line.text));
	});
});

describe('OAuth2 path: n8n-core refreshes, single-flights and persists', () => {
	const helper = newHelper();
	const ref = { id: 'c-oauth', name: 'Harness OAuth' };

	beforeAll(() => {
		helper.addCredential({
			...ref,
			type: 'harnessOAuth2Api',
			data: {
				clientId: 'client-1',
				clientSecret: 'client-secret-CANARY',
				accessTokenUrl: `${server.url}/oauth/token`,
				oauthTokenData: { access_token: 'stale', refresh_token: server.seedRefreshToken(), token_type: 'Bearer' },
			},
		});
	});

	it('401 → refresh with the stored refresh token → rotated token persisted via oauthTokenData only', async () => {
		const seeded = server.latestRefreshToken;
		const callsBefore = server.tokenCalls.length;
		const result = await probe(helper, 'harnessOAuth2Api', ref, { mode: 'authRequest' });

		expect(result.error).toBeUndefined();
		expect(result.outputs[0][0].json.ok).toBe(true);
		expect(server.tokenCalls.slice(callsBefore)).toEqual([
			{ path: '/oauth/token', refreshToken: seeded, clientIdInBody: 'client-1', basicAuth: false },
		]);
		expect(helper.writes.map((write) => write.kind)).toEqual(['oauthTokenData']);
		const stored = helper.storedData(ref.id);
		const tokenData = stored.oauthTokenData as IDataObject;
		expect(tokenData.refresh_token).toBe(server.latestRefreshToken);
		expect(Number(tokenData.n8n_expires_at)).toBeGreaterThan(0);
		expect(stored.clientSecret).toBe('client-secret-CANARY');
		// this.logger inside n8n-core is captured, and n8n-core logs no token.
		expect(result.logs.some((line) => line.message.includes('expired. Revalidating.'))).toBe(true);
		expectNoIssuedTokenIn(result.logs.map((line) => line.text));
	});

	it('5 parallel items on a stale token cause exactly one token call', async () => {
		server.expireAccessTokens();
		const callsBefore = server.tokenCalls.length;
		const items = Array.from({ length: 5 }, (_unused, index) => ({ json: { index } }));
		const result = await probe(helper, 'harnessOAuth2Api', ref, { mode: 'authRequest', parallel: true }, { items });

		expect(result.error).toBeUndefined();
		expect(result.outputs[0].map((item) => item.json.ok)).toEqual([true, true, true, true, true]);
		expect(server.tokenCalls.length - callsBefore).toBe(1);
	});

	it('refreshOAuth2Token.call(this, type) forces a refresh and returns n8n_expires_at', async () => {
		const before = Date.now();
		const callsBefore = server.tokenCalls.length;
		const result = await probe(helper, 'harnessOAuth2Api', ref, { mode: 'refresh' });

		expect(result.error).toBeUndefined();
		const output = result.outputs[0][0].json;
		expect(server.tokenCalls.length - callsBefore).toBe(1);
		expect(output.keys).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'n8n_expires_at']));
		expect(Number(output.n8n_expires_at)).toBeGreaterThanOrEqual(before + 3600 * 1000);
		const tokenData = helper.storedData(ref.id).oauthTokenData as IDataObject;
		expect(tokenData.refresh_token).toBe(server.latestRefreshToken);
		expect((output.fingerprints as IDataObject).refresh_token).toBe(fingerprint(server.latestRefreshToken));
	});

	it('invalid_grant → "needs to be reconnected", and the Error Trigger item names the credential', async () => {
		server.revokeRefreshTokens();
		const writesBefore = helper.writes.length;
		const result = await probe(helper, 'harnessOAuth2Api', ref, { mode: 'refresh' }, { mode: 'trigger' });

		expect(result.error?.message).toBe('The credential "Harness OAuth" needs to be reconnected.');
		expect(helper.writes).toHaveLength(writesBefore);
		const item = toErrorTriggerItem(result);
		expect((item.execution.error as { node?: { credentials?: unknown } }).node?.credentials).toEqual({
			harnessOAuth2Api: ref,
		});
		expect(item.execution).toMatchObject({
			id: result.execution.id,
			mode: 'trigger',
			lastNodeExecuted: result.node.name,
			url: `http://localhost:5678/workflow/${item.workflow.id}/executions/${item.execution.id}`,
		});
		expect(item.workflow).toEqual({ id: result.execution.workflowId, name: result.execution.workflowName });
	});

	it('onError=continueRegularOutput passes the input through, yet a failing last node fails the run', async () => {
		const items = [{ json: { probe: 1 } }];
		const options = { items, onError: 'continueRegularOutput' } as const;
		const result = await probe(helper, 'harnessOAuth2Api', ref, { mode: 'refresh' }, options);
		// n8n does not turn a thrown error into an error item: nodes must honour continueOnFail() themselves.
		expect(result.outputs[0]).toEqual([expect.objectContaining(items[0])]);
		expect(result.error?.message).toBe('The credential "Harness OAuth" needs to be reconnected.');
	});
});

describe('built-in credential types route like a real instance', () => {
	it('a Google Sheets credential refreshes through n8n with its pinned body client auth', async () => {
		const helper = newHelper();
		const ref = helper.addCredential({
			id: 'c-sheets',
			name: 'Sheets',
			type: 'googleSheetsOAuth2Api',
			data: {
				clientId: 'google-client',
				clientSecret: 'google-secret',
				accessTokenUrl: `${server.url}/oauth/token`,
				oauthTokenData: { access_token: 'stale', refresh_token: server.seedRefreshToken() },
			},
		});
		const callsBefore = server.tokenCalls.length;
		const result = await probe(helper, 'googleSheetsOAuth2Api', ref, { mode: 'authRequest' });

		expect(result.error).toBeUndefined();
		expect(server.tokenCalls.slice(callsBefore).map((call) => [call.clientIdInBody, call.basicAuth])).toEqual([
			['google-client', false],
		]);
	});

	it('the bare oAuth2Api type gets no Authorization header and no refresh (the n8n 2.40 gap)', async () => {
		const helper = newHelper();
		const ref = helper.addCredential({
			id: 'c-generic',
			name: 'Generic',
			type: 'oAuth2Api',
			data: {
				clientId: 'generic-client',
				accessTokenUrl: `${server.url}/oauth/token`,
				oauthTokenData: { access_token: 'stale', refresh_token: server.seedRefreshToken() },
			},
		});
		const callsBefore = server.tokenCalls.length;
		const result = await probe(helper, 'oAuth2Api', ref, { mode: 'authRequest' });

		expect((result.error as { httpCode?: string } | undefined)?.httpCode).toBe('401');
		expect(server.apiAuthorizations.at(-1)).toBeUndefined();
		expect(server.tokenCalls.length).toBe(callsBefore);
	});
});

describe('workflow static data', () => {
	it.each([
		// n8n-core reports the change in every mode; the CLI hook saves it except in manual runs.
		['trigger', { global: { counter: 2 } }],
		['webhook', { global: { counter: 2 } }],
		['manual', { global: { counter: 1 } }],
	] as const)('mode %s → persisted static data %j', async (mode, persisted) => {
		const result = await runNode({
			nodeType: new HttpProbeNode(),
			helper: newHelper(),
			parameters: { mode: 'bumpStaticData' },
			mode,
			staticData: { global: { counter: 1 } },
		});
		expect(result.error).toBeUndefined();
		expect(result.staticDataReportedByCore).toEqual({ global: { counter: 2 } });
		expect(result.staticData).toEqual(persisted);
	});
});
