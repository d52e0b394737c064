/**
 * The verdict of Audit Credentials for one credential of the instance, and the blast-radius sentence Diagnose Error
 * and the audit share. Pure. A failed credential test is diagnosed by the same diagnosis as a failed execution
 * (diagnosis.ts): n8n's test message is read as the error of a node that used the credential, so categories,
 * remediation and reconnect links are Diagnose Error's own.
 */
import { credentialTypeInfo } from '../credentialCatalog';
import type { InstanceCredential, TestOutcome, WorkflowRef } from '../n8nApi/publicApi';
import type { Provider } from '../types';
import type { Diagnosis } from './diagnosis';
import { diagnose, reconnectUrlFor } from './diagnosis';

export type AuditStatus = 'needsAttention' | 'healthy' | 'untestable';

export interface AuditVerdict {
	status: AuditStatus;
	summary: string;
	provider: Provider;
	/** Diagnose Error's diagnosis of the failed test; null when the test passed or could not run. */
	diagnosis: Diagnosis | null;
	reconnectUrl: string | null;
}

/** How many workflow names a sentence lists before "…". */
export const NAMED_WORKFLOWS = 5;

const quoted = (name: string): string => `"${name.replace(/"/g, "'")}"`;

/** " It is used by 7 active workflows: Inbox triage, CRM sync, …" — empty when no active workflow uses it. */
export function blastRadiusSentence(workflows: readonly WorkflowRef[]): string {
	const active = workflows.filter((workflow) => workflow.active);
	if (active.length === 0) return '';
	const names = active.slice(0, NAMED_WORKFLOWS).map((workflow) => workflow.name);
	const more = active.length > NAMED_WORKFLOWS ? ', …' : '';
	return ` It is used by ${active.length} active workflow${active.length === 1 ? '' : 's'}: ${names.join(', ')}${more}.`;
}

function usageSentence(workflows: readonly WorkflowRef[]): string {
	if (workflows.length === 0) return ' No workflow uses it.';
	const radius = blastRadiusSentence(workflows);
	if (radius !== '') return radius;
	return ` It is used by ${workflows.length} inactive workflow${workflows.length === 1 ? '' : 's'}.`;
}

export function auditVerdict(
	credential: InstanceCredential,
	usedBy: readonly WorkflowRef[],
	test: TestOutcome,
	instanceBaseUrl: string,
): AuditVerdict {
	const reconnectUrl = reconnectUrlFor(instanceBaseUrl, credential.id);
	const knownProvider = credentialTypeInfo(credential.type)?.provider ?? 'unknown';
	if (test.kind === 'passed') {
		return {
			status: 'healthy',
			summary: `The credential ${quoted(credential.name)} passed n8n's credential test.${usageSentence(usedBy)}`,
			provider: knownProvider,
			diagnosis: null,
			reconnectUrl,
		};
	}
	if (test.kind === 'untestable') {
		return {
			status: 'untestable',
			summary: `n8n has no credential test for ${quoted(credential.name)} (${credential.type}), so its health is unknown; it fails only when a workflow uses it.${usageSentence(usedBy)}`,
			provider: knownProvider,
			diagnosis: null,
			reconnectUrl,
		};
	}
	// n8n's test message as the error of a node holding this credential: the Diagnose Error rules decide.
	const result = diagnose(
		{
			error: {
				message: test.message,
				node: { credentials: { [credential.type]: { id: credential.id, name: credential.name } } },
			},
		},
		{ instanceBaseUrl },
	);
	const diagnosis = result.ok ? result.value : null;
	return {
		status: 'needsAttention',
		summary: `${diagnosis?.summary ?? `The credential ${quoted(credential.name)} failed n8n's credential test.`}${usageSentence(usedBy)}`,
		provider: diagnosis?.provider ?? knownProvider,
		diagnosis,
		reconnectUrl,
	};
}
