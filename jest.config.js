/** Five tiers: `unit` (pure engine functions), `integration` (real n8n-core + loopback servers), `e2e` (real n8n), `ui` (n8n's editor in a browser), `queue` (real n8n in queue mode: main + 2 workers, Redis, Postgres). */
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
			setupFilesAfterEnv: ['<rootDir>/test/harness/freshProcess.ts'],
		},
		{
			// Real n8n 2.x headless (installed by test/e2e/setup into a cache outside the repo).
			displayName: 'e2e',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
			globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
			globalTeardown: '<rootDir>/test/e2e/globalTeardown.ts',
		},
		{
			// n8n queue mode: main + workers with Redis and Postgres from Debian (test/queue/setup installs them).
			displayName: 'queue',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/queue/**/*.queue.test.ts'],
			globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
			globalTeardown: '<rootDir>/test/e2e/globalTeardown.ts',
		},
		{
			// The editor in headless Debian Chromium against real n8n (test/browser/setup installs the browser).
			displayName: 'ui',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/ui/**/*.ui.test.ts'],
			globalSetup: '<rootDir>/test/e2e/globalSetup.ts',
			globalTeardown: '<rootDir>/test/e2e/globalTeardown.ts',
		},
	],
};
