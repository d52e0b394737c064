/**
 * What a person sees after running the nodes in n8n's editor (real n8n 2.40.7, headless Chromium): Request With
 * Auto-Refresh puts its run summary in the output pane ("1 refresh; 1 of 5 items replayed…"), and Diagnose
 * Error's Table view starts with the summary column. Screenshots go to test-results/ui/.
 */
import { join } from 'node:path';

import type { Page } from 'playwright-core';

import type { OidcServerHandle } from '../servers/oidcServer';
import { startOidcServer } from '../servers/oidcServer';
import { connectCredential } from '../e2e/support/credentials';
import { manualWorkflow } from '../e2e/support/workflows';
import type { Workflow } from '../e2e/support/workflows';
import type { EditorWorld } from './editor';
import { ndv, startEditorWorld } from './editor';

process.env.TOKEN_GUARD_SCREENSHOTS ??= join(__dirname, '..', '..', 'test-results', 'ui');

const CREDENTIAL = { id: 'uiRunCredential1', name: 'Orders API', type: 'tokenGuardOAuth2Api' as const };
const GUARDED_ID = 'uiGuardedRun0001';
const DIAGNOSE_ID = 'uiDiagnoseRun001';

let oidc: OidcServerHandle;
let world: EditorWorld;

/** Manual Trigger with pinned items → one node: what the user runs from the editor. */
function pinnedRun(
	id: string,
	name: string,
	node: Workflow['nodes'][number] | Parameters<typeof manualWorkflow>[2][number],
	items: object[],
): Workflow {
	return { ...manualWorkflow(id, name, [node]), pinData: { Start: items.map((json) => ({ json })) } };
}

beforeAll(async () => {
	oidc = await startOidcServer({ accessTokenTtlSeconds: 60 });
	const grant = await oidc.mintGrant();
	const stale = connectCredential(oidc, { ...grant, accessToken: 'ui-stale-access-token' }, CREDENTIAL);
	world = await startEditorWorld({
		credentials: [stale],
		workflows: [
			pinnedRun(
				GUARDED_ID,
				'UI: guarded call',
				{
					name: 'Call API',
					type: 'n8n-nodes-token-guard.forceRefresh',
					typeVersion: 2,
					parameters: { credentialType: CREDENTIAL.type, operation: 'request', url: oidc.apiUrl('me'), concurrency: 1 },
					credentials: { [CREDENTIAL.type]: { id: CREDENTIAL.id, name: CREDENTIAL.name } },
				},
				[1, 2, 3, 4, 5].map((order) => ({ order })),
			),
			pinnedRun(
				DIAGNOSE_ID,
				'UI: diagnose',
				{
					name: 'Diagnose',
					type: 'n8n-nodes-token-guard.tokenHealth',
					typeVersion: 2,
					parameters: { operation: 'diagnoseError' },
				},
				[{ error: 'The credential "Gmail account" needs to be reconnected.' }],
			),
		],
	});
}, 600_000);
afterAll(async () => {
	await world?.stop();
	await oidc?.stop();
}, 60_000);

/** Opens the workflow, runs it from the editor and opens the node's panel on its output. */
async function runAndOpen(page: Page, workflowId: string, nodeName: string): Promise<void> {
	await page.goto(`${world.baseUrl}/workflow/${workflowId}`);
	await page.getByTestId('execute-workflow-button').first().click();
	await page.getByTestId('canvas-node').filter({ hasText: nodeName }).first().dblclick({ timeout: 30_000 });
	await ndv(page).getByTestId('output-panel').waitFor({ state: 'visible', timeout: 30_000 });
}

test('Request With Auto-Refresh shows the run summary in the output pane', async () => {
	const { page } = world;
	await runAndOpen(page, GUARDED_ID, 'Call API');
	const hint = ndv(page).getByText(/1 refresh; 1 of 5 items replayed after the token expired/);
	await hint.first().waitFor({ state: 'visible', timeout: 30_000 });
	await world.shot('run-01-guarded-summary');
	expect(await hint.count()).toBeGreaterThan(0);
}, 120_000);

test("Diagnose Error's Table view starts with the summary", async () => {
	const { page } = world;
	await runAndOpen(page, DIAGNOSE_ID, 'Diagnose');
	const output = ndv(page).getByTestId('output-panel');
	await output.getByTestId('radio-button-table').click();
	const firstHeader = output.locator('table th').first();
	await firstHeader.waitFor({ state: 'visible', timeout: 30_000 });
	await world.shot('run-02-diagnosis-table');
	await expect(firstHeader.textContent()).resolves.toMatch(/^\s*summary/);
}, 120_000);
