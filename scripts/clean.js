// Removes both packages' dist/ before a build so deleted sources never linger in a published package.
const { rmSync } = require('fs');
const { join } = require('path');

for (const dist of ['dist', join('builtin', 'dist')]) {
	rmSync(join(__dirname, '..', dist), { recursive: true, force: true });
}
