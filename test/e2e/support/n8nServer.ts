/**
 * `n8n start` as a long-running child process: the editor, the REST API, production webhooks and,
 * unlike `n8n execute`, a process that stays up while n8n dispatches error workflows (n8n 2.40's
 * `execute` exits right after the failed run, killing the error workflow it just started).
 * With `command: 'worker'` the same for a queue-mode worker (test/queue): `port` is then its health server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

import { httpRequest } from '../../servers/httpClient';
import { e2eEnv, logTail } from '../n8n';
import type { UserFolder } from '../n8n';

export interface N8nServerOptions {
	/** `start` (main: editor, API, webhooks) or `worker` (queue mode: runs executions, serves only /healthz). */
	command?: 'start' | 'worker';
	/** Editor/REST/webhook port; a free one when omitted. */
	port?: number;
	/** Listen address; 127.0.0.1 unless told otherwise. */
	host?: string;
	/** Host name in the editor's own links (e.g. localhost); the listen address when omitted. */
	publicHost?: string;
	/** Extra environment (e.g. the owner set-up variables). */
	env?: Record<string, string>;
	readyTimeoutMs?: number;
	/** Pass n8n's console output through (dev); otherwise it is kept for failure messages. */
	inheritOutput?: boolean;
}

export interface N8nServer {
	baseUrl: string;
	port: number;
	pid: number;
	/** The last part of n8n's console output (empty with inheritOutput). */
	output(): string;
	/** SIGTERM to n8n's process group, SIGKILL if it has not exited after `graceMs`. */
	stop(graceMs?: number): Promise<void>;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const OUTPUT_LIMIT = 200_000;

export async function freePort(host = '127.0.0.1'): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, host, () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
	return await new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(false));
		server.listen(port, host, () => server.close(() => resolve(true)));
	});
}

export async function startN8nServer(userFolder: UserFolder, options: N8nServerOptions = {}): Promise<N8nServer> {
	const { nodeBinary, n8nBin } = e2eEnv();
	const host = options.host ?? '127.0.0.1';
	const port = options.port ?? (await freePort(host));
	const brokerPort = await freePort();
	const baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
	const publicUrl = `http://${options.publicHost ?? (host === '0.0.0.0' ? 'localhost' : host)}:${port}`;
	const command = options.command ?? 'start';
	// A worker's only HTTP server is its health check (/healthz, /healthz/readiness), on `port`.
	const workerEnv: Record<string, string> =
		command === 'worker'
			? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port), N8N_WORKER_SERVER_ADDRESS: host }
			: {};
	const child: ChildProcess = spawn(nodeBinary, [n8nBin, command], {
		cwd: userFolder.path,
		env: {
			...userFolder.env,
			...workerEnv,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: host,
			N8N_HOST: new URL(publicUrl).hostname,
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${publicUrl}/`,
			N8N_WEBHOOK_URL: `${publicUrl}/`,
			// Plain http on loopback: a Secure auth cookie would never be sent back.
			N8N_SECURE_COOKIE: 'false',
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_PERSONALIZATION_ENABLED: 'false',
			...options.env,
		},
		detached: true,
		stdio: options.inheritOutput ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const keep = (chunk: Buffer) => {
		output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
		child.once('exit', (code, signal) => resolve({ code, signal }));
	});
	let hasExited = false;
	void exited.then(() => (hasExited = true));

	const stop = async (graceMs = 20_000) => {
		if (hasExited || child.pid === undefined) return;
		const signalGroup = (signal: NodeJS.Signals) => {
			try {
				process.kill(-child.pid!, signal);
			} catch {
				// Already gone.
			}
		};
		signalGroup('SIGTERM');
		const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
		await exited;
		clearTimeout(timer);
		// The task runner n8n started may outlive it for a moment; it is in the same group.
		signalGroup('SIGKILL');
	};

	const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
	for (;;) {
		if (hasExited) {
			throw new Error(
				`n8n ${command} exited before it was ready\n--- output ---\n${output.slice(-4000)}\n--- log tail ---\n${logTail(userFolder)}`,
			);
		}
		const ready = await httpRequest(`${baseUrl}/healthz/readiness`, { timeoutMs: 2000 }).catch(() => undefined);
		// n8n 1.x reports ready before it mounts the REST API; the settings endpoint (no login) answers once it has.
		const restReady =
			command !== 'start' ||
			(await httpRequest(`${baseUrl}/rest/settings`, { timeoutMs: 2000 }).catch(() => undefined))?.status === 200;
		if (ready?.status === 200 && restReady) break;
		if (Date.now() > deadline) {
			await stop(2000);
			throw new Error(
				`n8n ${command} was not ready within ${options.readyTimeoutMs ?? 120_000} ms\n--- log tail ---\n${logTail(userFolder)}`,
			);
		}
		await sleep(250);
	}
	return { baseUrl, port, pid: child.pid!, output: () => output, stop, exited };
}

/** Logs in through the REST API the editor uses; resolves to the session cookie. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
	await setUpOwnerIfMissing(baseUrl, email, password);
	const response = await httpRequest(`${baseUrl}/rest/login`, {
		method: 'POST',
		body: { emailOrLdapLoginId: email, password },
		timeoutMs: 10_000,
	});
	const cookie = ([] as string[])
		.concat(response.headers['set-cookie'] ?? [])
		.find((value) => value.startsWith('n8n-auth='));
	if (response.status !== 200 || !cookie) {
		throw new Error(`login as ${email} failed: HTTP ${response.status} ${response.text.slice(0, 300)}`);
	}
	return cookie.split(';')[0];
}

/**
 * n8n 1.x has no N8N_INSTANCE_OWNER_* (ownerEnvironment): while its public settings say the owner is still to
 * be set up, this sets it up through the API the editor's setup page uses, with the credentials to log in with.
 */
export async function setUpOwnerIfMissing(baseUrl: string, email: string, password: string): Promise<void> {
	const settings = await httpRequest(`${baseUrl}/rest/settings`, { timeoutMs: 10_000 });
	const json = settings.json as { data?: { userManagement?: { showSetupOnFirstLoad?: boolean } } } | undefined;
	if (json?.data?.userManagement?.showSetupOnFirstLoad !== true) return;
	const setup = await httpRequest(`${baseUrl}/rest/owner/setup`, {
		method: 'POST',
		body: { email, password, firstName: 'Token Guard', lastName: 'Owner' },
		timeoutMs: 10_000,
	});
	if (setup.status !== 200) throw new Error(`owner setup failed: HTTP ${setup.status} ${setup.text.slice(0, 300)}`);
}

/**
 * POSTs to a production webhook until n8n has registered it (404 while the workflow is still being
 * activated after start-up), then returns n8n's answer.
 */
export async function callProductionWebhook(baseUrl: string, path: string, body: object, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await httpRequest(`${baseUrl}/webhook/${path}`, { method: 'POST', body, timeoutMs: 30_000 });
		if (response.status !== 404 || Date.now() > deadline) return response;
		await sleep(500);
	}
}
