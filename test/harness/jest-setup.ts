/**
 * Integration-tier setup (jest `setupFiles`), runs before each test file's modules load.
 * n8n-core's InstanceSettings reads N8N_USER_FOLDER on first use and writes
 * `<folder>/.n8n/config` (encryption key); a throwaway folder keeps the developer's real n8n
 * settings untouched and every test file isolated.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.N8N_USER_FOLDER = mkdtempSync(join(tmpdir(), 'token-guard-n8n-'));
// The settings file is created with default permissions; don't let n8n-core warn about them.
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
