// The lint stack `n8n-node lint` and n8n's package scanner run, spelled out so it works with plain eslint:
// @n8n/eslint-plugin-community-nodes (recommended = n8n's verification rules, nothing turned off for the core
// package) + eslint-plugin-n8n-nodes-base (community / credentials / nodes rule sets) on the shipped sources,
// typescript-eslint everywhere. scripts/scan-package.mjs adds n8n's scanner itself (docs/ARCHITECTURE.md#packages).
import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

const communityRecommended = n8nCommunityNodesPlugin.configs.recommended;

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts', 'builtin/credentials/**/*.ts', 'builtin/nodes/**/*.ts'],
		extends: [js.configs.recommended, tseslint.configs.recommended, communityRecommended],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			'prefer-spread': 'off',
			'no-console': 'error',
		},
	},
	{
		files: ['package.json', 'builtin/package.json'],
		extends: [communityRecommended],
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
	},
	{
		files: ['credentials/**/*.ts', 'builtin/credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			'n8n-nodes-base/cred-class-field-type-options-password-missing': 'off',
		},
	},
	{
		// The same three exceptions as n8n's scanner (inputs/outputs as NodeConnectionTypes, a real maxValue).
		files: ['nodes/**/*.ts', 'builtin/nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
		},
	},
	{
		// The companion package's one documented exception (docs/ARCHITECTURE.md#packages): its nodes take n8n's
		// built-in OAuth2 credentials (Gmail, Sheets, Outlook…), which is what this rule forbids. That is why the
		// companion is never verified and installs only where unverified community packages are enabled.
		files: ['builtin/nodes/**/*.ts'],
		rules: { '@n8n/community-nodes/no-credential-reuse': 'off' },
	},
	{
		// The engine's pure files decide; only *.adapter.ts files talk to n8n (docs/ARCHITECTURE.md#layers).
		// Types from n8n-workflow are fine; a value (an error class, sleep, a helper) or an adapter is not.
		files: ['nodes/shared/**/*.ts'],
		ignores: ['nodes/shared/**/*.adapter.ts'],
		rules: {
			'@typescript-eslint/no-restricted-imports': [
				'error',
				{
					paths: [
						{
							name: 'n8n-workflow',
							allowTypeImports: true,
							message:
								'Pure engine files import only types from n8n-workflow; put the n8n call in a *.adapter.ts file.',
						},
					],
					patterns: [
						{
							group: ['**/*.adapter'],
							allowTypeImports: true,
							message: 'Pure engine files do not depend on adapters; pass the value in instead.',
						},
					],
				},
			],
		},
	},
	{
		// Tests, harness, servers and benchmarks are dev-only code: plain TypeScript rules.
		files: ['test/**/*.ts'],
		extends: [js.configs.recommended, tseslint.configs.recommended],
		rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
	},
);
