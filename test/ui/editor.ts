/**
 * The browser tier's world: a real n8n 2.40.7 (`n8n start`) with both packed packages installed as the Community
 * Nodes UI installs them, an owner account, a few credentials of each kind, and headless Debian Chromium signed
 * in to the editor. Helpers say what a person does (add a node by searching, open a panel, read the fields).
 */
import type { Locator, Page } from 'playwright-core';

import type { BrowserSession } from '../browser/browser';
import { launchBrowser, screenshot } from '../browser/browser';
import type { UserFolder } from '../e2e/n8n';
import {
	createUserFolder,
	ensureN8nInstalled,
	importCredentials,
	importWorkflow,
	installPackageTarball,
	logTail,
	packRepo,
	removePackedRepo,
	removeUserFolder,
} from '../e2e/n8n';
import type { CredentialRecord } from '../e2e/support/credentials';
import { DEV_OWNER, ownerEnvironment } from '../e2e/support/dev';
import { startN8nServer } from '../e2e/support/n8nServer';
import type { N8nServer } from '../e2e/support/n8nServer';
import type { Workflow } from '../e2e/support/workflows';

export interface EditorWorld {
	baseUrl: string;
	page: Page;
	userFolder: UserFolder;
	/** A PNG of the page now, named for the test step. */
	shot(name: string): Promise<string>;
	stop(): Promise<void>;
}

export async function startEditorWorld(
	options: { credentials?: CredentialRecord[]; workflows?: Workflow[] } = {},
): Promise<EditorWorld> {
	await ensureN8nInstalled();
	const userFolder = createUserFolder();
	let server: N8nServer | undefined;
	let session: BrowserSession | undefined;
	try {
		for (const kind of ['core', 'companion'] as const) await installPackageTarball(userFolder, await packRepo(kind));
		if (options.credentials?.length) await importCredentials(userFolder, options.credentials);
		if (options.workflows?.length) await importWorkflow(userFolder, options.workflows);
		server = await startN8nServer(userFolder, { env: ownerEnvironment() });
		session = await launchBrowser();
		await signIn(session.page, server.baseUrl);
	} catch (error) {
		await session?.close();
		await server?.stop();
		const tail = logTail(userFolder, 40);
		removeUserFolder(userFolder);
		throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- n8n log tail ---\n${tail}`);
	}
	const page = session.page;
	return {
		baseUrl: server.baseUrl,
		page,
		userFolder,
		shot: async (name) => await screenshot(page, name),
		async stop() {
			await session?.close();
			await server?.stop();
			removeUserFolder(userFolder);
			await removePackedRepo();
		},
	};
}

async function signIn(page: Page, baseUrl: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	const form = page.getByTestId('signin-form');
	await form.locator('input[name="emailOrLdapLoginId"]').fill(DEV_OWNER.email);
	await form.locator('input[name="password"]').fill(DEV_OWNER.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
}

/**
 * Opens a new workflow's node creator, searches `query` and adds the node through one of its actions, as a person
 * does: the node's entry (when `node` is given) opens its action list; the action adds the node and opens its panel.
 */
export async function addNodeBySearch(
	page: Page,
	baseUrl: string,
	query: string,
	action: string,
	node?: string,
): Promise<void> {
	await page.goto(`${baseUrl}/workflow/new`);
	await page.getByTestId('canvas-add-button').or(page.getByTestId('canvas-plus-button')).first().click();
	await page.getByTestId('node-creator-search-bar').fill(query);
	if (node !== undefined) {
		await page
			.getByTestId('node-creator-item-name')
			.filter({ hasText: new RegExp(`^${escapeRegExp(node)}$`) })
			.first()
			.click();
	}
	await page.getByText(action, { exact: true }).first().click();
	await ndv(page).waitFor({ state: 'visible', timeout: 20_000 });
}

/** The labels of the open panel's parameters, top to bottom ("Credential" for the credential slot). */
export async function panelFields(page: Page): Promise<string[]> {
	const items = ndv(page).getByTestId('node-parameters').getByTestId('parameter-item');
	const labels: string[] = [];
	for (const item of await items.all()) {
		// Notices are parameter items without a label.
		const inputLabel = item.getByTestId('input-label');
		const label =
			(await item.getByTestId('credentials-label').count()) > 0
				? 'Credential'
				: (await inputLabel.count()) > 0
					? await inputLabel.first().textContent()
					: null;
		if (label)
			labels.push(
				label
					.replace(/FixedExpression$/, '')
					.replace(/\s+/g, ' ')
					.trim(),
			);
	}
	return labels.filter((label) => label !== '');
}

/** The choices of a dropdown parameter, as the open list shows them; closes the list again. */
export async function dropdownChoices(page: Page, parameter: string): Promise<string[]> {
	await ndv(page).getByTestId(`parameter-input-${parameter}`).click();
	const options = page.getByRole('option');
	await options.first().waitFor({ state: 'visible', timeout: 10_000 });
	const choices = (await options.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
	await page.keyboard.press('Escape');
	return choices;
}

/** Picks `choice` in a dropdown parameter of the open panel (an option's name; its description may follow). */
export async function choose(page: Page, parameter: string, choice: string): Promise<void> {
	await ndv(page).getByTestId(`parameter-input-${parameter}`).click();
	await page
		.getByRole('option', { name: new RegExp(`^${escapeRegExp(choice)}`) })
		.first()
		.click();
}

export function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function ndv(page: Page): Locator {
	return page.getByTestId('ndv');
}
