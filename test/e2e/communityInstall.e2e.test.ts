/**
 * The install path a user takes: the packed package is published to a local registry (verdaccio on loopback,
 * no uplinks) and installed through the editor's Settings → Community Nodes in headless Chromium, then both
 * nodes must be findable in the node creator and listed by GET /rest/community-packages.
 *
 * n8n 2.40 only installs from a non-default N8N_COMMUNITY_PACKAGES_REGISTRY when the license has
 * feat:communityNodes:customRegistry (CommunityPackagesService.getNpmRegistry); the instance runs with
 * E2E_TESTS=true so n8n's own E2EController can switch that one feature on (PATCH /rest/e2e/feature).
 * Needs test/e2e/setup (which runs test/browser/setup): n8n, Node 24, verdaccio and /usr/bin/chromium.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';

import { CHROMIUM_PATH, launchBrowser, screenshot } from '../browser/browser';
import type { BrowserSession } from '../browser/browser';
import { httpRequest } from '../servers/httpClient';
import type { UserFolder } from './n8n';
import {
	createUserFolder,
	e2eEnv,
	ensureN8nInstalled,
	logTail,
	packRepo,
	removePackedRepo,
	removeUserFolder,
	withoutNpmConfig,
} from './n8n';
import { DEV_OWNER, ownerEnvironment } from './support/dev';
import type { N8nServer } from './support/n8nServer';
import { freePort, login, setUpOwnerIfMissing, startN8nServer } from './support/n8nServer';

const PACKAGE_NAME = 'n8n-nodes-token-guard';
const NODE_TYPES = [`${PACKAGE_NAME}.forceRefresh`, `${PACKAGE_NAME}.tokenHealth`];
const VERDACCIO_VERSION = '6.8.0';
const REGISTRY_USER = { name: 'token-guard-e2e', password: 'token-guard-e2e-password' };

interface Registry {
	url: string;
	dir: string;
	output(): string;
	stop(): Promise<void>;
}

let registry: Registry | undefined;
let server: N8nServer | undefined;
let userFolder: UserFolder | undefined;
let session: BrowserSession | undefined;

function verdaccioBin(): string {
	return join(e2eEnv().cacheDir, `verdaccio-${VERDACCIO_VERSION}`, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	try {
		if (child.pid !== undefined) process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}

/** verdaccio on 127.0.0.1 with its own storage: no uplinks, so a package it does not hold is a 404. */
async function startVerdaccio(): Promise<Registry> {
	const dir = mkdtempSync(join(tmpdir(), 'token-guard-verdaccio-'));
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const configPath = join(dir, 'config.yaml');
	writeFileSync(
		configPath,
		[
			`storage: ${join(dir, 'storage')}`,
			'auth:',
			'  htpasswd:',
			`    file: ${join(dir, 'htpasswd')}`,
			'    max_users: 10',
			'uplinks: {}',
			'packages:',
			"  'n8n-nodes-*':",
			'    access: $all',
			'    publish: $all',
			"  '**':",
			'    access: $all',
			'    publish: $authenticated',
			'log: { type: stdout, format: pretty, level: warn }',
			'',
		].join('\n'),
	);
	// verdaccio runs on the jest process's Node (20), not n8n's Node 24.
	const child: ChildProcess = spawn(process.execPath, [verdaccioBin(), '--config', configPath, '--listen', url], {
		cwd: dir,
		env: withoutNpmConfig(process.env),
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	let exited = false;
	const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	void exit.then(() => (exited = true));
	const stop = async () => {
		if (!exited && child.pid !== undefined) {
			killGroup(child, 'SIGTERM');
			const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
			await exit;
			clearTimeout(timer);
		}
		rmSync(dir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (exited) throw new Error(`verdaccio exited before it was ready:\n${output}`);
		const ping = await httpRequest(`${url}/-/ping`, { timeoutMs: 2000 }).catch(() => undefined);
		if (ping?.status === 200) return { url, dir, output: () => output, stop };
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`verdaccio was not ready within 30 s:\n${output}`);
		}
		await sleep(200);
	}
}

/** Publishes the tarball; npm 11 refuses to publish without a token, so one comes from verdaccio's adduser. */
async function publish(target: Registry, tarball: string): Promise<void> {
	const user = await httpRequest(`${target.url}/-/user/org.couchdb.user:${REGISTRY_USER.name}`, {
		method: 'PUT',
		body: { name: REGISTRY_USER.name, password: REGISTRY_USER.password, type: 'user', roles: [] },
		timeoutMs: 10_000,
	});
	const token = (user.json as { token?: string } | undefined)?.token;
	if (user.status !== 201 || !token) throw new Error(`verdaccio adduser: HTTP ${user.status} ${user.text}`);
	const userconfig = join(target.dir, 'npmrc');
	const host = new URL(target.url).host;
	writeFileSync(userconfig, `registry=${target.url}/\n//${host}/:_authToken=${token}\n`);
	// cwd is the registry's own directory, so the repo's .npmrc is not read either.
	const workDir = join(target.dir, 'publish');
	mkdirSync(workDir);
	const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
		const child = spawn('npm', ['publish', tarball, '--registry', target.url, '--userconfig', userconfig], {
			cwd: workDir,
			env: withoutNpmConfig(process.env),
			detached: true,
		});
		const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 120_000);
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
		child.once('error', reject);
		child.once('close', (code) => {
			clearTimeout(timer);
			resolve({ code, output });
		});
	});
	if (result.code !== 0) throw new Error(`npm publish failed (exit ${result.code}):\n${result.output}`);
}

async function shot(page: Page, name: string): Promise<void> {
	const path = await screenshot(page, `community-install-${name}`);
	process.stderr.write(`[e2e] screenshot ${path}\n`);
}

beforeAll(async () => {
	await ensureN8nInstalled();
	for (const required of [verdaccioBin(), CHROMIUM_PATH]) {
		if (!existsSync(required))
			throw new Error(`${required} is missing: run test/e2e/setup (it runs test/browser/setup)`);
	}
	const tarball = await packRepo();
	registry = await startVerdaccio();
	await publish(registry, tarball);
	const metadata = await httpRequest(`${registry.url}/${PACKAGE_NAME}`, { timeoutMs: 10_000 });
	if (metadata.status !== 200) throw new Error(`registry does not serve ${PACKAGE_NAME}: HTTP ${metadata.status}`);

	userFolder = createUserFolder({ E2E_TESTS: 'true' });
	// n8n 1.x runs `npm outdated` (GET /rest/community-packages) in .n8n/nodes with an environment of its own that
	// drops npm_config_registry; a project .npmrc there keeps it on the loopback registry (2.x reads it too).
	mkdirSync(join(userFolder.path, '.n8n', 'nodes'), { recursive: true });
	writeFileSync(join(userFolder.path, '.n8n', 'nodes', '.npmrc'), `registry=${registry.url}/\n`);
	const deadProxy = `http://127.0.0.1:${await freePort()}`;
	server = await startN8nServer(userFolder, {
		env: {
			...ownerEnvironment(),
			N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url,
			// `npm outdated` (GET /rest/community-packages) ignores the setting above; every npm n8n runs uses this.
			npm_config_registry: registry.url,
			// n8n's own calls home (package status, vetted-node list) fail fast on a closed loopback port instead.
			HTTP_PROXY: deadProxy,
			HTTPS_PROXY: deadProxy,
		},
	});
	const feature = await httpRequest(`${server.baseUrl}/rest/e2e/feature`, {
		method: 'PATCH',
		body: { feature: 'feat:communityNodes:customRegistry', enabled: true },
		timeoutMs: 10_000,
	});
	if (feature.status !== 200) throw new Error(`enabling the custom registry: HTTP ${feature.status} ${feature.text}`);
	// Before the editor opens: n8n 1.x would show its owner set-up page instead of the sign-in form.
	await setUpOwnerIfMissing(server.baseUrl, DEV_OWNER.email, DEV_OWNER.password);
	session = await launchBrowser();
}, 300_000);

afterAll(async () => {
	await session?.close();
	await server?.stop();
	await registry?.stop();
	removeUserFolder(userFolder);
	await removePackedRepo();
}, 60_000);

/** Runs the browser steps; a failure gets a screenshot, the editor's toasts and n8n's log tail attached. */
async function inEditor(steps: (page: Page, baseUrl: string) => Promise<void>): Promise<void> {
	const page = session!.page;
	try {
		await steps(page, server!.baseUrl);
	} catch (error) {
		await shot(page, 'failed').catch(() => undefined);
		// Diagnostics only: n8n reports a failed install in an element-plus notification.
		const toasts = await page
			.locator('.el-notification')
			.allTextContents()
			.catch(() => []);
		const message = error instanceof Error ? error.message : String(error);
		throw new Error(
			`${message}\n--- editor notifications ---\n${toasts.join('\n')}\n--- n8n log tail ---\n${logTail(userFolder!, 40)}`,
		);
	}
}

test('installs from the registry through Settings → Community Nodes and both nodes reach the node creator', async () => {
	await inEditor(async (page, baseUrl) => {
		await page.goto(`${baseUrl}/signin`);
		const signinForm = page.getByTestId('signin-form');
		await signinForm.locator('input[name="emailOrLdapLoginId"]').fill(DEV_OWNER.email);
		await signinForm.locator('input[name="password"]').fill(DEV_OWNER.password);
		await shot(page, '01-signin');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });

		await page.goto(`${baseUrl}/settings/community-nodes`);
		await page
			.getByRole('button', { name: /install/i })
			.first()
			.click();
		const packageName = page.getByPlaceholder('e.g. n8n-nodes-chatwork');
		await packageName.fill(PACKAGE_NAME);
		await page.getByTestId('user-agreement-checkbox').click();
		await shot(page, '02-install-modal');
		await page.getByTestId('install-community-package-button').click();

		const card = page.getByTestId('community-package-card').filter({ hasText: PACKAGE_NAME });
		// n8n answers a failed install with an error notification; stop waiting for the card then.
		const installError = page.getByText('Error installing new package');
		await card.or(installError).first().waitFor({ state: 'visible', timeout: 90_000 });
		if (await installError.isVisible()) throw new Error('the editor reported a failed install');
		await page.getByTestId('install-community-package-button').waitFor({ state: 'hidden', timeout: 30_000 });
		await expect(card.textContent()).resolves.toMatch(/Force Refresh.*Token Health/);
		await shot(page, '03-installed');

		await page.goto(`${baseUrl}/workflow/new`);
		await page.getByTestId('canvas-add-button').or(page.getByTestId('canvas-plus-button')).first().click();
		const search = page.getByTestId('node-creator-search-bar');
		for (const [index, title] of ['Force Refresh', 'Token Health'].entries()) {
			await search.fill(title);
			const item = page.getByTestId('node-creator-item-name').filter({ hasText: new RegExp(`^${title}$`) });
			await item.first().waitFor({ state: 'visible', timeout: 20_000 });
			await shot(page, `0${4 + index}-node-creator-${title.replace(' ', '-').toLowerCase()}`);
			expect(await item.count()).toBeGreaterThanOrEqual(1);
		}
	});

	const baseUrl = server!.baseUrl;

	const cookie = await login(baseUrl, DEV_OWNER.email, DEV_OWNER.password);
	const packages = await httpRequest(`${baseUrl}/rest/community-packages`, { headers: { cookie }, timeoutMs: 30_000 });
	expect(packages.status).toBe(200);
	const installed = (
		packages.json.data as Array<{ packageName: string; installedNodes: Array<{ type: string }> }>
	).find((entry) => entry.packageName === PACKAGE_NAME);
	expect(installed).toBeDefined();
	expect(installed!.installedNodes.map((node) => node.type).sort()).toEqual(NODE_TYPES);
}, 240_000);
