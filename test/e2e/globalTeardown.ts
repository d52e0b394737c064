/** Deletes the tarballs globalSetup.ts packed. */
import { rmSync } from 'fs';
import { dirname } from 'path';

import { PREPACKED_TARBALL_ENV } from './n8n';

export default function removeBothPackages(): void {
	for (const variable of Object.values(PREPACKED_TARBALL_ENV)) {
		const tarball = process.env[variable];
		if (tarball) rmSync(dirname(tarball), { recursive: true, force: true });
		delete process.env[variable];
	}
}
