/**
 * The example workflows in examples/ (guarded API call, keep-alive), imported into a real n8n with their
 * placeholders replaced by local services and executed headless with `n8n execute`. The OAuth error
 * handler example runs in errorWorkflow.e2e.test.ts, where n8n itself dispatches it.
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
import { connectCredential, storedRefreshToken } from './support/credentials';
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

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let ordersApi: DemoApi;
let probeApi: DemoApi;
let sink: WebhookSink;
let guardedGrant: MintedGrant;
let keepAliveGrant: MintedGrant;
const timings: Record<string, number> = {};

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
	sink = await startWebhookSink();
	guardedGrant = await oidc.mintGrant();
	keepAliveGrant = await oidc.mintGrant();

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
	]);
	timings.setupMs = Date.now() - started;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await Promise.all([oidc?.stop(), ordersApi?.stop(), probeApi?.stop(), sink?.stop()]);
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
		'keep-alive: a healthy credential is refreshed and stays quiet; after the grant is revoked the next run alerts, naming the credential',
		withN8nLog(
			() => userFolder,
			async () => {
				const started = Date.now();
				const healthy = await run(KEEP_ALIVE.workflowId);
				// Seeded without an expiry: "Refresh When Expiry Is Unknown" renews it.
				expect(nodeOutput(healthy.run, 'Refresh if expiring')[0].tokenGuard).toMatchObject({ refreshed: true });
				const [check] = nodeOutput(healthy.run, 'Check the credential', 0, 1);
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
				timings.keepAliveMs = Date.now() - started;
			},
		),
		TEST_TIMEOUT_MS,
	);
});
