/**
 * Audit Credentials and Diagnose Error's affected workflows through n8n-core's WorkflowExecute, for what must
 * hold before n8n's API answers anything: the API key goes only where the N8n (Token Guard) API credential's
 * Allowed HTTP Request Domains let it (a receiver on 127.0.0.2 records every request), a missing credential says
 * what to pick, an unreachable API leaves the diagnosis intact, and the key (a canary) is in no output or log line.
 * The audit itself against a real n8n is test/e2e/audit.e2e.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject } from 'n8n-workflow';

import { TokenGuardN8nApi } from '../../credentials/TokenGuardN8nApi.credentials';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunResult } from '../harness';
import { errorTriggerItem, nodeError } from './tokenHealthPayloads';

/** n8n's own failure of a Gmail node whose credential needs reconnecting, as the Error Trigger hands it over. */
const revokedGmailFailure = (): IDataObject =>
	errorTriggerItem(
		nodeError({
			name: 'NodeOperationError',
			message: 'The credential "Gmail account" needs to be reconnected.',
			credentials: { gmailOAuth2: { id: 'cred-gmail', name: 'Gmail account' } },
		}),
	);

const API_KEY = `tg-canary-n8n-api-key-${randomBytes(12).toString('hex')}`;
const NEEDS_ATTENTION = 0;

interface Received {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
}

let outside: { url: string; received: Received[]; close(): Promise<void> };

beforeAll(async () => {
	const received: Received[] = [];
	// Answers like n8n to a key without the scope: 403 {"message":"Forbidden"}.
	const server: Server = createServer((request, response) => {
		received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
		response.writeHead(403, { 'content-type': 'application/json' });
		response.end('{"message":"Forbidden"}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
	const { port } = server.address() as AddressInfo;
	outside = {
		url: `http://127.0.0.2:${port}`,
		received,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
});
afterAll(async () => await outside?.close());
beforeEach(() => {
	outside.received.length = 0;
});

function helperWith(data: IDataObject) {
	const helper = new HarnessCredentialsHelper().registerCredentialType(new TokenGuardN8nApi());
	const ref = helper.addCredential({
		id: 'n8nApi1',
		name: 'This n8n',
		type: 'tokenGuardN8nApi',
		data: { apiKey: API_KEY, ...data },
	});
	return { helper, ref };
}

async function audit(data: IDataObject, options: { continueOnFail?: boolean; withCredential?: boolean } = {}) {
	const { helper, ref } = helperWith(data);
	return await runNode({
		nodeType: new TokenHealth(),
		helper,
		mode: 'trigger',
		parameters: { operation: 'auditCredentials' },
		credentials: options.withCredential === false ? {} : { tokenGuardN8nApi: ref },
		continueOnFail: options.continueOnFail,
	});
}

/** Everything the run put out or logged, as text: the key must be in none of it. */
function everything(result: RunResult): string {
	return JSON.stringify([result.outputs, result.error, result.logs.map((line) => line.text)]);
}

describe('Audit Credentials: where the API key may go', () => {
	it("a Base URL outside the credential's Allowed HTTP Request Domains is refused in n8n's words, nothing sent", async () => {
		const result = await audit({
			baseUrl: outside.url,
			allowedHttpRequestDomains: 'domains',
			allowedDomains: '127.0.0.1',
		});
		expect(result.error?.message).toMatch(
			/Domain not allowed: This credential is restricted from accessing 127\.0\.0\.2/,
		);
		expect(outside.received).toEqual([]);
		expect(everything(result)).not.toContain(API_KEY);
	});

	it('allowed, the key goes in X-N8N-API-KEY to /api/v1/credentials, and a 403 names the scope and role', async () => {
		const result = await audit({ baseUrl: `${outside.url}/`, allowedHttpRequestDomains: 'all' });
		expect(outside.received).toHaveLength(1);
		expect(outside.received[0]).toMatchObject({ method: 'GET', url: '/api/v1/credentials?limit=250' });
		expect(outside.received[0].headers['x-n8n-api-key']).toBe(API_KEY);
		expect(result.error?.message).toBe(
			'The n8n API key may not list the credentials of the instance (HTTP 403): it needs the scope credential:list',
		);
		expect(String((result.error as { description?: string }).description)).toContain('owner or an admin');
		expect(everything(result)).not.toContain(API_KEY);
	});

	it('an n8n whose public API cannot list credentials (n8n 1.123 answers 405) is told which n8n can', async () => {
		// n8n 1.123.81's own answer to GET /api/v1/credentials, measured against the e2e tier's install.
		const n8n1x = createServer((_request, response) => {
			response.writeHead(405, { 'content-type': 'application/json' });
			response.end('{"message":"GET method not allowed"}');
		});
		await new Promise<void>((resolve) => n8n1x.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = n8n1x.address() as AddressInfo;
			const result = await audit({ baseUrl: `http://127.0.0.1:${port}`, allowedHttpRequestDomains: 'all' });
			expect(result.error?.message).toBe(
				"This n8n's public API cannot list the credentials of the instance (HTTP 405 to GET /api/v1/credentials): Audit Credentials needs n8n 2.x",
			);
			expect(String((result.error as { description?: string }).description)).toContain('credential:list');
			expect(everything(result)).not.toContain(API_KEY);
		} finally {
			await new Promise<void>((resolve) => n8n1x.close(() => resolve()));
		}
	});

	it('without the credential the run says which one to pick; Continue On Fail puts that on Needs Attention', async () => {
		const failed = await audit({ baseUrl: outside.url }, { withCredential: false });
		expect(failed.error?.message).toBe('No N8n (Token Guard) API credential could be read');
		const continued = await audit({ baseUrl: outside.url }, { withCredential: false, continueOnFail: true });
		expect(continued.outputs[NEEDS_ATTENTION].map((item) => item.json)).toEqual([
			{ error: 'No N8n (Token Guard) API credential could be read' },
		]);
		expect(outside.received).toEqual([]);
	});
});

describe("Diagnose Error's affected workflows", () => {
	it('an unreachable API leaves the diagnosis whole, with affectedWorkflows null and the reason', async () => {
		const { helper, ref } = helperWith({ baseUrl: 'http://127.0.0.1:9', allowedHttpRequestDomains: 'all' });
		const result = await runNode({
			nodeType: new TokenHealth(),
			helper,
			mode: 'error',
			parameters: { operation: 'diagnoseError', findAffectedWorkflows: true },
			credentials: { tokenGuardN8nApi: ref },
			items: [{ json: revokedGmailFailure() }],
		});
		expect(result.error).toBeUndefined();
		const [item] = result.outputs[NEEDS_ATTENTION].map((entry) => entry.json);
		expect(item).toMatchObject({ category: 'refresh_token_invalid', affectedWorkflows: null });
		expect(String(item.affectedWorkflowsError)).toMatch(/could not be reached/);
		expect(String(item.summary)).not.toMatch(/It is used by/);
		expect(everything(result)).not.toContain(API_KEY);
	});

	it('off (the default), no API credential is needed and the item has no affectedWorkflows', async () => {
		const result = await runNode({
			nodeType: new TokenHealth(),
			helper: new HarnessCredentialsHelper(),
			mode: 'error',
			parameters: { operation: 'diagnoseError' },
			items: [{ json: revokedGmailFailure() }],
		});
		expect(result.outputs[NEEDS_ATTENTION][0].json).not.toHaveProperty('affectedWorkflows');
	});
});
