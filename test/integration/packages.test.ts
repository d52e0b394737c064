/**
 * The two packages through n8n-core's WorkflowExecute: the core package's nodes refuse n8n's built-in credentials
 * and the companion's nodes refuse the core's own types (n8n checks a node's credential list before any read), and
 * the companion's nodes refresh a built-in credential and deliver signed events through the companion's own
 * webhook credential type.
 */
import { randomBytes } from 'node:crypto';
import type { IDataObject } from 'n8n-workflow';

import { ForceRefreshBuiltIn } from '../../builtin/nodes/ForceRefreshBuiltIn/ForceRefreshBuiltIn.node';
import { TokenGuardBuiltInWebhookApi } from '../../builtin/credentials/TokenGuardBuiltInWebhookApi.credentials';
import { TokenHealthBuiltIn } from '../../builtin/nodes/TokenHealthBuiltIn/TokenHealthBuiltIn.node';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { forgetRefreshMemory } from '../../nodes/shared/refresh/sharedRefresh.adapter';
import { runNode } from '../harness';
import { startFaultServer } from '../servers/faultServer';
import type { FaultServerHandle } from '../servers/faultServer';
import { startOidcServer } from '../servers/oidcServer';
import type { OidcServerHandle } from '../servers/oidcServer';
import { CONNECT_TYPE, addConnectCredential, newHelper, runForceRefresh, tokenGuardOf } from './forceRefreshSupport';

jest.setTimeout(120_000);

const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let server: OidcServerHandle;
let receiver: FaultServerHandle;

beforeAll(async () => {
	[server, receiver] = await Promise.all([startOidcServer({ accessTokenTtlSeconds: 60 }), startFaultServer()]);
});
afterAll(async () => await Promise.all([server.stop(), receiver.stop()]));
beforeEach(async () => {
	forgetRefreshMemory();
	receiver.reset();
	await server.resetStats();
});

describe('each package takes only its own kind of credential', () => {
	it("the core's Force Refresh refuses a built-in Google Sheets credential before reading it", async () => {
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await server.mintGrant(), {
			type: 'googleSheetsOAuth2Api',
			name: 'Sheets',
		});
		const result = await runForceRefresh(helper, credential, { operation: 'refresh' });

		expect(result.error?.message).toMatch(
			/^Node type "n8n-nodes-token-guard\.forceRefresh" does not have any credentials of type "googleSheetsOAuth2Api"/,
		);
		expect(await server.stats()).toMatchObject({ tokenRequests: { refresh_token: 0 } });
	});

	it("the companion's Force Refresh refuses the core's own credential type", async () => {
		const helper = newHelper();
		const credential = addConnectCredential(helper, server, await server.mintGrant(), { type: CONNECT_TYPE });
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'refresh' },
			{ nodeType: new ForceRefreshBuiltIn() },
		);

		expect(result.error?.message).toMatch(/does not have any credentials of type "tokenGuardOAuth2Api"/);
		expect(await server.stats()).toMatchObject({ tokenRequests: { refresh_token: 0 } });
	});

	it("the core's Token Health checks the core's credential; the companion's checks a built-in Gmail one", async () => {
		const helper = newHelper();
		const own = addConnectCredential(helper, server, await server.mintGrant(), { type: CONNECT_TYPE, name: 'Own' });
		const gmail = addConnectCredential(helper, server, await server.mintGrant(), {
			type: 'gmailOAuth2',
			name: 'Gmail',
		});
		const check = (nodeType: TokenHealth | TokenHealthBuiltIn, credential: typeof own) =>
			runNode({
				nodeType,
				helper,
				mode: 'trigger',
				parameters: { operation: 'checkCredential', credentialType: credential.type, refreshNow: true },
				credentials: { [credential.type]: credential.ref },
			});

		const results = [await check(new TokenHealth(), own), await check(new TokenHealthBuiltIn(), gmail)];
		expect(results.map((result) => result.error?.message)).toEqual([undefined, undefined]);
		expect(results.map((result) => (result.outputs?.[1]?.[0]?.json as IDataObject | undefined)?.status)).toEqual([
			'healthy',
			'healthy',
		]);
		expect(await server.stats()).toMatchObject({ tokenRequests: { refresh_token: 2 } });
		expect((await check(new TokenHealth(), gmail)).error?.message).toMatch(
			/does not have any credentials of type "gmailOAuth2"/,
		);
	});
});

describe('MCP and agent OAuth2 credentials', () => {
	it("the companion's Check Credential refreshes an MCP Client credential (mcpOAuth2Api) through n8n; the core refuses it", async () => {
		const helper = newHelper();
		const mcp = addConnectCredential(helper, server, await server.mintGrant(), {
			type: 'mcpOAuth2Api',
			name: 'MCP tools',
		});
		const check = (nodeType: TokenHealth | TokenHealthBuiltIn) =>
			runNode({
				nodeType,
				helper,
				mode: 'trigger',
				parameters: { operation: 'checkCredential', credentialType: mcp.type, refreshNow: true },
				credentials: { [mcp.type]: mcp.ref },
			});

		const companion = await check(new TokenHealthBuiltIn());
		expect(companion.error).toBeUndefined();
		expect(companion.outputs[1][0].json).toMatchObject({
			status: 'healthy',
			credential: { type: 'mcpOAuth2Api', typeName: 'MCP OAuth2 API' },
			refresh: { attempts: 1 },
		});
		expect(await server.stats()).toMatchObject({ tokenRequests: { refresh_token: 1 } });
		expect((await check(new TokenHealth())).error?.message).toMatch(
			/does not have any credentials of type "mcpOAuth2Api"/,
		);
	});
});

describe("the companion's own webhook credential", () => {
	it('carries refresh events, signed, from the companion Force Refresh on a built-in credential', async () => {
		const helper = newHelper().registerCredentialType(new TokenGuardBuiltInWebhookApi());
		const credential = addConnectCredential(helper, server, await server.mintGrant(), {
			type: 'oAuth2Api',
			name: 'Generic',
		});
		const sink = helper.addCredential({
			id: 'companion-sink',
			name: 'Alerts',
			type: 'tokenGuardBuiltInWebhookApi',
			data: { url: `${receiver.url}/hook`, signingSecret: SIGNING_SECRET },
		});
		const result = await runForceRefresh(
			helper,
			credential,
			{ operation: 'refresh', sendEvents: true },
			{
				nodeType: new ForceRefreshBuiltIn(),
				credentials: { oAuth2Api: credential.ref, tokenGuardBuiltInWebhookApi: sink },
			},
		);

		expect(result.error).toBeUndefined();
		const hooks = receiver.requests.filter((request) => request.path === '/hook');
		expect(hooks.map((request) => (request.json as IDataObject).type)).toEqual(['io.n8n.tokenguard.refresh.succeeded']);
		expect(hooks[0].headers['webhook-signature']).toMatch(/^v1,/);
		const item = result.outputs?.[0]?.[0];
		expect(item && (tokenGuardOf(item).delivery as IDataObject).status).toBe('delivered');
	});
});
