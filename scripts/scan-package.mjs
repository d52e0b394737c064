// Runs n8n's own community-package scanner (@n8n/scan-community-package, the gate for verified packages) on the
// core package without publishing it: its analyser on the source tree (the leg n8n runs on the commit the npm
// provenance points at) and on the packed tarball (the leg it runs on what npm serves). Same ESLint config as
// n8n's, inline disables ignored. Needs a built dist/ (npm test builds first). The companion package is not
// scanned: it takes n8n's built-in credentials, so it is never verified (docs/ARCHITECTURE.md#packages).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = mkdtempSync(join(tmpdir(), 'token-guard-scan-'));

function run(command, args, cwd) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
	return result.stdout;
}

function packedCore() {
	// ignore-scripts: the tarball must hold the dist/ that was just built and tested, not a rebuild.
	run('npm', ['pack', '--ignore-scripts', '--pack-destination', workDir], root);
	const tarball = readdirSync(workDir).find((file) => file.endsWith('.tgz'));
	const unpacked = join(workDir, 'package');
	run('tar', ['-xzf', join(workDir, tarball), '-C', workDir], root);
	return unpacked;
}

let failed = false;
try {
	const legs = [
		['source tree', root, SOURCE_FILE_PATTERNS],
		['packed tarball', packedCore(), ['**/*.js', 'package.json']],
	];
	for (const [label, dir, patterns] of legs) {
		const result = await analyzePackage(dir, patterns);
		if (result.passed) {
			console.log(`scan-package: n8n's scanner passed the core package's ${label}`);
		} else {
			failed = true;
			console.error(`scan-package: n8n's scanner failed the core package's ${label}: ${result.message}`);
			if (result.details) console.error(result.details);
		}
	}
} finally {
	rmSync(workDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
