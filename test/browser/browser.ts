/**
 * Headless Debian Chromium (/usr/bin/chromium, installed by ./setup) driven by the devDependency playwright-core,
 * for the e2e tests that go through n8n's editor. Playwright's own browser download cannot work here.
 * Screenshots go to $TOKEN_GUARD_SCREENSHOTS, or a temp directory printed once, so a run can be looked at.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, selectors } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const VIEWPORT = { width: 1440, height: 900 };

export interface BrowserSession {
	browser: Browser;
	context: BrowserContext;
	page: Page;
	/** Closes the context and the browser; safe to call twice and after a crash. */
	close(): Promise<void>;
}

export async function launchBrowser(): Promise<BrowserSession> {
	// n8n's editor marks elements with data-test-id (Playwright's default is data-testid).
	selectors.setTestIdAttribute('data-test-id');
	const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
	try {
		const context = await browser.newContext({ viewport: VIEWPORT });
		const page = await context.newPage();
		let closed = false;
		const close = async () => {
			if (closed) return;
			closed = true;
			await context.close().catch(() => undefined);
			await browser.close().catch(() => undefined);
		};
		return { browser, context, page, close };
	} catch (error) {
		await browser.close().catch(() => undefined);
		throw error;
	}
}

let screenshotDir: string | undefined;

/** Where screenshot() writes: $TOKEN_GUARD_SCREENSHOTS (created if missing) or one temp directory per process. */
export function screenshotDirectory(): string {
	if (screenshotDir) return screenshotDir;
	const configured = process.env.TOKEN_GUARD_SCREENSHOTS;
	if (configured) {
		mkdirSync(configured, { recursive: true });
		screenshotDir = configured;
	} else {
		screenshotDir = mkdtempSync(join(tmpdir(), 'token-guard-screenshots-'));
		process.stderr.write(`[browser] screenshots in ${screenshotDir}\n`);
	}
	return screenshotDir;
}

/** A full-viewport PNG named `<name>.png`; resolves to its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
	const path = join(screenshotDirectory(), `${name.replace(/[^a-zA-Z0-9._-]+/g, '-')}.png`);
	await page.screenshot({ path });
	return path;
}
