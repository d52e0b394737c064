// Checks both built packages the way n8n and the community-package scanner see them: every file the `n8n` block
// lists exists in dist/, nothing is a runtime dependency, the peer dependency is exact, and each node takes only
// the credentials its package may use. n8n's rule no-credential-reuse cannot read a computed credential list, so
// the loaded node descriptions are checked here: the core's nodes take only the core's own credential types, the
// companion's only n8n's built-in types and its own (docs/ARCHITECTURE.md#packages). Credential type names are
// global in n8n, so the two packages must not share one.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const problems = [];

function loadExport(packageDir, file) {
	const className = path.basename(file).replace(/\.(node|credentials)\.js$/, '');
	const Exported = require(path.join(packageDir, file))[className];
	if (typeof Exported !== 'function') throw new Error(`${file} does not export a class named ${className}`);
	return new Exported();
}

function inspect(packageDir) {
	const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
	const label = pkg.name;
	for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
		if (!fs.existsSync(path.join(packageDir, file)))
			problems.push(`${label}: lists ${file}, but the build did not emit it`);
	}
	if (pkg.n8n.nodes.length === 0) problems.push(`${label}: the n8n block lists no nodes`);
	if (Object.keys(pkg.dependencies ?? {}).length > 0) {
		problems.push(`${label}: runtime dependencies are not allowed: ${Object.keys(pkg.dependencies).join(', ')}`);
	}
	if (JSON.stringify(pkg.peerDependencies) !== JSON.stringify({ 'n8n-workflow': '*' })) {
		problems.push(`${label}: peerDependencies must be exactly {"n8n-workflow": "*"}`);
	}
	if (problems.length > 0) return undefined;
	const credentials = pkg.n8n.credentials.map((file) => loadExport(packageDir, file).name);
	const nodes = pkg.n8n.nodes.map((file) => loadExport(packageDir, file).description);
	return { label, credentials, nodes };
}

const core = inspect(root);
const companion = inspect(path.join(root, 'builtin'));
if (core && companion) {
	const { BUILT_IN_CREDENTIAL_TYPES } = require(path.join(root, 'dist/nodes/shared/credentialCatalog.js'));
	const builtIn = new Set(BUILT_IN_CREDENTIAL_TYPES.map((info) => info.name));
	const usable = (pkg, name) => pkg.credentials.includes(name) || (pkg === companion && builtIn.has(name));
	for (const pkg of [core, companion]) {
		for (const node of pkg.nodes) {
			for (const { name } of node.credentials ?? []) {
				if (!usable(pkg, name))
					problems.push(`${pkg.label}: node ${node.name} takes credential ${name}, which it may not use`);
			}
		}
	}
	for (const name of companion.credentials.filter((name) => core.credentials.includes(name))) {
		problems.push(`both packages register the credential type ${name}`);
	}
	const companionBuiltIns = new Set(
		companion.nodes.flatMap((node) => (node.credentials ?? []).map(({ name }) => name)),
	);
	for (const name of builtIn) {
		if (!companionBuiltIns.has(name)) problems.push(`${companion.label}: no node takes the built-in type ${name}`);
	}
}

if (problems.length > 0) {
	for (const problem of problems) console.error(`verify-package: ${problem}`);
	process.exit(1);
}
for (const pkg of [core, companion]) {
	console.log(
		`verify-package: ${pkg.label}: ${pkg.nodes.length} nodes, ${pkg.credentials.length} credentials, no runtime dependencies, every node credential its own${pkg === companion ? ' or built-in' : ''}`,
	);
}
