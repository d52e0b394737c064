/**
 * `npm run dev`: n8n's editor on localhost with this package freshly built and installed as a community
 * node, the demo OAuth provider, APIs and alert receiver running, the demo credentials and the examples
 * imported, and an owner account to log in with. Runs until Ctrl-C, then stops everything it started.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import type { UserFolder } from '../n8n';
import {
	assertPackageLoaded,
	createUserFolder,
	e2eEnv,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	logTail,
	n8n,
	packRepo,
	readRepoPackageName,
	removePackedRepo,
} from '../n8n';
import { httpRequest } from '../../servers/httpClient';
import type { DemoWorld } from './demoWorld';
import { waitForPublishedVersions } from './database';
import { DEMO_IDS, DEMO_NAMES, DEMO_SIGNING_SECRET, NIGHTLY_SYNC_WEBHOOK_PATH, startDemoWorld } from './demoWorld';
import type { N8nServer } from './n8nServer';
import { callProductionWebhook, isPortFree, login, startN8nServer } from './n8nServer';
import { verifyStandardWebhook } from './standardWebhooks';
import type { ReceivedRequest } from './webhookSink';

export type Print = (line: string) => void;

/** The owner account `npm run dev` sets up; local only, printed on start. */
export const DEV_OWNER = {
	email: 'demo@token-guard.dev',
	password: 'TokenGuard-dev-1',
	firstName: 'Token',
	lastName: 'Guard',
};
export const DEFAULT_DEV_PORT = 5678;

export interface DevOptions {
	port?: number;
	/** Start, prove /healthz and the login work, stop (for a quick check or CI). */
	check?: boolean;
	print: Print;
	/** Resolves when the user wants to stop (Ctrl-C). */
	untilStopped: Promise<unknown>;
}

const tilde = (path: string) => path.replace(homedir(), '~');

/** n8n's user folder for dev work: kept between runs (workflows you build stay), under the e2e cache. */
function devUserFolder(): UserFolder {
	const path = join(e2eEnv().cacheDir, 'dev-user-folder');
	mkdirSync(path, { recursive: true });
	const template = createUserFolder();
	rmSync(template.path, { recursive: true, force: true });
	const logFile = join(path, 'n8n.log');
	// One run's log: assertPackageLoaded reads this run's loading lines, and debug logs add up.
	rmSync(logFile, { force: true });
	return {
		path,
		logFile,
		env: { ...template.env, N8N_USER_FOLDER: path, N8N_LOG_FILE_LOCATION: logFile, N8N_LOG_OUTPUT: 'file' },
	};
}

/** N8N_INSTANCE_OWNER_* (n8n 2.40): n8n creates or resets the owner at start from a bcrypt hash. */
export function ownerEnvironment(): Record<string, string> {
	const modulesDir = dirname(dirname(dirname(e2eEnv().n8nBin)));
	// bcryptjs ships with n8n (its own password hashing), so nothing extra is installed for this.
	const bcrypt = require(join(modulesDir, 'bcryptjs')) as { hashSync(password: string, rounds: number): string };
	return {
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: DEV_OWNER.email,
		N8N_INSTANCE_OWNER_FIRST_NAME: DEV_OWNER.firstName,
		N8N_INSTANCE_OWNER_LAST_NAME: DEV_OWNER.lastName,
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(DEV_OWNER.password, 10),
	};
}

/** One line per alert the receiver got: event type and summary, and whether the signature verifies. */
function describeAlert(request: ReceivedRequest): string {
	let body: Record<string, any> = {};
	try {
		body = JSON.parse(request.body) as Record<string, any>;
	} catch {
		return `[alert receiver] ${request.method} ${request.path}: ${request.body.slice(0, 200)}`;
	}
	if (typeof body.type !== 'string')
		return `[alert receiver] ${request.path}: ${String(body.severity)}: ${String(body.text)}`;
	const verdict = verifyStandardWebhook(
		DEMO_SIGNING_SECRET,
		request.headers,
		request.body,
		Math.floor(Date.now() / 1000),
	);
	const summary = body.data?.details?.summary ?? body.data?.category ?? '';
	return `[alert receiver] ${body.type} (signature ${verdict === null ? 'verified' : `INVALID: ${verdict}`}): ${String(summary)}`;
}

export async function runDev(options: DevOptions): Promise<number> {
	const { print } = options;
	const port = options.port ?? DEFAULT_DEV_PORT;
	const env = e2eEnv();
	let world: DemoWorld | undefined;
	let server: N8nServer | undefined;
	let userFolder: UserFolder | undefined;
	try {
		if (!(await isPortFree(port)))
			throw new Error(`port ${port} is in use (another n8n?). Stop it, or set TOKEN_GUARD_DEV_PORT.`);
		if (!existsSync(env.stampFile))
			print(
				`first run: installing Node ${env.nodeVersion} and n8n ${env.n8nVersion} into ${tilde(env.cacheDir)} (several minutes, once)`,
			);
		await ensureN8nInstalled();
		// Both packages, as a self-hosted user who opted in to unverified packages would have them.
		userFolder = devUserFolder();
		for (const kind of ['core', 'companion'] as const) {
			const tarball = await packRepo(kind);
			// A clean reinstall, so files removed from the package do not linger from the previous build.
			const installedDir = join(userFolder.path, '.n8n', 'nodes', 'node_modules', readRepoPackageName(kind));
			rmSync(installedDir, { recursive: true, force: true });
			const installed = await installPackageTarball(userFolder, tarball);
			print(`built and installed ${installed.name}@${installed.version} into ${tilde(userFolder.path)}`);
		}
		await removePackedRepo();

		world = await startDemoWorld({ onAlert: (request) => print(describeAlert(request)) });
		// Upserts by id: the demo credentials and workflows point at this run's local ports.
		await importCredentials(userFolder, world.credentials);
		await importWorkflow(userFolder, world.workflows);
		assertPackageLoaded(userFolder, readRepoPackageName('core'));
		assertPackageLoaded(userFolder, readRepoPackageName('companion'));
		for (const id of [DEMO_IDS.errorHandlerWorkflow, DEMO_IDS.nightlySyncWorkflow]) {
			const published = await n8n(['publish:workflow', `--id=${id}`], { userFolder });
			if (published.code !== 0) throw new Error(`publishing workflow ${id} failed`);
		}

		server = await startN8nServer(userFolder, { port, publicHost: 'localhost', env: ownerEnvironment() });
		await waitForPublishedVersions(userFolder, [DEMO_IDS.errorHandlerWorkflow, DEMO_IDS.nightlySyncWorkflow]);
		const health = await httpRequest(`${server.baseUrl}/healthz`);
		if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
		await login(server.baseUrl, DEV_OWNER.email, DEV_OWNER.password);

		const editorUrl = `http://localhost:${port}`;
		print('');
		print(`n8n ${env.n8nVersion} editor: ${editorUrl}`);
		print(`log in as ${DEV_OWNER.email} / ${DEV_OWNER.password}   (login checked)`);
		print('');
		print(`credentials: ${world.credentials.map((credential) => `"${credential.name}"`).join(', ')}`);
		print(`workflows:   ${world.workflows.map((workflow) => `"${workflow.name}"`).join(', ')}`);
		print(
			`local OAuth provider ${world.oidc.issuer}, orders API ${world.ordersApi.baseUrl}, alert receiver ${world.alerts.baseUrl}`,
		);
		print('');
		print(
			`try: open "Token Guard: guarded API call" and press Execute workflow (the orders API starts answering 401 after 3 calls)`,
		);
		print(
			`try: revoke "${DEMO_NAMES.googleCredential}" at the provider, then run "${DEMO_NAMES.nightlySyncWorkflow}" through its production webhook:`,
		);
		print(`     curl -X POST ${world.oidc.issuer}/__admin/grants/${world.grants.google.grantId}/revoke`);
		print(`     curl -X POST ${editorUrl}/webhook/${NIGHTLY_SYNC_WEBHOOK_PATH}`);
		print('     → it fails, the OAuth error handler runs, and its signed alert is printed here');
		print(`n8n log: ${tilde(userFolder.logFile)}   (demo workflows and credentials are re-imported on every start)`);

		if (options.check) {
			// The imported error handler is the published version n8n serves: a revoked grant is diagnosed as such.
			await world.oidc.revokeGrant(world.grants.google.grantId);
			const response = await callProductionWebhook(server.baseUrl, NIGHTLY_SYNC_WEBHOOK_PATH, {
				trigger: 'dev --check',
			});
			if (response.status !== 200) throw new Error(`the nightly sync webhook answered ${response.status}`);
			const diagnosed = (request: { body: string }) => request.body.includes('"category":"refresh_token_invalid"');
			await world.alerts.waitFor((requests) => requests.some(diagnosed), 60_000);
			print(
				'check passed: /healthz 200, owner login works, a revoked grant was diagnosed by the error workflow and alerted; stopping.',
			);
			return 0;
		}
		print('Ctrl-C stops n8n and the demo services.');
		const ended = await Promise.race([
			options.untilStopped.then(() => 'stopped' as const),
			server.exited.then(() => 'n8n exited' as const),
		]);
		if (ended === 'n8n exited') {
			print(`n8n exited unexpectedly\n--- log tail ---\n${logTail(userFolder, 60)}`);
			return 1;
		}
		print('stopping…');
		return 0;
	} catch (error) {
		print(`npm run dev failed: ${error instanceof Error ? error.message : String(error)}`);
		if (userFolder) print(`--- n8n log tail ---\n${logTail(userFolder, 60)}`);
		return 1;
	} finally {
		await server?.stop();
		await world?.stop();
		await removePackedRepo();
	}
}
