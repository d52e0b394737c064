/**
 * The two nodes of each package as a new user meets them in n8n's editor (real n8n 2.40.7, headless Chromium):
 * found in the node creator by name and by "check credential" / "health check", the credential type as the first
 * field with no credential pre-selected — although the instance holds credentials of the listed types —, the
 * Operation visible and switchable, no "Custom API Call", and a chosen type offering exactly its credentials
 * and its own form. Screenshots of every step go to test-results/ui/.
 */
import { join } from 'node:path';

import { httpRequest } from '../servers/httpClient';
import type { CredentialRecord } from '../e2e/support/credentials';
import type { EditorWorld } from './editor';
import { addNodeBySearch, choose, dropdownChoices, ndv, panelFields, startEditorWorld } from './editor';

process.env.TOKEN_GUARD_SCREENSHOTS ??= join(__dirname, '..', '..', 'test-results', 'ui');

const oauthData = (clientId: string) => ({
	grantType: 'authorizationCode',
	authUrl: 'http://127.0.0.1:9/auth',
	accessTokenUrl: 'http://127.0.0.1:9/token',
	clientId,
	clientSecret: 'ui-test-secret',
	scope: 'openid',
	authQueryParameters: '',
	authentication: 'header',
	oauthTokenData: { access_token: 'ui-access', refresh_token: 'ui-refresh', token_type: 'Bearer' },
});

/** One credential of a Token Guard type and one of n8n's: before version 2, either was pre-selected on a new node. */
const CREDENTIALS: CredentialRecord[] = [
	{ id: 'uiOwnCredential1', name: 'Orders API', type: 'tokenGuardOAuth2Api', data: oauthData('orders') },
	{ id: 'uiSheetsCredent1', name: 'Team Sheets', type: 'googleSheetsOAuth2Api', data: oauthData('sheets') },
];

let world: EditorWorld;

beforeAll(async () => {
	world = await startEditorWorld({ credentials: CREDENTIALS });
}, 600_000);
afterAll(async () => await world?.stop(), 60_000);

/** The credential the node in the open panel holds, through the editor's own state (none: undefined). */
async function selectedCredentials(): Promise<Record<string, unknown> | undefined> {
	const slot = ndv(world.page).getByTestId('node-credentials-select');
	if ((await slot.count()) === 0) return undefined;
	return {
		shown: await slot
			.first()
			.inputValue()
			.catch(async () => await slot.first().textContent()),
	};
}

describe('Force Refresh', () => {
	it('starts with the credential type, no credential, and its own three operations only', async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'Force Refresh', 'Refresh the token now', 'Force Refresh');
		await world.shot('force-refresh-01-new');
		expect((await panelFields(page)).slice(0, 2)).toEqual(['Credential Type', 'Operation']);
		expect(await ndv(page).getByTestId('node-credentials-slot').count()).toBe(0);
		expect(await selectedCredentials()).toBeUndefined();

		const operations = await dropdownChoices(page, 'operation');
		expect(operations.map((text) => text.split(/(?<=[a-z])(?=[A-Z])/)[0])).toHaveLength(3);
		expect(operations.join(' ')).not.toMatch(/Custom API Call/);
		expect(operations[0]).toMatch(/^Refresh If Expiring/);
	});

	it("lists only this package's credential types; the chosen one brings its credentials, and only those", async () => {
		const { page } = world;
		const types = await dropdownChoices(page, 'credentialType');
		expect(types).toEqual([
			'Token Guard OAuth2 API',
			'Google (Token Guard) OAuth2 API',
			'Microsoft (Token Guard) OAuth2 API',
			'Dropbox (Token Guard) OAuth2 API',
			'Atlassian (Token Guard) OAuth2 API',
			'Xero (Token Guard) OAuth2 API',
			'Zoho (Token Guard) OAuth2 API',
			'Token Guard Refresh Token (Manual) API',
		]);

		await choose(page, 'credentialType', 'Token Guard OAuth2 API');
		const slot = ndv(page).getByTestId('node-credentials-slot');
		await slot.waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('force-refresh-02-type-chosen');
		expect((await panelFields(page)).slice(0, 3)).toContain('Credential');
		await ndv(page).getByTestId('node-credentials-select').first().click();
		// The list opens with an animation: read it once the expected entry is drawn.
		await page
			.getByRole('option', { name: /Orders API/ })
			.first()
			.waitFor({ state: 'visible', timeout: 10_000 });
		const offered = (await page.getByRole('option').allTextContents()).map((text) => text.trim());
		await world.shot('force-refresh-03-credentials-offered');
		expect(offered.join(' | ')).toContain('Orders API');
		expect(offered.join(' | ')).not.toContain('Team Sheets');
		await page.keyboard.press('Escape');
	});

	it("creating a credential from the node opens the chosen type's form", async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'Force Refresh', 'Refresh the token now', 'Force Refresh');
		await choose(page, 'credentialType', 'Google (Token Guard) OAuth2 API');
		await ndv(page).getByText('Connect to Google (Token Guard)').click();
		const modal = page.getByTestId('editCredential-modal');
		await modal.waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('force-refresh-04-new-credential-form');
		await expect(modal.textContent()).resolves.toContain('Google (Token Guard) OAuth2 API');
		const fields = (await modal.getByTestId('credential-connection-parameter').allTextContents()).map((text) =>
			text.replace(/\*?FixedExpression$/, '').trim(),
		);
		expect(fields.slice(0, 3)).toEqual(['Client ID *', 'Client Secret *', 'Scope *'].map((f) => f.replace(' *', '')));
		await page.keyboard.press('Escape');
	});
});

describe('Token Health', () => {
	it('"check credential" finds it; Check Credential shows the credential type first and Operation stays switchable', async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'check credential', 'Check a credential', 'Token Health');
		await world.shot('token-health-01-check-credential');
		expect((await panelFields(page)).slice(0, 2)).toEqual(['Operation', 'Credential Type']);
		expect(await ndv(page).getByTestId('node-credentials-slot').count()).toBe(0);

		await choose(page, 'operation', 'Diagnose Error');
		await ndv(page).getByTestId('parameter-input-errorField').waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('token-health-02-switched-to-diagnose');
		const fields = await panelFields(page);
		expect(fields).toContain('Error Field');
		expect(fields).not.toContain('Credential Type');

		await choose(page, 'operation', 'Check Credential');
		await ndv(page).getByTestId('parameter-input-credentialType').waitFor({ state: 'visible', timeout: 10_000 });
	});

	it("Audit Credentials asks for the instance's N8n (Token Guard) API credential; Diagnose Error only once Find Affected Workflows is on", async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'check credential', 'Check a credential', 'Token Health');
		expect(await dropdownChoices(page, 'operation')).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^Diagnose Error/),
				expect.stringMatching(/^Check Credential/),
				expect.stringMatching(/^Audit Credentials/),
			]),
		);
		await page.keyboard.press('Escape');
		await choose(page, 'operation', 'Audit Credentials');
		const slot = ndv(page).getByTestId('node-credentials-slot');
		await slot.first().waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('token-health-04-audit-credentials');
		expect(await slot.count()).toBe(1);
		await expect(slot.first().textContent()).resolves.toMatch(/Connect to N8n \(Token Guard\)/);
		expect(await panelFields(page)).not.toContain('Credential Type');

		await choose(page, 'operation', 'Diagnose Error');
		await ndv(page).getByTestId('parameter-input-findAffectedWorkflows').waitFor({ state: 'visible', timeout: 10_000 });
		expect(await slot.count()).toBe(0);
		await ndv(page).getByTestId('parameter-input-findAffectedWorkflows').locator('.el-switch').click();
		await slot.first().waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('token-health-05-diagnose-affected-workflows');
		expect(await slot.count()).toBe(1);
	});

	it('Check Credential asks for the N8n (Token Guard) API credential only once Replay Failed Executions After Recovery is on', async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'check credential', 'Check a credential', 'Token Health');
		const slot = ndv(page).getByTestId('node-credentials-slot');
		const replay = ndv(page).getByTestId('parameter-input-replayFailedExecutions');
		await replay.waitFor({ state: 'visible', timeout: 10_000 });
		expect(await slot.count()).toBe(0);
		expect(await panelFields(page)).not.toContain('Replay Options');
		await replay.locator('.el-switch').click();
		await slot.first().waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('token-health-06-check-credential-replay');
		await expect(slot.last().textContent()).resolves.toMatch(/N8n \(Token Guard\)/);
		expect(await panelFields(page)).toContain('Replay Options');
	});

	it('"health check" finds both editions', async () => {
		const { page } = world;
		await page.goto(`${world.baseUrl}/workflow/new`);
		await page.getByTestId('canvas-add-button').or(page.getByTestId('canvas-plus-button')).first().click();
		await page.getByTestId('node-creator-search-bar').fill('health check');
		const names = page.getByTestId('node-creator-item-name');
		await names.filter({ hasText: 'Token Health' }).first().waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('token-health-03-search-health-check');
		expect(await names.allTextContents()).toEqual(
			expect.arrayContaining(['Token Health', 'Token Health (Built-in Credentials)']),
		);
	});
});

describe('the companion for built-in credentials', () => {
	it('Force Refresh (Built-in Credentials) pre-selects nothing although a Google Sheets credential exists', async () => {
		const { page } = world;
		await addNodeBySearch(
			page,
			world.baseUrl,
			'Force Refresh',
			'Refresh the token now',
			'Force Refresh (Built-in Credentials)',
		);
		await world.shot('companion-01-new');
		expect((await panelFields(page))[0]).toBe('Credential Type');
		expect(await ndv(page).getByTestId('node-credentials-slot').count()).toBe(0);
		await choose(page, 'credentialType', 'Google Sheets OAuth2 API');
		await ndv(page).getByTestId('node-credentials-slot').waitFor({ state: 'visible', timeout: 10_000 });
		await world.shot('companion-02-sheets-chosen');
		// The type was the user's choice; its one credential is then filled in, as n8n does for any node.
		const selected = ndv(page).getByTestId('node-credentials-slot').locator('input').first();
		await expect(selected.inputValue()).resolves.toBe('Team Sheets');
	});
});

test('the instance under test answers (a broken world fails here, not as a selector timeout)', async () => {
	expect((await httpRequest(`${world.baseUrl}/healthz`, { timeoutMs: 5000 })).status).toBe(200);
});
