/**
 * `npm run demo`: the three example workflows in a real, headless n8n with the packed package
 * installed as a community node, against a local OAuth provider, told as a short story with the
 * numbers. Every claim it prints is checked against run data, provider counters or the receiver; a
 * claim that does not hold fails the demo.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

import type { UserFolder } from '../n8n';
import {
	assertPackageLoaded,
	createUserFolder,
	e2eEnv,
	ensureN8nInstalled,
	executeWorkflow,
	exportCredentials,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	logTail,
	n8n,
	nodeOutput,
	packRepo,
	removePackedRepo,
	removeUserFolder,
} from '../n8n';
import { storedRefreshToken } from './credentials';
import { readExecutions, storedNodeOutput, waitForPublishedVersions } from './database';
import type { DemoWorld } from './demoWorld';
import {
	DEMO_IDS,
	DEMO_NAMES,
	DEMO_SIGNING_SECRET,
	NIGHTLY_SYNC_WEBHOOK_PATH,
	ORDERS_CALLS_PER_TOKEN,
	startDemoWorld,
} from './demoWorld';
import type { N8nServer } from './n8nServer';
import { callProductionWebhook, startN8nServer } from './n8nServer';
import { verifyStandardWebhook } from './standardWebhooks';

export type Print = (line: string) => void;

class DemoFailure extends Error {}

function check(condition: unknown, claim: string): asserts condition {
	if (!condition) throw new DemoFailure(`expected: ${claim}`);
}

const tilde = (path: string) => path.replace(homedir(), '~');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function runOrThrow(userFolder: UserFolder, workflowId: string) {
	const outcome = await executeWorkflow(userFolder, workflowId);
	if (outcome.status !== 'success') throw new DemoFailure(`workflow ${workflowId} failed: ${outcome.errorMessage}`);
	return outcome;
}

async function guardedApiCall(world: DemoWorld, userFolder: UserFolder, print: Print): Promise<void> {
	print('');
	print('1. Guarded API call  (examples/guarded-api-call.json, n8n execute)');
	const tokenCallsBefore = (await world.oidc.stats()).tokenRequests.refresh_token;
	const outcome = await runOrThrow(userFolder, DEMO_IDS.guardedWorkflow);
	const items = nodeOutput(outcome.run, 'Get order');
	const info = items.map((item) => item.tokenGuard as { refreshed: boolean; statusCode: number; attempts: number });
	const api = world.ordersApi.stats();
	const tokenCalls = (await world.oidc.stats()).tokenRequests.refresh_token - tokenCallsBefore;
	const replayed = info.filter((entry) => entry.refreshed).length;
	const ok = api.byStatus['200'] ?? 0;
	const rejected = api.byStatus['401'] ?? 0;
	check(items.length === 5 && info.every((entry) => entry.statusCode === 200), 'all 5 orders answered 200');
	check(rejected === replayed && replayed > 0, 'every 401 was refreshed and replayed');
	check(tokenCalls === 1, 'exactly one token call');
	const [stored] = await exportCredentials(userFolder, { decrypted: true, id: DEMO_IDS.ordersCredential });
	check(
		storedRefreshToken(stored.data) !== world.grants.orders.refreshToken,
		'the rotated refresh token is saved in n8n',
	);
	print(`   ${items.length} orders requested with credential "${DEMO_NAMES.ordersCredential}"`);
	print(
		`   orders API answered 200 ×${ok - replayed}, then 401 ×${rejected} (it retires a token after ${ORDERS_CALLS_PER_TOKEN} calls, like an expiry mid-run)`,
	);
	print(
		`   → Force Refresh refreshed once through n8n (token call #${tokenCalls}, refresh token rotated and saved in n8n's database)`,
	);
	print(`   → replayed the ${replayed} rejected orders → 200`);
	print(
		`   result: ${items.length}/${items.length} orders, ${api.requests} API calls, ${tokenCalls} token call, ${seconds(outcome.result.durationMs)} in n8n`,
	);
}

async function keepAlive(world: DemoWorld, userFolder: UserFolder, print: Print): Promise<void> {
	print('');
	print('2. Keep-alive  (examples/keep-alive.json, n8n execute of its "Run now" trigger)');
	const healthy = await runOrThrow(userFolder, DEMO_IDS.keepAliveWorkflow);
	const refreshed = nodeOutput(healthy.run, 'Refresh if expiring')[0]?.tokenGuard as
		{ refreshed: boolean; reason: string } | undefined;
	const [check1] = nodeOutput(healthy.run, 'Check the credential', 0, 1);
	check(refreshed?.refreshed === true && check1?.status === 'healthy', 'run 1 refreshes and reports healthy');
	check(world.alerts.requests.length === 0, 'no alert for a healthy credential');
	print(
		`   run 1: "${DEMO_NAMES.keepAliveCredential}" expiry unknown → refreshed (${refreshed.reason}) → Check Credential: healthy → no alert`,
	);

	await world.oidc.revokeGrant(world.grants.keepAlive.grantId);
	print(`   the account owner revokes access for "${DEMO_NAMES.keepAliveCredential}" at the provider`);
	const broken = await runOrThrow(userFolder, DEMO_IDS.keepAliveWorkflow);
	const [alert] = await world.alerts.waitFor(
		(requests) => requests.some((request) => request.path === '/keep-alive'),
		10_000,
	);
	const body = JSON.parse(alert.body) as { severity: string; text: string };
	const failedRefresh = nodeOutput(broken.run, 'Diagnose the refresh failure').length > 0;
	print(
		`   run 2: ${failedRefresh ? 'Refresh If Expiring failed → Diagnose Error' : 'Check Credential probed the API'} → ${body.severity} → alert POSTed to the receiver:`,
	);
	print(`          "${body.text}"`);

	// Token Health version 2: a repeat inside the cooldown goes to its own output, "Already Reported".
	const alertsBefore = world.alerts.requests.filter((request) => request.path === '/keep-alive').length;
	const repeat = await runOrThrow(userFolder, DEMO_IDS.keepAliveWorkflow);
	const [repeated] = nodeOutput(repeat.run, 'Already reported');
	check(
		repeated?.duplicate === true && nodeOutput(repeat.run, 'Send alert').length === 0,
		'run 3 is a repeat: Already reported, not Send alert',
	);
	check(
		world.alerts.requests.filter((request) => request.path === '/keep-alive').length === alertsBefore,
		'no second alert for the repeat',
	);
	print(
		'   run 3: the same problem inside the 6-hour cooldown → "Already reported" (duplicate: true) → no second alert',
	);
}

async function errorHandler(world: DemoWorld, userFolder: UserFolder, print: Print): Promise<void> {
	print('');
	print('3. OAuth error handler  (examples/oauth-error-handler.json as the error workflow, n8n start)');
	let server: N8nServer | undefined;
	try {
		const started = Date.now();
		server = await startN8nServer(userFolder);
		await waitForPublishedVersions(userFolder, [DEMO_IDS.errorHandlerWorkflow, DEMO_IDS.nightlySyncWorkflow]);
		print(`   n8n started at ${server.baseUrl} in ${seconds(Date.now() - started)}`);
		await world.oidc.revokeGrant(world.grants.google.grantId);
		print(
			`   the account owner revokes access for "${DEMO_NAMES.googleCredential}" (n8n's own Google Sheets credential) at the provider`,
		);
		world.alerts.clear();
		const response = await callProductionWebhook(server.baseUrl, NIGHTLY_SYNC_WEBHOOK_PATH, { trigger: 'demo' });
		check(response.status === 200, `the production webhook answered (HTTP ${response.status})`);
		const isDiagnosis = (request: { body: string }) =>
			(JSON.parse(request.body) as { type?: string }).type === 'io.n8n.tokenguard.error.diagnosed';
		const deliveries = await world.alerts.waitFor((requests) => requests.some(isDiagnosis), 60_000);
		const event = deliveries.find(isDiagnosis)!;
		const verdict = verifyStandardWebhook(
			DEMO_SIGNING_SECRET,
			event.headers,
			event.body,
			Math.floor(Date.now() / 1000),
		);
		check(verdict === null, `the alert's signature verifies (${verdict})`);

		let handled;
		for (let attempt = 0; attempt < 40 && !handled; attempt++) {
			handled = readExecutions(userFolder).find(
				(execution) => execution.workflowId === DEMO_IDS.errorHandlerWorkflow && execution.status === 'success',
			);
			if (!handled) await sleep(250);
		}
		const failed = readExecutions(userFolder).find(
			(execution) => execution.workflowId === DEMO_IDS.nightlySyncWorkflow && execution.status === 'error',
		);
		const [diagnosis] = storedNodeOutput(handled, 'Diagnose the failure', 0);
		check(failed && diagnosis, 'the failed run and the error workflow run are saved');
		check(
			diagnosis.category === 'refresh_token_invalid' && diagnosis.credential?.id === DEMO_IDS.googleCredential,
			'diagnosis names the credential',
		);
		print(
			`   "${DEMO_NAMES.nightlySyncWorkflow}" (execution ${failed.id}) failed: ${failed.data?.resultData?.error?.message}`,
		);
		print(
			`   → n8n ran the error workflow → Token Health diagnosed ${diagnosis.category} (action ${diagnosis.action}, severity ${diagnosis.severity})`,
		);
		print(
			`     for credential "${diagnosis.credential.name}" (id ${diagnosis.credential.id}), provider ${diagnosis.provider}`,
		);
		print(
			`   → signed alert delivered: CloudEvent ${JSON.parse(event.body).type}, Standard Webhooks signature verified`,
		);
		print(`   fix: ${String(diagnosis.remediation?.[0] ?? diagnosis.summary)}`);
	} finally {
		await server?.stop();
	}
}

/** Resolves to the process exit code. */
export async function runDemo(print: Print): Promise<number> {
	const started = Date.now();
	const env = e2eEnv();
	let world: DemoWorld | undefined;
	let userFolder: UserFolder | undefined;
	let keepUserFolder = false;
	print(
		`Token Guard demo: real n8n ${env.n8nVersion} (headless), a local OAuth provider, no account, no internet, no Docker`,
	);
	try {
		if (!existsSync(env.stampFile)) {
			print(
				`   first run: installing Node ${env.nodeVersion} and n8n ${env.n8nVersion} from the npm registry into ${tilde(env.cacheDir)}`,
			);
			print('   (downloaded once, reused afterwards; this takes several minutes the first time)');
		}
		let step = Date.now();
		await ensureN8nInstalled();
		print(
			`   ✓ n8n ${env.n8nVersion} on Node ${env.nodeVersion} ready (${tilde(env.cacheDir)}, ${seconds(Date.now() - step)})`,
		);
		step = Date.now();
		const tarball = await packRepo();
		userFolder = createUserFolder();
		const installed = await installPackageTarball(userFolder, tarball);
		print(
			`   ✓ built and packed ${installed.name}@${installed.version}, installed as Settings → Community Nodes would (${seconds(Date.now() - step)})`,
		);
		world = await startDemoWorld();
		print(
			`   ✓ local OAuth provider (oidc-provider, rotating refresh tokens) at ${world.oidc.issuer}, orders API, alert receiver`,
		);
		step = Date.now();
		await importCredentials(userFolder, world.credentials);
		await importWorkflow(userFolder, world.workflows);
		assertPackageLoaded(userFolder);
		for (const id of [DEMO_IDS.errorHandlerWorkflow, DEMO_IDS.nightlySyncWorkflow]) {
			const published = await n8n(['publish:workflow', `--id=${id}`], { userFolder });
			if (published.code !== 0) throw new DemoFailure(`publishing workflow ${id} failed`);
		}
		print(
			`   ✓ ${world.credentials.length} demo credentials and ${world.workflows.length} workflows imported (${seconds(Date.now() - step)})`,
		);

		await guardedApiCall(world, userFolder, print);
		await keepAlive(world, userFolder, print);
		await errorHandler(world, userFolder, print);

		print('');
		print(
			`Done in ${seconds(Date.now() - started)}. All traffic stayed on 127.0.0.1. Explore it in the editor: npm run dev`,
		);
		return 0;
	} catch (error) {
		print('');
		print(`DEMO FAILED: ${error instanceof Error ? error.message : String(error)}`);
		if (userFolder) {
			keepUserFolder = true;
			print(`--- n8n log tail (user folder kept for a look: ${userFolder.path}) ---\n${logTail(userFolder, 60)}`);
		}
		return 1;
	} finally {
		await world?.stop();
		if (!keepUserFolder) removeUserFolder(userFolder);
		await removePackedRepo();
	}
}
