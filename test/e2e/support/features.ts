/**
 * What the installed n8n (this run's versions.env row) can do, probed from its own modules on its own Node
 * rather than read from its version string. A test that needs something one n8n lacks runs through `itNeeds`:
 * where the feature is missing it is skipped with the need in its title ("[needs …]"), which jest prints and
 * the README's Compatibility table shows (test/e2e/compatibility.cjs) — never skipped silently.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

import { e2eEnv } from '../n8n';

export interface N8nFeatures {
	/** NodeApiError / NodeOperationError keep a `failure` declaration ({ cause }) for error workflows (n8n 2.39+). */
	errorFailure: boolean;
	/** A refresh refused with invalid_grant becomes n8n's own 'The credential "<name>" needs to be reconnected.' */
	reconnectError: boolean;
	/** n8n stamps a refreshed OAuth2 token with its absolute expiry, `n8n_expires_at` (n8n 2.33+). */
	storedExpiry: boolean;
	/** The public API lists credentials (GET /api/v1/credentials, API key scope `credential:list`; n8n 2.x). */
	publicCredentialList: boolean;
	/**
	 * The public API refuses an API key a scope it lacks (n8n 2.x). n8n 1.x checks scopes only with a license that
	 * enables them (`isApiKeyScopesEnabled()`); unlicensed, every key may do everything.
	 */
	apiKeyScopesEnforced: boolean;
}

const PROBE = `
const modulesDir = process.argv[1];
const workflow = require(modulesDir + '/n8n-workflow');
const node = { id: 'probe', name: 'Probe', type: 'probe', typeVersion: 1, position: [0, 0], parameters: {} };
const declared = new workflow.NodeOperationError(node, 'probe', { failure: { cause: 'credential-invalid' } });
const { readdirSync, readFileSync } = require('node:fs');
const helpers = modulesDir + '/n8n-core/dist/execution-engine/node-execution-context/utils';
const sources = readdirSync(helpers, { recursive: true })
	.filter((file) => file.endsWith('.js'))
	.map((file) => readFileSync(helpers + '/' + file, 'utf8'));
process.stdout.write(JSON.stringify({
	errorFailure: declared.failure?.cause === 'credential-invalid',
	reconnectError: sources.some((source) => source.includes('needs to be reconnected.')),
	storedExpiry: sources.some((source) => source.includes('n8n_expires_at')),
	publicCredentialList: readFileSync(modulesDir + '/@n8n/permissions/dist/public-api-permissions.ee.js', 'utf8').includes(
		"'credential:list'",
	),
	apiKeyScopesEnforced: !readFileSync(modulesDir + '/n8n/dist/public-api/v1/shared/middlewares/global.middleware.js', 'utf8').includes(
		'isApiKeyScopesEnabled()',
	),
}));
`;

let probed: N8nFeatures | undefined;

export function n8nFeatures(): N8nFeatures {
	if (probed) return probed;
	const { nodeBinary, n8nBin } = e2eEnv();
	// <cache>/n8n-<version>/node_modules/n8n/bin/n8n → <cache>/n8n-<version>/node_modules
	const modulesDir = dirname(dirname(dirname(n8nBin)));
	const result = spawnSync(nodeBinary, ['-e', PROBE, modulesDir], { encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`probing the installed n8n failed: ${result.stderr}`);
	probed = JSON.parse(result.stdout) as N8nFeatures;
	return probed;
}

/**
 * n8n's message for a refresh its provider refused with invalid_grant (a revoked grant): its own reconnect error
 * naming the credential, or — without it (n8n 1.x) — the provider's error description as client-oauth2 words it.
 */
export function revokedGrantMessage(credentialName: string): RegExp {
	const escaped = credentialName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	return n8nFeatures().reconnectError
		? new RegExp(`^The credential "${escaped}" needs to be reconnected\\.$`)
		: /^The provided authorization grant .*refresh token is invalid, expired, revoked/;
}

/** `it` where the installed n8n has what the test needs; otherwise `it.skip` with "[needs <need>]" in the title. */
export function itNeeds(need: string, available: boolean): jest.It {
	if (available) return it;
	const skip = ((title: string, fn?: jest.ProvidesCallback, timeout?: number) =>
		it.skip(`${title} [needs ${need}]`, fn, timeout)) as jest.It;
	return skip;
}
