#!/usr/bin/env node
/**
 * npm run dev — n8n's editor on http://localhost:5678 (TOKEN_GUARD_DEV_PORT to change) with this package
 * rebuilt and installed as a community node, the demo OAuth provider and APIs running, the demo
 * credentials and example workflows imported, and an owner login printed. Ctrl-C stops everything.
 * `npm run dev -- --check` starts, checks /healthz and the login, and stops.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('../test/e2e/support/requireTs.cjs').registerTypeScript();
const { runDev } = require('../test/e2e/support/dev.ts');

const untilStopped = new Promise((resolve) => {
	for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => resolve(signal));
});

process.exitCode = await runDev({
	port: process.env.TOKEN_GUARD_DEV_PORT ? Number(process.env.TOKEN_GUARD_DEV_PORT) : undefined,
	check: process.argv.includes('--check'),
	print: (line) => process.stdout.write(`${line}\n`),
	untilStopped,
});
