/**
 * The companion package alone in a real n8n (no core package installed), installed as the Community Nodes UI
 * installs it: n8n loads both its nodes and its own webhook credential type, and Token Health (Built-in
 * Credentials) checks one of n8n's built-in credentials (a Google Sheets one), refreshes it through n8n and sends
 * its signed event through the companion's webhook credential.
 */
import { randomBytes } from 'node:crypto';

import type { OidcServerHandle } from '../servers/oidcServer';
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
	readRepoPackageName,
	removePackedRepo,
	removeUserFolder,
} from './n8n';
import { clientFor, connectCredential, storedRefreshToken, webhookCredential } from './support/credentials';
import { withN8nLog } from './support/logOnFailure';
import { verifyStandardWebhook } from './support/standardWebhooks';
import type { WebhookSink } from './support/webhookSink';
import { startWebhookSink } from './support/webhookSink';
import { manualWorkflow } from './support/workflows';

const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 5 * 60_000;

const SHEETS = { id: 'e2eCompanionGsh1', name: 'Companion Google Sheets', type: 'googleSheetsOAuth2Api' as const };
const ALERTS = { id: 'e2eCompanionHook', name: 'Companion alerts', type: 'tokenGuardBuiltInWebhookApi' as const };
const WORKFLOW_ID = 'e2eCompanionChk1';
const SIGNING_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let userFolder: UserFolder;
let oidc: OidcServerHandle;
let sink: WebhookSink;
let initialRefreshToken = '';

beforeAll(async () => {
	await ensureN8nInstalled();
	const tarball = await packRepo('companion');
	oidc = await startOidcServer();
	sink = await startWebhookSink();
	const grant = await oidc.mintGrant({ clientId: clientFor(oidc, SHEETS.type) });
	initialRefreshToken = grant.refreshToken;

	userFolder = createUserFolder();
	await installPackageTarball(userFolder, tarball);
	await importCredentials(userFolder, [
		connectCredential(oidc, grant, SHEETS),
		webhookCredential(ALERTS, sink.url('companion'), SIGNING_SECRET),
	]);
	await importWorkflow(userFolder, [
		manualWorkflow(WORKFLOW_ID, 'Companion: check a built-in Google Sheets credential', [
			{
				name: 'Check Sheets',
				type: 'n8n-nodes-token-guard-builtin.tokenHealthBuiltIn',
				typeVersion: 1,
				parameters: { operation: 'checkCredential', credentialType: SHEETS.type, refreshNow: true, sendEvents: true },
				credentials: {
					[SHEETS.type]: { id: SHEETS.id, name: SHEETS.name },
					[ALERTS.type]: { id: ALERTS.id, name: ALERTS.name },
				},
			},
		]),
	]);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
	await Promise.all([oidc?.stop(), sink?.stop()]);
	removeUserFolder(userFolder);
	await removePackedRepo();
});

describe('the companion package on its own', () => {
	it(
		'checks and refreshes a built-in credential and signs its event with the companion webhook credential',
		withN8nLog(
			() => userFolder,
			async () => {
				const outcome = await executeWorkflow(userFolder, WORKFLOW_ID);
				if (outcome.status !== 'success') {
					throw new Error(`execution failed: ${outcome.errorMessage}\n--- n8n log tail ---\n${logTail(userFolder)}`);
				}
				assertPackageLoaded(userFolder, readRepoPackageName('companion'));
				expect(() => assertPackageLoaded(userFolder, readRepoPackageName('core'))).toThrow(/is not installed/);

				const [item] = nodeOutput(outcome.run, 'Check Sheets', 0, 1);
				expect(item).toMatchObject({ status: 'healthy', credential: { type: SHEETS.type } });
				const [stored] = await exportCredentials(userFolder, { decrypted: true, id: SHEETS.id });
				expect(storedRefreshToken(stored.data)).toEqual(expect.any(String));
				expect(storedRefreshToken(stored.data)).not.toBe(initialRefreshToken);

				const [delivery] = await sink.waitFor((requests) => requests.length > 0, 30_000);
				expect(JSON.parse(delivery.body).type).toMatch(/^io\.n8n\.tokenguard\./);
				expect(verifyStandardWebhook(SIGNING_SECRET, delivery.headers, delivery.body, Date.now() / 1000)).toBeNull();
			},
		),
		TEST_TIMEOUT_MS,
	);
});
