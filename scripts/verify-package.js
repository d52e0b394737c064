// Checks the built package the way n8n and the community-package scanner see it: every file the
// `n8n` block lists exists in dist/, nothing is a runtime dependency, and the peer dependency is exact.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const problems = [];

for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
	if (!fs.existsSync(path.join(root, file))) problems.push(`n8n block lists ${file}, but the build did not emit it`);
}
if (pkg.n8n.nodes.length === 0 && pkg.n8n.credentials.length === 0) problems.push('the n8n block lists nothing');
if (Object.keys(pkg.dependencies ?? {}).length > 0) {
	problems.push(`runtime dependencies are not allowed: ${Object.keys(pkg.dependencies).join(', ')}`);
}
if (JSON.stringify(pkg.peerDependencies) !== JSON.stringify({ 'n8n-workflow': '*' })) {
	problems.push('peerDependencies must be exactly {"n8n-workflow": "*"}');
}

if (problems.length > 0) {
	for (const problem of problems) console.error(`verify-package: ${problem}`);
	process.exit(1);
}
console.log(
	`verify-package: ${pkg.n8n.nodes.length} nodes and ${pkg.n8n.credentials.length} credentials built; no runtime dependencies`,
);
