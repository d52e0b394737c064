/**
 * Lets the plain-JavaScript scripts (npm run demo / dev, on the machine's Node) require the e2e
 * TypeScript helpers directly: each .ts file is transpiled on load with the project's own TypeScript,
 * types stripped, nothing type-checked or written to disk. Tests do not use this; jest has ts-jest.
 */
'use strict';
const { readFileSync } = require('node:fs');
const ts = require('typescript');

function registerTypeScript() {
	if (require.extensions['.ts']) return;
	require.extensions['.ts'] = (module, filename) => {
		const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
			fileName: filename,
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
				inlineSourceMap: true,
			},
		});
		module._compile(outputText, filename);
	};
}

module.exports = { registerTypeScript };
