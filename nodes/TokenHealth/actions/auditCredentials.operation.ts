/**
 * Audit Credentials: every OAuth2 credential of this n8n, through its public API (N8n (Token Guard) API
 * credential). One item per credential: the workflows that use it, n8n's own credential test, and for a failed
 * test Diagnose Error's verdict. Alerts through the same alert ledger as Check Credential: a newly broken
 * credential alerts once per cooldown, a repeat goes to Already Reported, a credential that passes again after
 * failing announces its recovery (docs/ARCHITECTURE.md#alert-memory).
 */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { credentialTypeInfo } from '../../shared/credentialCatalog';
import type { ItemResult } from '../../operationContract';
import type { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import { credentialAlertKey } from '../../shared/diagnose/alertState';
import type { AuditVerdict } from '../../shared/diagnose/credentialAudit';
import { auditVerdict } from '../../shared/diagnose/credentialAudit';
import { emitEvent, eventContext } from '../../shared/events/eventSink.adapter';
import type { TokenGuardEventData } from '../../shared/events/events';
import type { InstanceCredential, TestOutcome, WorkflowRef } from '../../shared/n8nApi/publicApi';
import { isOAuthCredentialType, TEST_CONCURRENCY, workflowsByCredential } from '../../shared/n8nApi/publicApi';
import { N8nPublicApi } from '../../shared/n8nApi/publicApi.adapter';
import { redactDeep } from '../../shared/security/redact';
import type { AlertSettings, EmittedEvent, RoutedItem } from './common';
import { alertSettings, combinedDelivery, routeTo, summarizeEvent } from './common';

export const AUDIT_OPERATION = 'auditCredentials';

const showFor = { show: { operation: [AUDIT_OPERATION] } };

export const description: INodeProperties[] = [
	{
		displayName:
			'Checks every OAuth2 credential of this n8n with n8n\'s own credential test, through its public API. "Needs Attention" gets newly broken credentials with the workflows they break; "OK" healthy and untestable ones; "Already Reported" credentials still broken inside the cooldown. Run it on a Schedule Trigger.',
		name: 'auditNotice',
		type: 'notice',
		default: '',
		displayOptions: showFor,
	},
];

interface Audited {
	credential: InstanceCredential;
	usedBy: WorkflowRef[];
	test: TestOutcome;
	verdict: AuditVerdict;
}

/** The instance's OAuth2 credentials with their workflows and n8n's test of each. */
async function gather(ctx: IExecuteFunctions, api: N8nPublicApi, instanceBaseUrl: string): Promise<Audited[]> {
	const credentials = (await api.listCredentials()).filter((credential) => isOAuthCredentialType(credential.type));
	const usage = workflowsByCredential(await api.listWorkflows(), instanceBaseUrl);
	const tests = await api.testCredentials(
		credentials.map((credential) => credential.id),
		TEST_CONCURRENCY,
	);
	return credentials.map((credential, index) => {
		const usedBy = usage.get(credential.id) ?? [];
		return {
			credential,
			usedBy,
			test: tests[index],
			verdict: auditVerdict(credential, usedBy, tests[index], instanceBaseUrl),
		};
	});
}

function eventData(audited: Audited, extra: Partial<TokenGuardEventData> = {}): TokenGuardEventData {
	const { credential, verdict, usedBy } = audited;
	const diagnosis = verdict.diagnosis;
	return {
		credential: { type: credential.type, id: credential.id, name: credential.name },
		provider: verdict.provider,
		...(diagnosis ? { category: diagnosis.category, action: diagnosis.action } : {}),
		severity: diagnosis?.severity ?? 'info',
		...extra,
		details: {
			summary: verdict.summary,
			status: verdict.status,
			reconnectUrl: verdict.reconnectUrl,
			activeWorkflows: usedBy.filter((workflow) => workflow.active).map((workflow) => workflow.id),
			...extra.details,
		},
	};
}

/** Records the outcome in the alert ledger and sends what is news: a new problem, or a recovery. */
async function announce(
	ctx: IExecuteFunctions,
	ledger: AlertLedger,
	audited: Audited,
	settings: AlertSettings,
	secrets: string[],
) {
	const { credential, verdict } = audited;
	const key = credentialAlertKey(credential.id);
	const nowMs = Date.now();
	const events: EmittedEvent[] = [];
	const emit = async (
		type: 'health.checked' | 'refresh.recovered',
		data: TokenGuardEventData,
		suppress: boolean,
		eventId?: string,
	) => events.push(summarizeEvent(await emitEvent(ctx, type, data, { itemIndex: 0, suppress, secrets, eventId })));

	if (verdict.status === 'untestable') return { duplicate: false, occurrences: 0, events, recovered: undefined };
	if (verdict.status === 'healthy') {
		const recovered = ledger.success(key, nowMs);
		if (recovered) {
			await emit(
				'refresh.recovered',
				eventData(audited, {
					category: recovered.entry.category,
					occurrences: recovered.entry.occurrences,
					workflows: recovered.entry.workflows ?? [],
					details: { downtimeMs: recovered.downtimeMs, failures: recovered.entry.occurrences },
				}),
				false,
			);
		}
		return { duplicate: false, occurrences: 0, events, recovered };
	}
	const diagnosis = verdict.diagnosis;
	const category = diagnosis?.category ?? 'not_auth_related';
	const { decision, eventIdFor } = ledger.announce(
		{
			key,
			category,
			severity: diagnosis?.severity === 'info' || diagnosis === null ? 'warning' : diagnosis.severity,
			nowMs,
			cooldownMs: settings.cooldownMs,
			credential: { type: credential.type, id: credential.id, name: credential.name },
		},
		ctx.getWorkflow().id ?? '',
	);
	await emit(
		'health.checked',
		eventData(audited, { occurrences: decision.occurrences }),
		decision.duplicate,
		eventIdFor('health.checked'),
	);
	return { duplicate: decision.duplicate, occurrences: decision.occurrences, events, recovered: undefined };
}

function itemJson(audited: Audited, alert: Awaited<ReturnType<typeof announce>>): INodeExecutionData['json'] {
	const { credential, usedBy, test, verdict } = audited;
	const diagnosis = verdict.diagnosis;
	// The summary first: n8n's Table view shows the keys in this order.
	return {
		summary: verdict.summary,
		status: verdict.status,
		credential: {
			type: credential.type,
			typeName: credentialTypeInfo(credential.type)?.displayName ?? credential.type,
			id: credential.id,
			name: credential.name,
			reconnectUrl: verdict.reconnectUrl,
		},
		provider: verdict.provider,
		usedBy,
		activeWorkflows: usedBy.filter((workflow) => workflow.active).length,
		test: { result: test.kind, message: test.message },
		isOAuthIssue: diagnosis?.isOAuthIssue ?? false,
		category: diagnosis?.category ?? null,
		action: diagnosis?.action ?? null,
		severity: diagnosis?.severity ?? (verdict.status === 'healthy' ? 'info' : null),
		remediation: diagnosis?.remediation ?? [],
		reason: diagnosis?.reason ?? null,
		duplicate: alert.duplicate,
		occurrences: alert.occurrences,
		...(alert.recovered
			? { recovered: { downtimeMs: alert.recovered.downtimeMs, failures: alert.recovered.entry.occurrences } }
			: {}),
		events: alert.events,
		delivery: combinedDelivery(alert.events),
	} as unknown as INodeExecutionData['json'];
}

/** One audit for the run (however many items came in), one item per OAuth2 credential of the instance. */
export async function executeOnce(this: IExecuteFunctions, ledger: AlertLedger): Promise<RoutedItem[]> {
	const settings = alertSettings(this, 0);
	const context = eventContext(this);
	const api = await N8nPublicApi.open(this, 0);
	const audited = await gather(this, api, context.instanceBaseUrl);
	const routed: RoutedItem[] = [];
	for (const entry of audited) {
		const alert = await announce(this, ledger, entry, settings, api.secrets);
		routed.push({
			// n8n's test messages are redacted by n8n and by the client; the API key is redacted once more here.
			item: { json: redactDeep(itemJson(entry, alert), api.secrets) },
			route: routeTo(entry.verdict.status === 'needsAttention', alert.duplicate, settings),
		});
	}
	return routed;
}

/** "6 OAuth2 credentials: 2 need attention, 3 healthy, 1 untestable" for n8n's output pane. */
export function summarize(items: ItemResult[]): string | undefined {
	const count = (status: string) => items.filter((item) => item.json.status === status).length;
	if (items.length === 0) return 'No OAuth2 credentials on this instance';
	const attention = count('needsAttention');
	return `${items.length} OAuth2 credential${items.length === 1 ? '' : 's'}: ${attention} need${attention === 1 ? 's' : ''} attention, ${count('healthy')} healthy, ${count('untestable')} untestable`;
}
