/**
 * Packs the core and the companion package once for the whole e2e run (each pack builds the repo, which takes a
 * while); the test files find the tarballs through PREPACKED_TARBALL_ENV (e2e runs in band, in this process).
 */
import { packPackage, PREPACKED_TARBALL_ENV } from './n8n';

export default async function packBothPackages(): Promise<void> {
	const core = await packPackage('core');
	// The core's prepack built both packages; the companion's runs the same build again, which keeps its
	// tarball honest when it is packed on its own (npm pack in builtin/) and costs seconds here.
	const companion = await packPackage('companion');
	process.env[PREPACKED_TARBALL_ENV.core] = core;
	process.env[PREPACKED_TARBALL_ENV.companion] = companion;
}
