/**
 * Smoke test of the real-n8n tier: the packed package installs into a fresh n8n user folder the way the
 * Community Nodes UI installs it, n8n loads it, and the headless commands the e2e tests build on
 * (import:credentials, import:workflow, execute --id, export:credentials) work end to end.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import {
	assertPackageLoaded,
	createUserFolder,
	ensureN8nInstalled,
	executeWorkflow,
	exportCredentials,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	n8n,
	nodeOutput,
	packRepo,
	removePackedRepo,
	removeUserFolder,
	type E2eEnv,
	type UserFolder,
} from './n8n';

const SETUP_TIMEOUT_MS = 30 * 60_000;

const CREDENTIAL_ID = 'smokeCredential1';
const CREDENTIAL_DATA = {
	tokenUrl: 'http://127.0.0.1:9/token',
	clientId: 'smoke-client',
	clientSecret: 'smoke-client-secret-value',
	clientAuthentication: 'header',
	refreshToken: 'smoke-refresh-token-value',
	scope: 'openid offline_access',
};

const WORKFLOW_ID = 'smokeWorkflow001';
const WORKFLOW = {
	id: WORKFLOW_ID,
	name: 'Token Guard e2e smoke',
	active: false,
	settings: {},
	nodes: [
		{
			id: '6a1f7c3e-0000-4000-8000-000000000001',
			name: 'When clicking Execute',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: '6a1f7c3e-0000-4000-8000-000000000002',
			name: 'Pass Through',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [220, 0],
			parameters: {},
		},
	],
	connections: {
		'When clicking Execute': { main: [[{ node: 'Pass Through', type: 'main', index: 0 }]] },
	},
};

const timings: Record<string, number> = {};
const foldersToRemove: UserFolder[] = [];
const directoriesToRemove: string[] = [];

/** A community package whose package.json lists a node file that does not exist. */
function packBrokenPackage(name: string): string {
	const root = mkdtempSync(join(tmpdir(), 'token-guard-broken-'));
	directoriesToRemove.push(root);
	mkdirSync(join(root, 'package'));
	writeFileSync(
		join(root, 'package', 'package.json'),
		JSON.stringify({ name, version: '1.0.0', n8n: { n8nNodesApiVersion: 1, nodes: ['dist/Missing.node.js'] } }),
	);
	const tarball = join(root, `${name}-1.0.0.tgz`);
	const tar = spawnSync('tar', ['-czf', tarball, '-C', root, 'package'], { encoding: 'utf8' });
	if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
	return tarball;
}

let env: E2eEnv;
let userFolder: UserFolder;

beforeAll(async () => {
	let started = Date.now();
	env = await ensureN8nInstalled();
	timings.setupMs = Date.now() - started;

	started = Date.now();
	const tarball = await packRepo();
	timings.packMs = Date.now() - started;

	userFolder = createUserFolder();
	foldersToRemove.push(userFolder);
	started = Date.now();
	await installPackageTarball(userFolder, tarball);
	timings.installTarballMs = Date.now() - started;
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	for (const folder of foldersToRemove) removeUserFolder(folder);
	for (const directory of directoriesToRemove) rmSync(directory, { recursive: true, force: true });
	await removePackedRepo();
	// Not assertions: the numbers the e2e tier's budget is planned with.
	process.stderr.write(`[e2e-timing] ${JSON.stringify({ n8n: env?.n8nVersion, ...timings })}\n`);
});

describe(`real n8n (versions.env) with the packed package installed under .n8n/nodes`, () => {
	it('imports a credential of our type and exports it decrypted with the same data', async () => {
		const imported = await importCredentials(userFolder, [
			{ id: CREDENTIAL_ID, name: 'Smoke refresh token', type: 'tokenGuardRefreshTokenApi', data: CREDENTIAL_DATA },
		]);
		timings.importCredentialsMs = imported.durationMs;

		const started = Date.now();
		const [decrypted] = await exportCredentials(userFolder, { decrypted: true, id: CREDENTIAL_ID });
		timings.exportCredentialsMs = Date.now() - started;
		const [encrypted] = await exportCredentials(userFolder, { id: CREDENTIAL_ID });

		expect(decrypted).toMatchObject({ id: CREDENTIAL_ID, type: 'tokenGuardRefreshTokenApi' });
		expect(decrypted.data).toEqual(CREDENTIAL_DATA);
		// Stored encrypted: without --decrypted the data is an opaque string that leaks no secret.
		expect(typeof encrypted.data).toBe('string');
		expect(encrypted.data).not.toContain(CREDENTIAL_DATA.refreshToken);
		expect(encrypted.data).not.toContain(CREDENTIAL_DATA.clientSecret);
	});

	it('n8n loaded the package with every node and credential its package.json lists', () => {
		// Every n8n command loads community packages at start; the import above has run one.
		expect(() => assertPackageLoaded(userFolder)).not.toThrow();
	});

	it('assertPackageLoaded fails loudly for a package n8n cannot load (n8n itself only logs it)', async () => {
		const brokenFolder = createUserFolder();
		foldersToRemove.push(brokenFolder);
		await installPackageTarball(brokenFolder, packBrokenPackage('n8n-nodes-e2e-broken'));

		const listing = await n8n(['list:workflow'], { userFolder: brokenFolder });

		expect(listing.code).toBe(0);
		expect(() => assertPackageLoaded(brokenFolder, 'n8n-nodes-e2e-broken')).toThrow(
			/could not load n8n-nodes-e2e-broken[\s\S]*Missing\.node\.js/,
		);
	});

	it('imports a Manual Trigger → No Op workflow and executes it by id', async () => {
		const imported = await importWorkflow(userFolder, WORKFLOW);
		timings.importWorkflowMs = imported.durationMs;

		const outcome = await executeWorkflow(userFolder, WORKFLOW_ID);
		timings.executeMs = outcome.result.durationMs;

		expect(outcome.errorMessage).toBeUndefined();
		expect(outcome.status).toBe('success');
		expect(Object.keys(outcome.run?.data?.resultData?.runData ?? {}).sort()).toEqual(
			['Pass Through', 'When clicking Execute'].sort(),
		);
		expect(nodeOutput(outcome.run, 'Pass Through')).toEqual([{}]);
	});

	it('reports a workflow that references an unknown node type as a failed execution', async () => {
		const brokenId = 'smokeWorkflow002';
		await importWorkflow(userFolder, {
			...WORKFLOW,
			id: brokenId,
			name: 'Token Guard e2e smoke (unknown node)',
			nodes: [WORKFLOW.nodes[0], { ...WORKFLOW.nodes[1], type: 'n8n-nodes-token-guard.doesNotExist' }],
		});

		const outcome = await executeWorkflow(userFolder, brokenId);

		expect(outcome.status).toBe('error');
		expect(outcome.result.code).not.toBe(0);
		expect(outcome.errorMessage).toMatch(/doesNotExist/);
	});
});
