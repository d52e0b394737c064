/** Two tiers: `unit` (pure engine functions) and `integration` (real n8n-core + loopback servers). */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true, diagnostics: false }];

module.exports = {
	// A global option: Jest ignores testTimeout inside a project. Integration runs start real servers.
	testTimeout: 120000,
	projects: [
		{
			displayName: 'unit',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
		},
		{
			displayName: 'integration',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
			setupFiles: ['<rootDir>/test/harness/jest-setup.ts'],
		},
	],
};
