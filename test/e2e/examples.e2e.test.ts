/**
 * The example workflows in examples/ (guarded API call, keep-alive, keep-alive for a built-in credential),
 * imported into a real n8n with their placeholders replaced by local services and executed headless with
 * `n8n execute`. The OAuth error handler example runs in errorWorkflow.e2e.test.ts, where n8n itself
 * dispatches it. The examples use version 2 of both nodes: Token Health sends a repeat of an alert inside its
 * cooldown to its third output, "Already Reported", wired to the node "Already reported".
 */
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import type { UserFolder } from './n8n';
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
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import type { CredentialRecord } from './support/credentials';
import { clientFor, connectCredential, storedAccessToken, storedRefreshToken } from './support/credentials';
import type { DemoApi } from './support/demoApi';
import { startDemoApi, tokenFingerprint } from './support/demoApi';
import {
	EXAMPLE_NAMES,
	exampleWorkflow,
	readExample,
	remainingPlaceholders,
	undocumentedPlaceholders,
} from './support/examples';
import { withN8nLog } from './support/logOnFailure';
import type { WebhookSink } from './support/webhookSink';
import { startWebhookSink } from './support/webhookSink';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 5 * 60_000;

/** Each access token is accepted for this many orders, then answered 401 as if it had expired. */
const CALLS_PER_TOKEN = 3;
const ORDER_IDS = [1001, 1002, 1003, 1004, 1005];

const GUARDED = { workflowId: 'e2eExGuarded0001', credentialId: 'e2eExOrdersCred1', credentialName: 'Orders API' };
const KEEP_ALIVE = {
	workflowId: 'e2eExKeepAlive01',
	credentialId: 'e2eExKeepCred001',
	credentialName: 'Keep-alive account',
};
/**
 * The built-in keep-alive, imported twice: each copy probes with its own Google Sheets credential, both
 * seeded with a stale access token; the second one's grant is revoked before its run.
 */
const BUILTIN_STALE = {
	workflowId: 'e2eExBuiltKeep01',
	credentialId: 'e2eExBuiltCred01',
	credentialName: 'Sheets: stale access token',
};
const BUILTIN_REVOKED = {
	workflowId: 'e2eExBuiltKeep02',
	credentialId: 'e2eExBuiltCred02',
	credentialName: 'Sheets: revoked grant',
};
const BUILTIN_ALERT_PATH = 'builtin-alerts';
/** Token Health version 2's outputs (version 1 had the first two; repeats went to OK). */
const NEEDS_ATTENTION = 0;
const OK = 1;
const ALREADY_REPORTED = 2;
const TOKEN_HEALTH = 'n8n-nodes-token-guard.tokenHealth';

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let ordersApi: DemoApi;
let probeApi: DemoApi;
let builtInProbeApi: DemoApi;
let sink: WebhookSink;
let guardedGrant: MintedGrant;
let keepAliveGrant: MintedGrant;
let builtInStaleGrant: MintedGrant;
let builtInRevokedGrant: MintedGrant;
const timings: Record<string, number> = {};

/** A Google Sheets credential as n8n stores it after Connect, whose access token the API no longer accepts. */
function staleSheetsCredential(grant: MintedGrant, record: { id: string; name: string }): CredentialRecord {
	const connected = connectCredential(oidc, grant, { ...record, type: 'googleSheetsOAuth2Api' });
	const data = connected.data as { oauthTokenData: Record<string, unknown> };
	return {
		...connected,
		data: { ...data, oauthTokenData: { ...data.oauthTokenData, access_token: staleAccessToken(record.id) } },
	};
}

function staleAccessToken(credentialId: string): string {
	return `stale-${credentialId}`;
}

function builtInAlerts() {
	return sink.requests.filter((request) => request.path === `/${BUILTIN_ALERT_PATH}`);
}

async function run(workflowId: string) {
	const outcome = await executeWorkflow(userFolder, workflowId);
	if (outcome.status !== 'success') {
		throw new Error(
			`execution of ${workflowId} failed: ${outcome.errorMessage}\n--- n8n log tail ---\n${logTail(userFolder)}`,
		);
	}
	return outcome;
}

beforeAll(async () => {
	const started = Date.now();
	await ensureN8nInstalled();
	const tarball = await packRepo();
	// Access tokens live an hour here: expiry in the middle of the run comes from the orders API alone.
	oidc = await startOidcServer({ accessTokenTtlSeconds: 3600 });
	ordersApi = await startDemoApi({ issuer: oidc.issuer, retireTokenAfter: CALLS_PER_TOKEN });
	probeApi = await startDemoApi({ issuer: oidc.issuer });
	builtInProbeApi = await startDemoApi({ issuer: oidc.issuer });
	sink = await startWebhookSink();
	guardedGrant = await oidc.mintGrant();
	keepAliveGrant = await oidc.mintGrant();
	// Google's credential types send the client secret in the body: grants of the client registered that way.
	builtInStaleGrant = await oidc.mintGrant({ clientId: clientFor(oidc, 'googleSheetsOAuth2Api') });
	builtInRevokedGrant = await oidc.mintGrant({ clientId: clientFor(oidc, 'googleSheetsOAuth2Api') });

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		connectCredential(oidc, guardedGrant, {
			id: GUARDED.credentialId,
			name: GUARDED.credentialName,
			type: 'tokenGuardOAuth2Api',
		}),
		connectCredential(oidc, keepAliveGrant, {
			id: KEEP_ALIVE.credentialId,
			name: KEEP_ALIVE.credentialName,
			type: 'tokenGuardOAuth2Api',
		}),
		staleSheetsCredential(builtInStaleGrant, { id: BUILTIN_STALE.credentialId, name: BUILTIN_STALE.credentialName }),
		staleSheetsCredential(builtInRevokedGrant, {
			id: BUILTIN_REVOKED.credentialId,
			name: BUILTIN_REVOKED.credentialName,
		}),
	]);
	await importWorkflow(userFolder, [
		exampleWorkflow(
			'guarded-api-call',
			{ oauth2CredentialId: GUARDED.credentialId, apiBaseUrl: ordersApi.baseUrl },
			{ id: GUARDED.workflowId },
		),
		exampleWorkflow(
			'keep-alive',
			{ oauth2CredentialId: KEEP_ALIVE.credentialId, apiBaseUrl: probeApi.baseUrl, alertUrl: sink.url('alerts') },
			{ id: KEEP_ALIVE.workflowId },
		),
		...[BUILTIN_STALE, BUILTIN_REVOKED].map((builtIn) =>
			exampleWorkflow(
				'keep-alive-builtin',
				{
					builtInCredentialId: builtIn.credentialId,
					apiBaseUrl: builtInProbeApi.baseUrl,
					alertUrl: sink.url(BUILTIN_ALERT_PATH),
				},
				{ id: builtIn.workflowId, name: `Keep-alive for a built-in credential: ${builtIn.credentialName}` },
			),
		),
	]);
	timings.setupMs = Date.now() - started;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await Promise.all([oidc?.stop(), ordersApi?.stop(), probeApi?.stop(), builtInProbeApi?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
	process.stderr.write(`[e2e-timing] examples ${JSON.stringify(timings)}\n`);
});

describe('example workflows in real n8n', () => {
	it.each(EXAMPLE_NAMES)('%s uses placeholders, only the documented ones', (name) => {
		const example = readExample(name);
		expect(remainingPlaceholders(example).length).toBeGreaterThan(0);
		expect(undocumentedPlaceholders(example)).toEqual([]);
	});

	it.each(EXAMPLE_NAMES)(
		'%s uses version 2 of the Token Guard nodes; every Token Health output 2 (Already Reported) goes to "Already reported"',
		(name) => {
			const example = readExample(name);
			const ours = example.nodes.filter((node) => node.type.startsWith('n8n-nodes-token-guard.'));
			expect(ours.length).toBeGreaterThan(0);
			for (const node of ours) {
				expect({ node: node.name, typeVersion: node.typeVersion }).toEqual({ node: node.name, typeVersion: 2 });
				if (node.type !== TOKEN_HEALTH) expect(node.parameters.credentialType).toEqual(expect.any(String));
				// "Send Duplicates To" is a version 1 option.
				expect(node.parameters.options ?? {}).not.toHaveProperty('duplicatesOutput');
			}
			for (const node of ours.filter((entry) => entry.type === TOKEN_HEALTH)) {
				const outputs = (example.connections[node.name] as { main: Array<Array<{ node: string }>> }).main;
				expect(outputs.map((targets) => targets.map((target) => target.node))).toEqual([
					expect.any(Array),
					expect.any(Array),
					['Already reported'],
				]);
				expect(outputs[NEEDS_ATTENTION].length).toBe(1);
				expect(outputs[OK].length).toBe(1);
			}
		},
	);

	it(
		'n8n loaded the package with every node and credential',
		withN8nLog(
			() => userFolder,
			() => {
				assertPackageLoaded(userFolder);
			},
		),
	);

	it(
		'guarded API call: the API starts answering 401 mid-run → one refresh through n8n → the 401 items are replayed → every order 200',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				const before = await oidc.stats();

				const outcome = await run(GUARDED.workflowId);

				const items = nodeOutput(outcome.run, 'Get order');
				expect(items.map((item) => Number(item.orderId)).sort()).toEqual(ORDER_IDS);
				expect(items.every((item) => (item.tokenGuard as { statusCode: number }).statusCode === 200)).toBe(true);
				const replayed = items.filter((item) => (item.tokenGuard as { refreshed: boolean }).refreshed);
				expect(replayed).toHaveLength(ORDER_IDS.length - CALLS_PER_TOKEN);
				for (const item of replayed)
					expect(item.tokenGuard).toMatchObject({ reason: 'expiry-signal', expirySignal: 'status', attempts: 2 });

				const api = ordersApi.stats();
				expect(api.byStatus).toEqual({ '200': ORDER_IDS.length, '401': ORDER_IDS.length - CALLS_PER_TOKEN });
				expect(api.tokens).toHaveLength(2);
				expect(api.tokens[0]).toBe(tokenFingerprint(guardedGrant.accessToken));
				const after = await oidc.stats();
				expect(after.tokenRequests.refresh_token - before.tokenRequests.refresh_token).toBe(1);
				const [stored] = await exportCredentials(userFolder, { decrypted: true, id: GUARDED.credentialId });
				expect(storedRefreshToken(stored.data)).not.toBe(guardedGrant.refreshToken);
				timings.guardedMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'keep-alive: a healthy credential is refreshed and stays quiet; after the grant is revoked the next run alerts, naming the credential; the run after that is a repeat → Already reported, no second alert',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				const healthy = await run(KEEP_ALIVE.workflowId);
				// Seeded without an expiry: "Refresh When Expiry Is Unknown" renews it.
				expect(nodeOutput(healthy.run, 'Refresh if expiring')[0].tokenGuard).toMatchObject({ refreshed: true });
				const [check] = nodeOutput(healthy.run, 'Check the credential', 0, OK);
				expect(check).toMatchObject({ status: 'healthy', credential: { id: KEEP_ALIVE.credentialId } });
				expect(nodeOutput(healthy.run, 'Send alert')).toEqual([]);
				expect(sink.requests).toEqual([]);

				await oidc.revokeGrant(keepAliveGrant.grantId);
				const revoked = await run(KEEP_ALIVE.workflowId);

				expect(nodeOutput(revoked.run, 'Send alert')).toHaveLength(1);
				const [alert] = await sink.waitFor((requests) => requests.length >= 1, 5000);
				expect(alert.path).toBe('/alerts');
				const body = JSON.parse(alert.body) as Record<string, string>;
				expect(body).toMatchObject({ credential: KEEP_ALIVE.credentialName, credentialId: KEEP_ALIVE.credentialId });
				expect(['warning', 'critical']).toContain(body.severity);
				expect(body.text).toContain(KEEP_ALIVE.credentialName);
				expect(body.reconnectUrl).toMatch(new RegExp(`/home/credentials/${KEEP_ALIVE.credentialId}$`));
				expect(revoked.run?.data?.resultData?.runData?.['Already reported']).toBeUndefined();

				// Inside the 6-hour cooldown the same problem is a repeat: output 2, not Send alert (nor Healthy).
				const repeat = await run(KEEP_ALIVE.workflowId);
				expect(nodeOutput(repeat.run, 'Send alert')).toEqual([]);
				expect(repeat.run?.data?.resultData?.runData?.Healthy).toBeUndefined();
				const repeated = nodeOutput(repeat.run, 'Already reported');
				expect(repeated).toHaveLength(1);
				expect(repeated[0]).toMatchObject({ duplicate: true, credential: { id: KEEP_ALIVE.credentialId } });
				expect(sink.requests.filter((request) => request.path === '/alerts')).toHaveLength(1);
				timings.keepAliveMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		"keep-alive for a built-in credential: a stale access token is refreshed by n8n's HTTP Request (rotated refresh token stored), the probe succeeds, no alert",
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				const before = await oidc.stats();
				builtInProbeApi.resetStats();

				const outcome = await run(BUILTIN_STALE.workflowId);

				const [probed] = nodeOutput(outcome.run, 'Probe the API');
				expect(probed).toMatchObject({ sub: builtInStaleGrant.accountId });
				expect(nodeOutput(outcome.run, 'Probe the API', 0, 1)).toEqual([]);
				expect(nodeOutput(outcome.run, 'Healthy')).toHaveLength(1);
				expect(outcome.run?.data?.resultData?.runData?.['Diagnose the failure']).toBeUndefined();
				expect(nodeOutput(outcome.run, 'Send alert')).toEqual([]);
				expect(builtInAlerts()).toEqual([]);

				// The stale token was refused once, n8n refreshed through the token endpoint and retried with the new one.
				const api = builtInProbeApi.stats();
				expect(api.byStatus).toEqual({ '200': 1, '401': 1 });
				expect(api.tokens).toHaveLength(2);
				expect(api.tokens[0]).toBe(tokenFingerprint(staleAccessToken(BUILTIN_STALE.credentialId)));
				expect(probed.tokenFingerprint).toBe(api.tokens[1]);
				const after = await oidc.stats();
				expect(after.tokenRequests.refresh_token - before.tokenRequests.refresh_token).toBe(1);
				const [stored] = await exportCredentials(userFolder, { decrypted: true, id: BUILTIN_STALE.credentialId });
				expect(storedRefreshToken(stored.data)).toEqual(expect.any(String));
				expect(storedRefreshToken(stored.data)).not.toBe(builtInStaleGrant.refreshToken);
				expect(tokenFingerprint(storedAccessToken(stored.data)!)).toBe(api.tokens[1]);
				timings.builtInStaleMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);

	it(
		'keep-alive for a built-in credential: revoked grant → the probe fails → Diagnose Error names the credential (refresh_token_invalid) on Needs Attention → exactly one alert; the next run is a repeat → Already reported',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				await oidc.revokeGrant(builtInRevokedGrant.grantId);
				const before = await oidc.stats();

				const outcome = await run(BUILTIN_REVOKED.workflowId);

				expect(nodeOutput(outcome.run, 'Probe the API')).toEqual([]);
				expect(nodeOutput(outcome.run, 'Probe the API', 0, 1)).toHaveLength(1);
				const [diagnosis] = nodeOutput(outcome.run, 'Diagnose the failure', 0, NEEDS_ATTENTION);
				expect(diagnosis).toMatchObject({
					isOAuthIssue: true,
					category: 'refresh_token_invalid',
					action: 'reconnect',
					severity: 'critical',
					credential: {
						type: 'googleSheetsOAuth2Api',
						id: BUILTIN_REVOKED.credentialId,
						name: BUILTIN_REVOKED.credentialName,
					},
					failedNode: { name: 'Probe the API' },
					source: { workflowId: BUILTIN_REVOKED.workflowId },
				});
				expect(nodeOutput(outcome.run, 'Diagnose the failure', 0, OK)).toEqual([]);
				expect(nodeOutput(outcome.run, 'Diagnose the failure', 0, ALREADY_REPORTED)).toEqual([]);
				expect(outcome.run?.data?.resultData?.runData?.Healthy).toBeUndefined();
				expect(outcome.run?.data?.resultData?.runData?.['Already reported']).toBeUndefined();
				expect(nodeOutput(outcome.run, 'Send alert')).toHaveLength(1);
				const after = await oidc.stats();
				expect(after.tokenRequests.refresh_token - before.tokenRequests.refresh_token).toBe(1);

				// `n8n execute` returns after Send alert's POST was answered: every alert of this run has arrived.
				const alerts = builtInAlerts();
				expect(alerts).toHaveLength(1);
				expect(alerts[0].method).toBe('POST');
				const body = JSON.parse(alerts[0].body) as Record<string, string>;
				expect(body).toMatchObject({
					severity: 'critical',
					credential: BUILTIN_REVOKED.credentialName,
					credentialId: BUILTIN_REVOKED.credentialId,
				});
				expect(body.text).toContain(BUILTIN_REVOKED.credentialName);
				expect(body.reconnectUrl).toMatch(new RegExp(`/home/credentials/${BUILTIN_REVOKED.credentialId}$`));

				// The next run inside the 6-hour cooldown: the same diagnosis is a repeat, on Already Reported.
				const repeat = await run(BUILTIN_REVOKED.workflowId);
				expect(nodeOutput(repeat.run, 'Diagnose the failure', 0, NEEDS_ATTENTION)).toEqual([]);
				expect(nodeOutput(repeat.run, 'Diagnose the failure', 0, OK)).toEqual([]);
				const [again] = nodeOutput(repeat.run, 'Diagnose the failure', 0, ALREADY_REPORTED);
				expect(again).toMatchObject({
					duplicate: true,
					category: 'refresh_token_invalid',
					credential: { id: BUILTIN_REVOKED.credentialId },
				});
				expect(nodeOutput(repeat.run, 'Already reported')).toHaveLength(1);
				expect(nodeOutput(repeat.run, 'Send alert')).toEqual([]);
				expect(repeat.run?.data?.resultData?.runData?.Healthy).toBeUndefined();
				expect(builtInAlerts()).toHaveLength(1);
				timings.builtInRevokedMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);
});
