/**
 * n8n's own Test button on the core's Connect-button credential, through the REST calls the editor makes (open
 * the credential, POST /rest/credentials/test) in a real n8n: with a Test URL the token is really checked — a
 * current token passes, a stale access token is refreshed through n8n and passes, a revoked grant fails with
 * n8n's message for a revoked grant (support/features.ts: revokedGrantMessage). (n8n's built-in OAuth2 types have
 * no test of their own: n8n only looks for a stored access token.)
 */
import { httpRequest } from '../servers/httpClient';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { UserFolder } from './n8n';
import {
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	installPackageTarball,
	packRepo,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { clientFor, connectCredential } from './support/credentials';
import type { CredentialRecord } from './support/credentials';
import { DEV_OWNER, ownerEnvironment } from './support/dev';
import { revokedGrantMessage } from './support/features';
import { login, startN8nServer } from './support/n8nServer';
import type { N8nServer } from './support/n8nServer';

const SETUP_TIMEOUT_MS = 30 * 60_000;

interface TestCase {
	id: string;
	name: string;
	type: 'tokenGuardOAuth2Api';
	/** The stored access token is one the API no longer accepts. */
	stale: boolean;
	revoked: boolean;
}

const CASES: TestCase[] = [
	{ id: 'e2eTestBtnFresh1', name: 'Fresh', type: 'tokenGuardOAuth2Api', stale: false, revoked: false },
	{ id: 'e2eTestBtnStale1', name: 'Stale access token', type: 'tokenGuardOAuth2Api', stale: true, revoked: false },
	{ id: 'e2eTestBtnRevok1', name: 'Revoked grant', type: 'tokenGuardOAuth2Api', stale: true, revoked: true },
];

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let server: N8nServer;
let cookie = '';

function credentialFor(testCase: TestCase, grant: MintedGrant): CredentialRecord {
	const record = connectCredential(oidc, grant, testCase);
	const data = record.data as { oauthTokenData: Record<string, unknown> };
	if (testCase.stale) data.oauthTokenData.access_token = `stale-${testCase.id}`;
	return testCase.type === 'tokenGuardOAuth2Api'
		? { ...record, data: { ...data, testUrl: oidc.apiUrl('me') } }
		: record;
}

/** What the editor does: open the credential (its data comes back with secrets redacted), then press Test. */
async function pressTest(testCase: TestCase): Promise<{ status: string; message: string }> {
	const opened = await httpRequest<{ data: { data: Record<string, unknown> } }>(
		`${server.baseUrl}/rest/credentials/${testCase.id}?includeData=true`,
		{ headers: { cookie }, timeoutMs: 30_000 },
	);
	if (opened.status !== 200) throw new Error(`opening the credential answered HTTP ${opened.status}: ${opened.text}`);
	const response = await httpRequest<{ data: { status: string; message: string } }>(
		`${server.baseUrl}/rest/credentials/test`,
		{
			method: 'POST',
			headers: { cookie },
			body: {
				credentials: { id: testCase.id, name: testCase.name, type: testCase.type, data: opened.json!.data.data },
			},
			timeoutMs: 60_000,
		},
	);
	if (response.status !== 200) throw new Error(`credential test answered HTTP ${response.status}: ${response.text}`);
	return response.json!.data;
}

beforeAll(async () => {
	await ensureN8nInstalled();
	const tarball = await packRepo('core');
	oidc = await startOidcServer();
	const credentials: CredentialRecord[] = [];
	for (const testCase of CASES) {
		const grant = await oidc.mintGrant({ clientId: clientFor(oidc, testCase.type) });
		if (testCase.revoked) await oidc.revokeGrant(grant.grantId);
		credentials.push(credentialFor(testCase, grant));
	}
	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, credentials);
	server = await startN8nServer(userFolder, { env: ownerEnvironment() });
	cookie = await login(server.baseUrl, DEV_OWNER.email, DEV_OWNER.password);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await server?.stop();
	await oidc?.stop();
	removeUserFolder(userFolder);
	await removePackedRepo();
});

describe("n8n's Test button", () => {
	it('passes a Token Guard credential whose access token is current', async () => {
		expect(await pressTest(CASES[0])).toMatchObject({ status: 'OK' });
	});

	it('refreshes a stale access token through n8n and passes', async () => {
		const before = (await oidc.stats()).tokenRequests.refresh_token;
		expect(await pressTest(CASES[1])).toMatchObject({ status: 'OK' });
		expect((await oidc.stats()).tokenRequests.refresh_token).toBe(before + 1);
	});

	it('fails a Token Guard credential whose grant was revoked', async () => {
		const result = await pressTest(CASES[2]);
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(revokedGrantMessage('Revoked grant')) });
	});
});
