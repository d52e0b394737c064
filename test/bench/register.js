/**
 * Lets plain `node` run the TypeScript benchmarks: `node --require ./test/bench/register.js <file.ts>`.
 * Each .ts file is transpiled on load with TypeScript's transpileModule (no type check: `npx tsc -p
 * tsconfig.test.json --noEmit` does that). Also gives n8n-core a throwaway user folder, as the jest
 * setup does for the integration tests, so a benchmark never touches the developer's ~/.n8n.
 */
const { existsSync, mkdtempSync, readFileSync } = require('node:fs');
const Module = require('node:module');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const ts = require('typescript');

const compilerOptions = {
	module: ts.ModuleKind.CommonJS,
	target: ts.ScriptTarget.ES2021,
	esModuleInterop: true,
	resolveJsonModule: true,
	inlineSourceMap: true,
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
	const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
	module._compile(outputText, filename);
};

// Node tries .json before any added extension, so `./ForceRefresh.node` would load the codex file
// ForceRefresh.node.json; a relative request with a .ts file of that name resolves to it first.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveTypeScriptFirst(request, parent, ...rest) {
	if (request.startsWith('.') && parent?.filename) {
		const candidate = resolve(dirname(parent.filename), `${request}.ts`);
		if (existsSync(candidate)) return candidate;
	}
	return resolveFilename.call(this, request, parent, ...rest);
};

process.env.N8N_USER_FOLDER ??= mkdtempSync(join(tmpdir(), 'token-guard-bench-'));
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
process.env.N8N_DIAGNOSTICS_ENABLED ??= 'false';
