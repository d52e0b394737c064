/**
 * The order of the fields in a new credential's form, as a person opening it from Force Refresh sees it in n8n's
 * editor (real n8n 2.40.7, headless Chromium). Screenshots of every form go to test-results/ui/.
 *
 * The manual credential lists its fields in the order it declares them: the ones every refresh needs first, then
 * the Test URL, then the advanced ones, and the queue-mode notice last of its own (n8n appends its domain fields).
 *
 * The presets extend n8n's `oAuth2Api`, and n8n merges such a type with `NodeHelpers.mergeNodeProperties`
 * (n8n-workflow; n8n's `CredentialsHelper.getCredentialsProperties` and the editor's credential form both use it):
 * the parent's properties come first in the parent's order, a child property with a parent's name replaces it in
 * the parent's slot, and only the child's new properties are appended. So Client ID, Client Secret, Scope and the
 * domain fields n8n injects into `oAuth2Api` always precede the preset's notice and its own fields; how the preset
 * declares its properties cannot change that. These tests pin the order n8n draws, so a change in n8n shows here.
 */
import { join } from 'node:path';

import type { Locator, Page } from 'playwright-core';

import type { EditorWorld } from './editor';
import { addNodeBySearch, choose, escapeRegExp, ndv, startEditorWorld } from './editor';

process.env.TOKEN_GUARD_SCREENSHOTS ??= join(__dirname, '..', '..', 'test-results', 'ui');

/** How a notice appears in the field lists below: its first words. */
const NOTICE = (firstWords: string): string => `Notice: ${firstWords}`;

let world: EditorWorld;

beforeAll(async () => {
	world = await startEditorWorld();
}, 600_000);
afterAll(async () => await world?.stop(), 60_000);

/** n8n's `{appName}`: the type's display name without the words API, OAuth1, OAuth2 and MCP. */
function appName(displayName: string): string {
	return displayName
		.split(' ')
		.filter((word) => !['API', 'OAuth1', 'OAuth2', 'MCP'].includes(word))
		.join(' ');
}

/** Adds Force Refresh, picks the credential type and opens the form for a new credential of it. */
async function openNewCredentialForm(page: Page, displayName: string): Promise<Locator> {
	await addNodeBySearch(page, world.baseUrl, 'Force Refresh', 'Refresh the token now', 'Force Refresh');
	await choose(page, 'credentialType', displayName);
	await ndv(page)
		.getByText(new RegExp(`^\\s*(Connect to ${escapeRegExp(appName(displayName))}|Set up credential)\\s*$`))
		.first()
		.click();
	const modal = page.getByTestId('editCredential-modal');
	await modal.waitFor({ state: 'visible', timeout: 10_000 });
	await modal.getByTestId('credential-connection-parameter').first().waitFor({ state: 'visible', timeout: 10_000 });
	await expect(modal.textContent()).resolves.toContain(displayName);
	return modal;
}

/** The visible fields of the open form, top to bottom: labels, and notices as "Notice: " and their first words. */
async function formFields(modal: Locator): Promise<string[]> {
	const fields: string[] = [];
	for (const item of await modal.getByTestId('credential-connection-parameter').all()) {
		if (!(await item.isVisible())) continue;
		const text = ((await item.textContent()) ?? '').replace(/\s+/g, ' ').trim();
		if ((await item.locator('[class*="notice" i]').count()) > 0) {
			fields.push(NOTICE(text.split(' ').slice(0, 4).join(' ')));
		} else {
			// A label, its required mark, and the expression toggle's "Fixed" / "Expression".
			fields.push(text.replace(/\s*\*?\s*(FixedExpression)?$/, '').trim());
		}
	}
	return fields;
}

/** Screenshots the form at its top and with `notice` scrolled into view, then closes it without saving. */
async function shootAndClose(page: Page, modal: Locator, name: string, notice: string, oauth = true): Promise<void> {
	await world.shot(`${name}-top`);
	await modal.getByText(notice).first().scrollIntoViewIfNeeded();
	await world.shot(`${name}-notice`);
	await page.keyboard.press('Escape');
	// An OAuth2 form that was never connected asks "Close without connecting?" first.
	const confirm = page.getByRole('dialog', { name: 'Close without connecting?' });
	if (oauth) {
		await confirm.waitFor({ state: 'visible', timeout: 10_000 });
		await confirm.getByRole('button', { name: 'Close', exact: true }).click();
	}
	await modal.waitFor({ state: 'hidden', timeout: 10_000 });
}

describe('a new credential form', () => {
	it('manual: token URL, client, refresh token and scope first, then Test URL, the advanced fields, the notice', async () => {
		const { page } = world;
		const modal = await openNewCredentialForm(page, 'Token Guard Refresh Token (Manual) API');
		const fields = await formFields(modal);
		expect(fields).toEqual([
			'Token URL',
			'Client ID',
			'Client Secret',
			'Client Authentication',
			'Refresh Token',
			'Scope',
			'Test URL',
			'Audience',
			'Extra Parameters',
			'Allow Insecure HTTP',
			'Introspection URL',
			NOTICE('For refresh tokens you'),
			'Allowed HTTP Request Domains',
		]);
		await shootAndClose(page, modal, 'credential-form-manual', 'For refresh tokens you already have', false);
	});

	it("Google: n8n draws oAuth2Api's client fields and domain fields first, then the preset's notice", async () => {
		const { page } = world;
		const modal = await openNewCredentialForm(page, 'Google (Token Guard) OAuth2 API');
		const fields = await formFields(modal);
		expect(fields).toEqual([
			'Client ID',
			'Client Secret',
			'Scope',
			'Allowed HTTP Request Domains',
			NOTICE('Fixes the generic OAuth2'),
			'Token Expired Status Code',
			'Test URL',
		]);
		expect(fields.indexOf(NOTICE('Fixes the generic OAuth2'))).toBeGreaterThan(fields.indexOf('Client ID'));
		// n8n's redirect hint names the app by the display name minus API/OAuth2 (getAppNameFromCredType).
		await expect(modal.textContent()).resolves.toContain(
			'In Google (Token Guard), use the URL above when prompted to enter an OAuth callback or redirect URL',
		);
		await shootAndClose(page, modal, 'credential-form-google', 'Fixes the generic OAuth2 flow for Google');
	});

	it("Microsoft: the preset's notice, Tenant and Scopes follow n8n's client and domain fields", async () => {
		const { page } = world;
		const modal = await openNewCredentialForm(page, 'Microsoft (Token Guard) OAuth2 API');
		const fields = await formFields(modal);
		expect(fields).toEqual([
			'Client ID',
			'Client Secret',
			'Allowed HTTP Request Domains',
			NOTICE('Fixes the generic OAuth2'),
			'Tenant',
			'Scopes',
			'Token Expired Status Code',
			'Test URL',
		]);
		await shootAndClose(page, modal, 'credential-form-microsoft', 'Fixes the generic OAuth2 flow for Microsoft');
	});
});

describe('the webhook credential form', () => {
	it('Signing Secret is optional; Secret Format appears with a secret, Header Value with a Header Name', async () => {
		const { page } = world;
		await addNodeBySearch(page, world.baseUrl, 'Force Refresh', 'Refresh the token now', 'Force Refresh');
		await ndv(page).getByTestId('parameter-input-sendEvents').locator('.el-switch').click();
		// With no credential of the type yet, n8n's slot is a button named after the type (appName).
		await ndv(page)
			.getByText(/^\s*Connect to Token Guard Webhook\s*$/)
			.first()
			.click();
		const modal = page.getByTestId('editCredential-modal');
		await modal.getByTestId('credential-connection-parameter').first().waitFor({ state: 'visible', timeout: 10_000 });
		await expect(modal.textContent()).resolves.toContain('Token Guard Webhook API');
		expect(await formFields(modal)).toEqual([
			'Webhook URL',
			'Signing Secret',
			'Header Name',
			'More Headers (JSON)',
			'Allowed HTTP Request Domains',
		]);
		const field = (label: string) => modal.getByTestId('credential-connection-parameter').filter({ hasText: label });
		// Required fields carry n8n's "*" after the label; the Signing Secret has none.
		await expect(field('Webhook URL').textContent()).resolves.toMatch(/Webhook URL\s*\*/);
		await expect(field('Signing Secret').textContent()).resolves.not.toMatch(/Signing Secret\s*\*/);
		await world.shot('credential-form-webhook-empty');

		await field('Signing Secret').locator('input').first().fill('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
		await field('Header Name').locator('input').first().fill('X-Api-Key');
		await field('Header Value').first().waitFor({ state: 'visible', timeout: 10_000 });
		expect(await formFields(modal)).toEqual([
			'Webhook URL',
			'Signing Secret',
			'Secret Format',
			'Header Name',
			'Header Value',
			'More Headers (JSON)',
			'Allowed HTTP Request Domains',
		]);
		await world.shot('credential-form-webhook-filled');
		await page.keyboard.press('Escape');
	});
});
