#!/usr/bin/env node
/**
 * npm run demo — builds and packs the package, installs it into a real headless n8n (test/e2e/setup
 * installs n8n and Node 24 into a cache on first use), starts a local OAuth provider, an API and an
 * alert receiver on 127.0.0.1, runs the three example workflows and prints what happened.
 * Exit code 0 when every printed claim held; 1 with n8n's log tail otherwise.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('../test/e2e/support/requireTs.cjs').registerTypeScript();
const { runDemo } = require('../test/e2e/support/demo.ts');

process.exitCode = await runDemo((line) => process.stdout.write(`${line}\n`));
