/**
 * The core and companion node descriptions: which credentials each package's nodes take, and that the companion
 * editions keep every field of the core operations they offer (they are derived, never re-declared).
 */
import { REPLAY_PARAMETERS } from '../../nodes/TokenHealth/actions/replay';
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';

import { ForceRefreshBuiltIn } from '../../builtin/nodes/ForceRefreshBuiltIn/ForceRefreshBuiltIn.node';
import { TokenHealthBuiltIn } from '../../builtin/nodes/TokenHealthBuiltIn/TokenHealthBuiltIn.node';
import { ForceRefresh } from '../../nodes/ForceRefresh/ForceRefresh.node';
import { TokenHealth } from '../../nodes/TokenHealth/TokenHealth.node';
import {
	BUILT_IN_CREDENTIAL_TYPES,
	BUILT_IN_WEBHOOK_CREDENTIAL_TYPE,
	N8N_API_CREDENTIAL_TYPE,
	OWN_CREDENTIAL_TYPES,
	WEBHOOK_CREDENTIAL_TYPE,
} from '../../nodes/shared/credentialCatalog';

const credentialNames = (description: INodeTypeDescription) => (description.credentials ?? []).map(({ name }) => name);
const property = (description: INodeTypeDescription, name: string): INodeProperties =>
	description.properties.find((candidate) => candidate.name === name)!;
const optionValues = (parameter: INodeProperties) =>
	(parameter.options ?? []).map((option) => ('value' in option ? option.value : undefined));

const own = OWN_CREDENTIAL_TYPES.map((info) => info.name);
const builtIn = BUILT_IN_CREDENTIAL_TYPES.map((info) => info.name);

describe.each([
	['Force Refresh', new ForceRefresh().description, new ForceRefreshBuiltIn().description, []],
	['Token Health', new TokenHealth().description, new TokenHealthBuiltIn().description, [N8N_API_CREDENTIAL_TYPE]],
])('%s', (_label, core, companion, coreOnly) => {
	it("the core node takes this package's own credential types and its webhook credential, nothing built in", () => {
		// Token Health's n8n API credential (Audit Credentials, affected workflows) is the core's own type too.
		expect(credentialNames(core)).toEqual([...own, ...coreOnly, WEBHOOK_CREDENTIAL_TYPE]);
		expect(optionValues(property(core, 'credentialType'))).toEqual(own);
	});

	it("the companion node takes n8n's built-in types and the companion's webhook credential, nothing of the core's", () => {
		expect(credentialNames(companion)).toEqual([...builtIn, BUILT_IN_WEBHOOK_CREDENTIAL_TYPE]);
		expect(optionValues(property(companion, 'credentialType'))).toEqual(builtIn);
		const versions = companion.properties.filter((candidate) => candidate.name === 'credentialType');
		expect(versions.map((field) => field.default)).toEqual(['oAuth2Api', '']);
	});

	it('the two are different node types with their own names, icons and display names', () => {
		expect(companion.name).not.toBe(core.name);
		expect(companion.displayName).not.toBe(core.displayName);
		expect(companion.defaults.name).toBe(companion.displayName);
		expect(companion.icon).not.toEqual(core.icon);
	});

	it('a credential slot keeps the display conditions of the core slot it replaces', () => {
		const coreConditions = { ...core.credentials![0].displayOptions!.hide };
		const companionConditions = { ...companion.credentials![0].displayOptions!.hide };
		delete coreConditions.credentialType;
		delete companionConditions.credentialType;
		expect(companionConditions).toEqual(coreConditions);
	});

	it("no credential slot uses `show`: n8n's editor would hide the field it names and merge the slots", () => {
		for (const description of [core, companion]) {
			expect((description.credentials ?? []).filter((slot) => slot.displayOptions?.show !== undefined)).toEqual([]);
		}
	});

	it('version 2 starts with no credential type (no credential pre-selected); version 1 keeps its old default', () => {
		const fields = core.properties.filter((candidate) => candidate.name === 'credentialType');
		expect(fields.map((field) => [field.displayOptions?.show?.['@version'], field.default])).toEqual([
			[[1], own[0]],
			[[{ _cnd: { gte: 2 } }], ''],
		]);
		expect(core.version).toEqual([1, 2]);
		expect(core.defaultVersion).toBe(2);
	});
});

describe('which operations the companion offers', () => {
	it('Force Refresh: all three, with every field of the core node', () => {
		const core = new ForceRefresh().description;
		const companion = new ForceRefreshBuiltIn().description;
		expect(companion.properties.map(({ name }) => name)).toEqual(core.properties.map(({ name }) => name));
		expect(optionValues(property(companion, 'operation'))).toEqual(optionValues(property(core, 'operation')));
	});

	it('Token Health: Check Credential only (Diagnose Error and Audit Credentials stay in the core)', () => {
		const core = new TokenHealth().description;
		const companion = new TokenHealthBuiltIn().description;
		const operation = property(companion, 'operation');
		expect(optionValues(operation)).toEqual(['checkCredential']);
		expect(operation.default).toBe('checkCredential');
		const forDiagnoseOnly = core.properties.filter((candidate) =>
			['["diagnoseError"]', '["auditCredentials"]'].includes(JSON.stringify(candidate.displayOptions?.show?.operation)),
		);
		expect(optionValues(property(core, 'operation'))).toEqual(['diagnoseError', 'checkCredential', 'auditCredentials']);
		expect(forDiagnoseOnly.length).toBeGreaterThan(0);
		const companionNames = companion.properties.map(({ name }) => name);
		for (const dropped of forDiagnoseOnly) expect(companionNames).not.toContain(dropped.name);
		// Replaying needs the N8n (Token Guard) API credential, which the companion's nodes do not take.
		expect(companionNames).not.toContain('replayFailedExecutions');
		expect(companionNames).not.toContain('replayOptions');
		const kept = core.properties.filter(
			(candidate) => !forDiagnoseOnly.includes(candidate) && !REPLAY_PARAMETERS.includes(candidate.name),
		);
		expect(companionNames).toEqual(kept.map(({ name }) => name));
	});
});
