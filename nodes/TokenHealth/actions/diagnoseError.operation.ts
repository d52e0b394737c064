/**
 * Diagnose Error: one §5.1 diagnosis per input item, de-duplicated per credential, announced as
 * error.diagnosed (and refresh.failed when the refresh itself failed).
 */
import type { IDisplayOptions, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { alertKey } from '../../shared/diagnose/alertState';
import type { Diagnosis } from '../../shared/diagnose/diagnosis';
import { diagnose, isRefreshFailure, needsAttention } from '../../shared/diagnose/diagnosis';
import { emitEvent, eventContext, executionUrl } from '../../shared/events/eventSink.adapter';
import type { TokenGuardEventData } from '../../shared/events/events';
import { booleanFlag, text } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import type { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import type { AlertSettings, EmittedEvent, RoutedItem } from './common';
import { alertSettings, combinedDelivery, FIND_AFFECTED_WORKFLOWS_PARAMETER, routeTo, summarizeEvent } from './common';
import { blastRadiusSentence } from '../../shared/diagnose/credentialAudit';
import type { WorkflowRef } from '../../shared/n8nApi/publicApi';
import { workflowsByCredential } from '../../shared/n8nApi/publicApi';
import { N8nPublicApi } from '../../shared/n8nApi/publicApi.adapter';
import { messageOf } from '../../shared/errors/facts';
import { redactText } from '../../shared/security/redact';
import { CURRENT_VERSION, FIRST_VERSION } from '../../shared/credentialCatalog';
import { keepsForReplay } from '../../shared/diagnose/replay';

const showFor = { show: { operation: ['diagnoseError'] } };

/** The operation's notice; where repeats go differs by node version. */
function diagnoseNotice(routing: string, versions: NonNullable<IDisplayOptions['show']>['@version']): INodeProperties {
	return {
		displayName: `Put this node after an Error Trigger (or on a node's error output). "Needs Attention" gets OAuth problems, rejected API keys, throttling and outages; ${routing}.`,
		name: 'diagnoseNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { ...showFor.show, '@version': versions } },
	};
}

export const description: INodeProperties[] = [
	diagnoseNotice('"OK" gets failures unrelated to authentication and repeats inside the cooldown', [FIRST_VERSION]),
	diagnoseNotice(
		'"OK" gets failures unrelated to authentication; "Already Reported" gets repeats of an alert inside the cooldown',
		[{ _cnd: { gte: CURRENT_VERSION } }],
	),
	{
		displayName: 'Error Field',
		name: 'errorField',
		type: 'string',
		default: '',
		placeholder: 'e.g. body.lastError',
		description:
			'Leave empty to read what n8n provides: the Error Trigger\'s execution.error or trigger.error, or the "error" field of error-output and Continue On Fail items. Otherwise the field that holds the error (text or object); use dots for nested fields.',
		displayOptions: showFor,
	},
	{
		displayName: 'Find Affected Workflows',
		name: FIND_AFFECTED_WORKFLOWS_PARAMETER,
		type: 'boolean',
		default: false,
		description:
			"Whether to ask this n8n's API (N8n (Token Guard) API credential, scope workflow:list) which active workflows use the failing credential, and name them in the summary",
		displayOptions: showFor,
	},
];

function eventData(
	diagnosis: Diagnosis,
	digest: { occurrences: number; workflows: string[] },
	duplicate: boolean,
): TokenGuardEventData {
	const { credential, source, failedNode } = diagnosis;
	const data: TokenGuardEventData = {
		credential: {
			...(credential.type ? { type: credential.type } : {}),
			...(credential.id ? { id: credential.id } : {}),
			...(credential.name ? { name: credential.name } : {}),
		},
		provider: diagnosis.provider,
		category: diagnosis.category,
		action: diagnosis.action,
		severity: diagnosis.severity,
		occurrences: digest.occurrences,
		workflows: digest.workflows,
		execution: {
			...(source.executionId ? { id: source.executionId } : {}),
			...(source.executionUrl ? { url: source.executionUrl } : {}),
			...(source.mode ? { mode: source.mode } : {}),
		},
		details: {
			summary: diagnosis.summary,
			reason: diagnosis.reason,
			isOAuthIssue: diagnosis.isOAuthIssue,
			httpCode: diagnosis.evidence.httpCode,
			oauthError: diagnosis.evidence.oauthError,
			errorMessage: diagnosis.evidence.message,
			reconnectUrl: credential.reconnectUrl,
			duplicate,
		},
	};
	if (source.workflowId || source.workflowName) {
		data.workflow = {
			...(source.workflowId ? { id: source.workflowId } : {}),
			...(source.workflowName ? { name: source.workflowName } : {}),
		};
	}
	if (failedNode.name || failedNode.type) {
		data.node = {
			...(failedNode.name ? { name: failedNode.name } : {}),
			...(failedNode.type ? { type: failedNode.type } : {}),
		};
	}
	return data;
}

/** The diagnosis of one item's error, read from the Error Field or where n8n puts it. */
function diagnoseItem(ctx: IExecuteFunctions, item: INodeExecutionData, itemIndex: number): Diagnosis {
	const context = eventContext(ctx);
	const errorField = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'errorField', displayName: 'Error Field', fallback: '' },
		text('body.lastError'),
	);
	const result = diagnose(item.json, {
		instanceBaseUrl: context.instanceBaseUrl,
		errorField,
		// Error-output and Continue On Fail items come from this very execution.
		fallbackSource: {
			executionId: context.execution.id,
			executionUrl: executionUrl(context.instanceBaseUrl, context.workflow.id, context.execution.id),
			workflowId: context.workflow.id,
			workflowName: context.workflow.name,
			mode: context.execution.mode,
		},
	});
	if (!result.ok) {
		throw new NodeOperationError(ctx.getNode(), `Error Field "${errorField}" does not exist in item ${itemIndex}`, {
			itemIndex,
			description: `${result.error.message}. Use dots for nested fields (e.g. body.lastError), or leave "Error Field" empty to read the Error Trigger's or error output's error.`,
		});
	}
	return result.value;
}

/** The run's workflow listing, read once however many items ask (keyed by the run's execution context). */
const usageOfRun = new WeakMap<IExecuteFunctions, Promise<Map<string, WorkflowRef[]>>>();

/**
 * The active workflows that use the failing credential. A refusal or an unreachable API is reported on the item
 * instead of failing it: the diagnosis of the failure matters more than its blast radius.
 */
async function affectedWorkflows(
	ctx: IExecuteFunctions,
	diagnosis: Diagnosis,
	itemIndex: number,
): Promise<{ affectedWorkflows: WorkflowRef[] } | { affectedWorkflows: null; affectedWorkflowsError: string }> {
	const credentialId = diagnosis.credential.id;
	if (!credentialId) return { affectedWorkflows: [] };
	let usage = usageOfRun.get(ctx);
	if (usage === undefined) {
		const instanceBaseUrl = eventContext(ctx).instanceBaseUrl;
		usage = N8nPublicApi.open(ctx, itemIndex).then(async (api) =>
			workflowsByCredential(await api.listWorkflows(), instanceBaseUrl),
		);
		usageOfRun.set(ctx, usage);
	}
	try {
		const workflows = (await usage).get(credentialId) ?? [];
		return { affectedWorkflows: workflows.filter((workflow) => workflow.active) };
	} catch (error) {
		return { affectedWorkflows: null, affectedWorkflowsError: redactText(messageOf(error)) };
	}
}

/** With Find Affected Workflows on, a problem's diagnosis gains `affectedWorkflows` and the count in its summary. */
async function withBlastRadius(ctx: IExecuteFunctions, diagnosed: Diagnosis, problem: boolean, itemIndex: number) {
	const findAffected = checkedParameter(
		ctx,
		itemIndex,
		{ name: FIND_AFFECTED_WORKFLOWS_PARAMETER, displayName: 'Find Affected Workflows', fallback: false },
		booleanFlag,
	);
	const blastRadius = findAffected && problem ? await affectedWorkflows(ctx, diagnosed, itemIndex) : undefined;
	const diagnosis: Diagnosis = blastRadius?.affectedWorkflows
		? { ...diagnosed, summary: `${diagnosed.summary}${blastRadiusSentence(blastRadius.affectedWorkflows)}` }
		: diagnosed;
	return { diagnosis, blastRadius };
}

/**
 * A problem is recorded in the alert memory, which says whether it repeats one inside the cooldown. A failure the
 * credential caused keeps its execution (id, workflow, time) in the episode, for a replay once the credential works.
 */
function recordProblem(
	ledger: AlertLedger,
	diagnosis: Diagnosis,
	settings: AlertSettings,
	own: { workflowId: string; executionId: string | null },
) {
	const { source } = diagnosis;
	const execution =
		keepsForReplay(diagnosis.action, source, own) && source.executionId && source.workflowId
			? {
					id: source.executionId,
					workflowId: source.workflowId,
					...(source.workflowName ? { workflowName: source.workflowName } : {}),
				}
			: undefined;
	const key = alertKey({
		credentialId: diagnosis.credential.id,
		workflowId: diagnosis.source.workflowId,
		category: diagnosis.category,
	});
	const { decision, eventIdFor } = ledger.announce(
		{
			key,
			category: diagnosis.category,
			severity: diagnosis.severity,
			nowMs: Date.now(),
			cooldownMs: settings.cooldownMs,
			credential: {
				...(diagnosis.credential.type ? { type: diagnosis.credential.type } : {}),
				...(diagnosis.credential.id ? { id: diagnosis.credential.id } : {}),
				...(diagnosis.credential.name ? { name: diagnosis.credential.name } : {}),
			},
			workflowId: diagnosis.source.workflowId,
			...(execution ? { execution } : {}),
		},
		own.workflowId,
	);
	return {
		duplicate: decision.duplicate,
		occurrences: decision.occurrences,
		workflows: decision.workflows,
		suppressedDuplicates: decision.suppressed,
		eventIdFor,
	};
}

const ownRun = (ctx: IExecuteFunctions) => ({
	workflowId: ctx.getWorkflow().id ?? '',
	executionId: eventContext(ctx).execution.id ?? null,
});

export async function execute(
	this: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
	ledger: AlertLedger,
): Promise<RoutedItem> {
	const diagnosed = diagnoseItem(this, item, itemIndex);
	const settings = alertSettings(this, itemIndex);
	const problem = needsAttention(diagnosed);
	const { diagnosis, blastRadius } = await withBlastRadius(this, diagnosed, problem, itemIndex);
	const noProblem = { duplicate: false, occurrences: 1, suppressedDuplicates: 0, eventIdFor: () => undefined };
	const { duplicate, occurrences, suppressedDuplicates, eventIdFor, workflows } = problem
		? recordProblem(ledger, diagnosis, settings, ownRun(this))
		: { ...noProblem, workflows: diagnosis.source.workflowId ? [diagnosis.source.workflowId] : [] };

	const data = eventData(diagnosis, { occurrences, workflows }, duplicate);
	const events: EmittedEvent[] = [];
	// An item without any error is reported on the item only: there is nothing to announce.
	if (diagnosis.errorFound)
		events.push(
			summarizeEvent(
				await emitEvent(this, 'error.diagnosed', data, {
					itemIndex,
					suppress: duplicate,
					eventId: eventIdFor('error.diagnosed'),
				}),
			),
		);
	if (isRefreshFailure(diagnosis)) {
		events.push(
			summarizeEvent(
				await emitEvent(this, 'refresh.failed', data, {
					itemIndex,
					suppress: duplicate,
					eventId: eventIdFor('refresh.failed'),
				}),
			),
		);
	}

	// The summary first: n8n's Table view shows the keys in this order.
	const { summary, ...details } = diagnosis;
	return {
		item: {
			json: {
				summary,
				...details,
				...blastRadius,
				duplicate,
				occurrences,
				workflows,
				suppressedDuplicates,
				events,
				delivery: combinedDelivery(events),
			} as unknown as INodeExecutionData['json'],
		},
		route: routeTo(problem, duplicate, settings),
	};
}
