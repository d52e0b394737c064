// Keeps the shipped code readable: no file in nodes/ or credentials/ (of either package) over MAX_FILE_LINES lines and no
// function over MAX_FUNCTION_LINES lines. Functions are found with the TypeScript parser, so arrow
// functions, methods and nested functions all count. Prints every offender; exits 1 when there is one.
// Usage: node scripts/check-size.js [--json]
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 60;
const ROOTS = ['nodes', 'credentials', 'builtin/nodes', 'builtin/credentials'];
const root = path.join(__dirname, '..');

function sourceFiles(dir) {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(full);
		return entry.name.endsWith('.ts') ? [full] : [];
	});
}

const isFunction = (node) =>
	ts.isFunctionDeclaration(node) ||
	ts.isFunctionExpression(node) ||
	ts.isArrowFunction(node) ||
	ts.isMethodDeclaration(node) ||
	ts.isConstructorDeclaration(node) ||
	ts.isGetAccessorDeclaration(node) ||
	ts.isSetAccessorDeclaration(node);

function functionName(node) {
	if (node.name && ts.isIdentifier(node.name)) return node.name.text;
	const parent = node.parent;
	if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
	if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
	return '(anonymous)';
}

function measure(file) {
	const text = fs.readFileSync(file, 'utf8');
	const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
	const lineOf = (position) => source.getLineAndCharacterOfPosition(position).line + 1;
	const functions = [];
	const visit = (node) => {
		if (isFunction(node) && node.body) {
			const lines = lineOf(node.getEnd()) - lineOf(node.getStart(source)) + 1;
			functions.push({ name: functionName(node), line: lineOf(node.getStart(source)), lines });
		}
		ts.forEachChild(node, visit);
	};
	visit(source);
	return { file: path.relative(root, file), lines: text.split('\n').length, functions };
}

const measured = ROOTS.flatMap((dir) => sourceFiles(path.join(root, dir))).map(measure);
const longFiles = measured.filter((entry) => entry.lines > MAX_FILE_LINES).map(({ file, lines }) => ({ file, lines }));
const longFunctions = measured.flatMap(({ file, functions }) =>
	functions.filter((fn) => fn.lines > MAX_FUNCTION_LINES).map((fn) => ({ file, ...fn })),
);

if (process.argv.includes('--json')) {
	const allFunctions = measured.flatMap((entry) => entry.functions);
	const sorted = allFunctions.map((fn) => fn.lines).sort((a, b) => a - b);
	console.log(
		JSON.stringify(
			{
				files: measured.length,
				functions: allFunctions.length,
				medianFunctionLines: sorted[Math.floor(sorted.length / 2)] ?? 0,
				longestFile: Math.max(...measured.map((entry) => entry.lines)),
				longestFunction: sorted[sorted.length - 1] ?? 0,
				longFiles,
				longFunctions,
			},
			null,
			2,
		),
	);
} else {
	for (const { file, lines } of longFiles)
		console.error(`check-size: ${file} has ${lines} lines (max ${MAX_FILE_LINES})`);
	for (const fn of longFunctions)
		console.error(`check-size: ${fn.file}:${fn.line} ${fn.name} has ${fn.lines} lines (max ${MAX_FUNCTION_LINES})`);
	if (longFiles.length === 0 && longFunctions.length === 0) {
		console.log(
			`check-size: ${measured.length} files, none over ${MAX_FILE_LINES} lines; no function over ${MAX_FUNCTION_LINES} lines`,
		);
	}
}
process.exitCode = longFiles.length > 0 || longFunctions.length > 0 ? 1 : 0;
