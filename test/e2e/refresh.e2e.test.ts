/**
 * Force Refresh in a real n8n (test/e2e/versions.env) with both packed packages installed side by side as the
 * Community Nodes UI installs them (no node or credential type collides), against oidc-provider with
 * refresh-token rotation and reuse detection:
 * - Refresh Now on our Connect-button credential (the core's node) and on two of n8n's built-in OAuth2 types
 *   (the companion's node): n8n's database holds the rotated refresh token, the provider refuses the old one and
 *   accepts the new one, and a second execution still succeeds.
 * - Request With Auto-Refresh on the manual refresh-token credential with an expired access token: the
 *   request succeeds and the rotated refresh token is persisted.
 * - Canary secrets never reach execution data, the database, the log or n8n's console output.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { resolveExpiry } from '../../nodes/shared/oauth/expiry';
import { httpRequest } from '../servers/httpClient';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { ExportedCredential, UserFolder } from './n8n';
import {
	assertPackageLoaded,
	createUserFolder,
	ensureN8nInstalled,
	executeWorkflow,
	exportCredentials,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	logTail,
	nodeOutput,
	packRepo,
	readRepoPackageName,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import type { ConnectType, CredentialRecord } from './support/credentials';
import {
	clientFor,
	connectCredential,
	manualCredential,
	storedAccessToken,
	storedRefreshToken,
} from './support/credentials';
import { itNeeds, n8nFeatures } from './support/features';
import { withN8nLog } from './support/logOnFailure';
import { canary, findLeaks, n8nWrittenTexts } from './support/secrets';
import { manualWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 5 * 60_000;

const CLIENT_SECRET = canary('client-secret');

const CORE_FORCE_REFRESH = 'n8n-nodes-token-guard.forceRefresh';
const COMPANION_FORCE_REFRESH = 'n8n-nodes-token-guard-builtin.forceRefreshBuiltIn';

interface ConnectCase {
	type: ConnectType;
	nodeType: string;
	label: string;
	credentialId: string;
	workflowId: string;
	grant?: MintedGrant;
}

const CONNECT_CASES: ConnectCase[] = [
	{
		type: 'tokenGuardOAuth2Api',
		nodeType: CORE_FORCE_REFRESH,
		label: 'Token Guard OAuth2 API (ours)',
		credentialId: 'e2eConnectOurs01',
		workflowId: 'e2eRefreshOurs01',
	},
	{
		type: 'oAuth2Api',
		nodeType: COMPANION_FORCE_REFRESH,
		label: "n8n's generic OAuth2 API",
		credentialId: 'e2eConnectGen001',
		workflowId: 'e2eRefreshGen001',
	},
	{
		type: 'googleSheetsOAuth2Api',
		nodeType: COMPANION_FORCE_REFRESH,
		label: "n8n's Google Sheets OAuth2 API",
		credentialId: 'e2eConnectGsh001',
		workflowId: 'e2eRefreshGsh001',
	},
];

const MANUAL = {
	credentialId: 'e2eManualCred001',
	workflowId: 'e2eManualReq0001',
	name: 'Canary manual refresh token',
};

/** A built-in Google Sheets credential its owner restricted to one host, used against another one. */
const RESTRICTED = {
	credentialId: 'e2eRestricted001',
	workflowId: 'e2eRestrictReq01',
	name: 'Canary restricted Google Sheets',
};

/** Outside the restricted credential's list (another loopback address): records whatever reaches it. */
const outsideRequests: Array<{ url: string; headers: Record<string, unknown>; body: string }> = [];
let outside: Server;
let outsideUrl = '';

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let manualGrant: MintedGrant;
/** Every n8n command's console output, searched for canaries at the end. */
const consoleOutput: string[] = [];
const timings: Record<string, number> = {};
/** Every token the provider issued that the test learned, with a label for leak reports. */
const knownTokens: Record<string, string> = {};

function refreshNowNode({ type, nodeType }: ConnectCase, credential: { id: string; name: string }) {
	return {
		name: 'Refresh Now',
		type: nodeType,
		typeVersion: 1,
		parameters: { credentialType: type, operation: 'refresh' },
		credentials: { [type]: credential },
	};
}

async function exported(id: string): Promise<ExportedCredential> {
	const [credential] = await exportCredentials(userFolder, { decrypted: true, id });
	if (!credential) throw new Error(`credential ${id} was not exported`);
	return credential;
}

async function run(workflowId: string) {
	const outcome = await executeWorkflow(userFolder, workflowId);
	consoleOutput.push(outcome.result.stdout, outcome.result.stderr);
	if (outcome.status !== 'success') {
		throw new Error(
			`execution of ${workflowId} failed: ${outcome.errorMessage}\n--- n8n log tail ---\n${logTail(userFolder)}`,
		);
	}
	return outcome;
}

/** The provider's own API refuses the token (expired, revoked or unknown). */
async function apiRefuses(accessToken: string): Promise<boolean> {
	const response = await httpRequest(oidc.apiUrl('me'), { headers: { authorization: `Bearer ${accessToken}` } });
	return response.status === 401;
}

beforeAll(async () => {
	let started = Date.now();
	await ensureN8nInstalled();
	const tarballs = [await packRepo('core'), await packRepo('companion')];
	timings.packMs = Date.now() - started;

	oidc = await startOidcServer({ clientSecret: CLIENT_SECRET });
	const credentials: CredentialRecord[] = [];
	for (const testCase of CONNECT_CASES) {
		testCase.grant = await oidc.mintGrant({ clientId: clientFor(oidc, testCase.type) });
		knownTokens[`${testCase.type} initial refresh token`] = testCase.grant.refreshToken;
		knownTokens[`${testCase.type} initial access token`] = testCase.grant.accessToken;
		credentials.push(
			connectCredential(oidc, testCase.grant, {
				id: testCase.credentialId,
				name: `Canary ${testCase.label}`,
				type: testCase.type,
			}),
		);
	}
	manualGrant = await oidc.mintGrant();
	knownTokens['manual initial refresh token'] = manualGrant.refreshToken;
	knownTokens['manual initial access token'] = manualGrant.accessToken;
	// Stored as a user would paste it: the access token, with no known expiry.
	credentials.push(
		manualCredential(
			oidc,
			manualGrant,
			{ id: MANUAL.credentialId, name: MANUAL.name },
			{ accessToken: manualGrant.accessToken },
		),
	);

	outside = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			outsideRequests.push({
				url: request.url ?? '',
				headers: request.headers,
				body: Buffer.concat(chunks).toString('utf8'),
			});
			response.end('{}');
		});
	});
	await new Promise<void>((resolve) => outside.listen(0, '127.0.0.2', resolve));
	outsideUrl = `http://127.0.0.2:${(outside.address() as AddressInfo).port}`;
	const restrictedGrant = await oidc.mintGrant({ clientId: clientFor(oidc, 'googleSheetsOAuth2Api') });
	knownTokens['restricted access token'] = restrictedGrant.accessToken;
	knownTokens['restricted refresh token'] = restrictedGrant.refreshToken;
	const restricted = connectCredential(oidc, restrictedGrant, {
		id: RESTRICTED.credentialId,
		name: RESTRICTED.name,
		type: 'googleSheetsOAuth2Api',
	});
	credentials.push({
		...restricted,
		data: { ...restricted.data, allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' },
	});

	userFolder = createUserFolder();
	started = Date.now();
	for (const tarball of tarballs) await installPackageTarball(userFolder, tarball);
	timings.installMs = Date.now() - started;
	consoleOutput.push((await importCredentials(userFolder, credentials)).stdout);
	consoleOutput.push(
		(
			await importWorkflow(userFolder, [
				...CONNECT_CASES.map((testCase) =>
					manualWorkflow(testCase.workflowId, `Refresh Now: ${testCase.label}`, [
						refreshNowNode(testCase, { id: testCase.credentialId, name: `Canary ${testCase.label}` }),
					]),
				),
				manualWorkflow(MANUAL.workflowId, 'Request With Auto-Refresh: manual refresh token', [
					{
						name: 'Call API',
						type: CORE_FORCE_REFRESH,
						typeVersion: 1,
						parameters: {
							credentialType: 'tokenGuardRefreshTokenApi',
							operation: 'request',
							method: 'GET',
							url: oidc.apiUrl('me'),
						},
						credentials: { tokenGuardRefreshTokenApi: { id: MANUAL.credentialId, name: MANUAL.name } },
					},
				]),
				manualWorkflow(RESTRICTED.workflowId, "Request With Auto-Refresh: outside the credential's allowed domains", [
					{
						name: 'Call Outside',
						type: COMPANION_FORCE_REFRESH,
						typeVersion: 1,
						parameters: {
							credentialType: 'googleSheetsOAuth2Api',
							operation: 'request',
							method: 'GET',
							url: `${outsideUrl}/steal`,
						},
						credentials: { googleSheetsOAuth2Api: { id: RESTRICTED.credentialId, name: RESTRICTED.name } },
					},
				]),
			])
		).stdout,
	);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await oidc?.stop();
	await new Promise<void>((resolve) => (outside ? outside.close(() => resolve()) : resolve()));
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(`[e2e-timing] refresh ${JSON.stringify(timings)}\n`);
});

describe('Force Refresh in real n8n', () => {
	it(
		'n8n loaded both packages side by side, each with every node and credential',
		withN8nLog(
			() => userFolder,
			() => {
				assertPackageLoaded(userFolder, readRepoPackageName('core'));
				assertPackageLoaded(userFolder, readRepoPackageName('companion'));
			},
		),
	);

	it.each(CONNECT_CASES)(
		'Refresh Now on $label: the rotated refresh token is in n8n, the old one is refused, the new one works, a second run succeeds',
		withN8nLog(
			() => userFolder,
			async (testCase) => {
				const started = Date.now();
				const grant = testCase.grant!;
				const clientId = clientFor(oidc, testCase.type);
				const authMethod = clientId === oidc.postClientId ? 'client_secret_post' : 'client_secret_basic';

				const first = await run(testCase.workflowId);
				const [firstItem] = nodeOutput(first.run, 'Refresh Now');
				expect(firstItem.tokenGuard).toMatchObject({
					refreshed: true,
					reason: 'forced',
					refreshTokenRotated: true,
					credential: { type: testCase.type },
				});
				const afterFirst = await exported(testCase.credentialId);
				const firstRefreshToken = storedRefreshToken(afterFirst.data);
				knownTokens[`${testCase.type} refresh token after run 1`] = firstRefreshToken ?? '';
				knownTokens[`${testCase.type} access token after run 1`] = storedAccessToken(afterFirst.data) ?? '';
				expect(firstRefreshToken).toEqual(expect.any(String));
				expect(firstRefreshToken).not.toBe(grant.refreshToken);
				expect(storedAccessToken(afterFirst.data)).not.toBe(grant.accessToken);

				const second = await run(testCase.workflowId);
				expect(nodeOutput(second.run, 'Refresh Now')[0].tokenGuard).toMatchObject({
					refreshed: true,
					refreshTokenRotated: true,
				});
				const afterSecond = await exported(testCase.credentialId);
				const secondRefreshToken = storedRefreshToken(afterSecond.data)!;
				knownTokens[`${testCase.type} refresh token after run 2`] = secondRefreshToken;
				expect(secondRefreshToken).not.toBe(firstRefreshToken);

				// The newest stored token works at the provider (this spends it: the test ends here for this grant).
				const withNew = await oidc.refresh(secondRefreshToken, { clientId, authMethod });
				expect(withNew.status).toBe(200);
				expect(withNew.json.access_token).toEqual(expect.any(String));
				// The seeded one was rotated away: refused with invalid_grant (reuse detection then revokes the grant).
				const withOld = await oidc.refresh(grant.refreshToken, { clientId, authMethod });
				expect(withOld.status).toBe(400);
				expect(withOld.json.error).toBe('invalid_grant');
				timings[`refreshNow:${testCase.type}`] = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	itNeeds('n8n 2.33+ (n8n_expires_at)', n8nFeatures().storedExpiry)(
		"after Refresh Now, Refresh If Expiring's reader finds the expiry n8n stored with the token",
		withN8nLog(
			() => userFolder,
			async () => {
				const refreshed = await exported(CONNECT_CASES[0].credentialId);
				const tokenData = (refreshed.data as { oauthTokenData?: Record<string, unknown> }).oauthTokenData;
				const expiry = resolveExpiry(tokenData);
				expect(expiry.source).toBe('n8n_expires_at');
				// n8n stamps refresh time + expires_in (the seeded tokens are short-lived, so it may have passed by now).
				const refreshedAtMs = expiry.expiresAtMs! - Number(tokenData?.expires_in) * 1000;
				expect(refreshedAtMs).toBeLessThanOrEqual(Date.now());
				expect(refreshedAtMs).toBeGreaterThan(Date.now() - CONNECT_CASES.length * TEST_TIMEOUT_MS);
			},
		),
	);

	it(
		'manual refresh-token credential: an expired access token → Request With Auto-Refresh answers 200 and n8n stores the rotated refresh token',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				// The access token lives 2 s at this provider; the precondition must hold, or the test proves nothing.
				while (!(await apiRefuses(manualGrant.accessToken))) await sleep(250);
				const before = await oidc.stats();

				const outcome = await run(MANUAL.workflowId);

				const [item] = nodeOutput(outcome.run, 'Call API');
				expect(item).toMatchObject({
					sub: manualGrant.accountId,
					tokenGuard: { refreshed: true, reason: 'expiry-signal', statusCode: 200 },
				});
				const after = await oidc.stats();
				expect(after.tokenRequests.refresh_token - before.tokenRequests.refresh_token).toBe(1);
				const stored = await exported(MANUAL.credentialId);
				const rotated = storedRefreshToken(stored.data)!;
				knownTokens['manual refresh token after run'] = rotated;
				knownTokens['manual access token after run'] = storedAccessToken(stored.data) ?? '';
				expect(rotated).toEqual(expect.any(String));
				expect(rotated).not.toBe(manualGrant.refreshToken);
				expect(storedAccessToken(stored.data)).not.toBe(manualGrant.accessToken);
				// The token the API accepted is the one n8n stored.
				expect((item.tokenGuard as { tokenFingerprint: string }).tokenFingerprint).toBe(item.tokenFingerprint);

				expect((await oidc.refresh(rotated)).status).toBe(200);
				const withOld = await oidc.refresh(manualGrant.refreshToken);
				expect(withOld.json.error).toBe('invalid_grant');
				timings.manualRequest = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		"a credential restricted to 127.0.0.1 is refused for a URL on 127.0.0.2 with n8n's wording, and nothing reaches that host",
		withN8nLog(
			() => userFolder,
			async () => {
				const outcome = await executeWorkflow(userFolder, RESTRICTED.workflowId);
				consoleOutput.push(outcome.result.stdout, outcome.result.stderr);
				expect(outcome.status).toBe('error');
				expect(outcome.errorMessage).toMatch(
					/Domain not allowed: This credential is restricted from accessing 127\.0\.0\.2/,
				);
				expect(outsideRequests).toEqual([]);
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'canary secrets (client secret, every refresh and access token) appear nowhere n8n wrote',
		withN8nLog(
			() => userFolder,
			() => {
				const texts: Record<string, string> = {
					...n8nWrittenTexts(userFolder),
					'n8n console output': consoleOutput.join('\n'),
				};
				// The search must be able to find something: the runs above are in there, by credential name.
				expect(texts['execution data']).toContain('Canary Token Guard OAuth2 API (ours)');
				expect(texts['n8n log file']).toContain('Token Guard refresh.succeeded');
				expect(Object.keys(knownTokens).length).toBeGreaterThanOrEqual(14);

				expect(findLeaks({ 'client secret': CLIENT_SECRET, ...knownTokens }, texts)).toEqual([]);
			},
		),
	);
});
