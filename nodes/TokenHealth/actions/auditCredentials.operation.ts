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
import type { ReplaySettings } from '../../shared/diagnose/replay';
import {
	AUDIT_REPLAY_PARAMETER,
	readReplaySettings,
	recoveredDigest,
	recoveryDetails,
	replayBeforeRecovery,
	replayItems,
} from './replay';

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

/** A healthy credential closes its open episode, after replaying its failed executions if asked: one recovery. */
async function recover(
	ctx: IExecuteFunctions,
	ledger: AlertLedger,
	audited: Audited,
	replaySettings: ReplaySettings,
	emit: (type: 'refresh.recovered', data: TokenGuardEventData, suppress: boolean) => Promise<unknown>,
) {
	const key = credentialAlertKey(audited.credential.id);
	// Replays run before the success is recorded: a key without the execution scopes leaves the episode open.
	const replay = await replayBeforeRecovery(ctx, ledger, key, replaySettings, eventContext(ctx).instanceBaseUrl, 0);
	const recovered = ledger.success(key, Date.now());
	const recovery = recovered && recoveryDetails(recovered, replay, replaySettings);
	if (recovered) {
		await emit(
			'refresh.recovered',
			eventData(audited, {
				category: recovered.entry.category,
				occurrences: recovered.entry.occurrences,
				workflows: recovered.entry.workflows ?? [],
				details: recoveredDigest(recovered, recovery),
			}),
			false,
		);
	}
	return { recovered, recovery, replay };
}

/** Records the outcome in the alert ledger and sends what is news: a new problem, or a recovery. */
async function announce(
	ctx: IExecuteFunctions,
	ledger: AlertLedger,
	audited: Audited,
	settings: AlertSettings,
	secrets: string[],
	replaySettings: ReplaySettings,
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

	const quiet = {
		duplicate: false,
		occurrences: 0,
		events,
		recovered: undefined,
		recovery: undefined,
		replay: undefined,
	};
	if (verdict.status === 'untestable') return quiet;
	if (verdict.status === 'healthy') return { ...quiet, ...(await recover(ctx, ledger, audited, replaySettings, emit)) };
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
	return { ...quiet, duplicate: decision.duplicate, occurrences: decision.occurrences };
}

function itemJson(audited: Audited, alert: Awaited<ReturnType<typeof announce>>): INodeExecutionData['json'] {
	const { credential, usedBy, test, verdict } = audited;
	const diagnosis = verdict.diagnosis;
	// The summary first: n8n's Table view shows the keys in this order.
	return {
		summary: alert.recovery ? `${verdict.summary} ${alert.recovery.recoverySummary}` : verdict.summary,
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
		...(alert.recovered ? { recovered: recoveredDigest(alert.recovered, alert.recovery) } : {}),
		events: alert.events,
		delivery: combinedDelivery(alert.events),
	} as unknown as INodeExecutionData['json'];
}

/** One audit for the run (however many items came in), one item per OAuth2 credential of the instance. */
export async function executeOnce(this: IExecuteFunctions, ledger: AlertLedger): Promise<RoutedItem[]> {
	const settings = alertSettings(this, 0);
	const replaySettings = readReplaySettings(this, 0, AUDIT_REPLAY_PARAMETER);
	const context = eventContext(this);
	const api = await N8nPublicApi.open(this, 0);
	const audited = await gather(this, api, context.instanceBaseUrl);
	const routed: RoutedItem[] = [];
	for (const entry of audited) {
		const alert = await announce(this, ledger, entry, settings, api.secrets, replaySettings);
		routed.push({
			// n8n's test messages are redacted by n8n and by the client; the API key is redacted once more here.
			item: { json: redactDeep(itemJson(entry, alert), api.secrets) },
			route: routeTo(entry.verdict.status === 'needsAttention', alert.duplicate, settings),
			followers: replayItems(alert.replay),
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
