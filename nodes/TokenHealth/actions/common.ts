/**
 * What both Token Health operations share: the alert cooldown kept in workflow static data, the
 * routing to "Needs Attention" / "OK", and the per-item event summary.
 */
import type { IExecuteFunctions, INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

import { DEFAULT_COOLDOWN_MINUTES } from '../../shared/diagnose/alertState';
import type { Delivery } from '../../shared/events/eventSink.adapter';
import { CURRENT_VERSION, FIRST_VERSION, N8N_API_CREDENTIAL_TYPE } from '../../shared/credentialCatalog';
import { parseScopes } from '../../shared/diagnose/healthCheck';
import type { CloudEvent } from '../../shared/events/events';
import type { ParameterCheck } from '../../shared/parameters/parameters';
import { describeValue, nonNegativeNumber } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import { err, ok } from '../../shared/types';
import type { ItemResult } from '../../operationContract';

export const OPERATION_PARAMETER = 'operation';
export type TokenHealthOperation = 'diagnoseError' | 'checkCredential' | 'auditCredentials';

/** Diagnose Error's switch for the affected workflows, which needs the n8n API credential. */
export const FIND_AFFECTED_WORKFLOWS_PARAMETER = 'findAffectedWorkflows';

/** Check Credential's switch for Replay Failed Executions After Recovery, which needs the n8n API credential. */
export const REPLAY_PARAMETER = 'replayFailedExecutions';

/**
 * The instance's own API: required by Audit Credentials, by Diagnose Error once "Find Affected Workflows" is on and
 * by Check Credential once "Replay Failed Executions After Recovery" is on. `hide`, not `show`, as for every slot of
 * this node (see credentialChoice in credentialCatalog.ts); n8n hides it when any condition matches, and each switch
 * exists only for its own operation.
 */
export const n8nApiCredentialSlot: INodeCredentialDescription = {
	name: N8N_API_CREDENTIAL_TYPE,
	required: true,
	displayOptions: { hide: { [FIND_AFFECTED_WORKFLOWS_PARAMETER]: [false], [REPLAY_PARAMETER]: [false] } },
};

/** Where an item goes. Version 1 has the first two outputs; version 2 adds "Already Reported". */
export type Route = 'needsAttention' | 'ok' | 'alreadyReported';
export const OUTPUT_INDEX: Readonly<Record<Route, number>> = { needsAttention: 0, ok: 1, alreadyReported: 2 };
export const NEEDS_ATTENTION_OUTPUT = OUTPUT_INDEX.needsAttention;

/**
 * The node's outputs by version, as an expression n8n evaluates per node: version 1 kept two outputs (repeats
 * went to OK unless "Send Duplicates To" said otherwise), version 2 gives repeats of an alert their own output.
 */
/** Whether this node has the "Already Reported" output (version 2 on). */
export const hasAlreadyReportedOutput = (ctx: IExecuteFunctions): boolean =>
	ctx.getNode().typeVersion >= CURRENT_VERSION;

export const TOKEN_HEALTH_OUTPUTS = `={{ $nodeVersion >= ${CURRENT_VERSION} ? [{ "type": "main", "displayName": "Needs Attention" }, { "type": "main", "displayName": "OK" }, { "type": "main", "displayName": "Already Reported" }] : [{ "type": "main", "displayName": "Needs Attention" }, { "type": "main", "displayName": "OK" }] }}`;

export const alertingProperties: INodeProperties[] = [
	{
		displayName: 'Alert Cooldown (Minutes)',
		name: 'alertCooldownMinutes',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULT_COOLDOWN_MINUTES,
		description:
			'Repeats of the same problem for the same credential inside this window are marked "duplicate: true", go to the Already Reported output and are not sent as events again. 0 turns de-duplication off. Kept in workflow static data, which n8n saves for production executions (error workflows, triggers), not for manual test runs.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		// Version 1 only: version 2 sends repeats to their own output.
		displayOptions: { show: { '@version': [FIRST_VERSION] } },
		options: [
			{
				displayName: 'Send Duplicates To',
				name: 'duplicatesOutput',
				type: 'options',
				options: [
					{
						name: 'OK Output',
						value: 'ok',
						description: 'Repeats inside the cooldown do not reach the alerting branch',
					},
					{
						name: 'Needs Attention Output',
						value: 'needsAttention',
						description: 'Repeats go to the alerting branch too, still marked duplicate: true',
					},
				],
				default: 'ok',
				description: 'Where items go that repeat an alert already raised inside the cooldown',
			},
		],
	},
];

// ---------------------------------------------------------------------------------------------
// Parameters of this node that no other node has (the shared checks are in shared/parameters).

/** Scopes separated by spaces or commas, or a list of scope strings from an expression. */
export const scopeList: ParameterCheck<string[]> = (value) => {
	if (typeof value === 'string') return ok(parseScopes(value));
	if (Array.isArray(value) && value.every((scope) => typeof scope === 'string')) return ok(parseScopes(value));
	return err({
		problem: `${describeValue(value)} is not a list of scopes`,
		fix: 'Enter scopes separated by spaces or commas, e.g. openid email, or leave it empty',
	});
};

// ---------------------------------------------------------------------------------------------

export interface AlertSettings {
	cooldownMs: number;
	/** Version 2: repeats of a problem go to "Already Reported". */
	alreadyReportedOutput: boolean;
	/** Version 1 ("Send Duplicates To"): repeats go to Needs Attention instead of OK. */
	duplicatesToNeedsAttention: boolean;
}

const DUPLICATES_OUTPUTS = ['ok', 'needsAttention'] as const;

const duplicatesOutput: ParameterCheck<(typeof DUPLICATES_OUTPUTS)[number]> = (value) => {
	const options = value === undefined || value === null ? {} : value;
	const chosen =
		typeof options === 'object' && !Array.isArray(options)
			? ((options as { duplicatesOutput?: unknown }).duplicatesOutput ?? 'ok')
			: undefined;
	const known = DUPLICATES_OUTPUTS.find((output) => output === chosen);
	return known
		? ok(known)
		: err({
				problem: `Send Duplicates To is ${describeValue(chosen ?? value)}`,
				fix: 'Pick "OK Output" or "Needs Attention Output"',
			});
};

export function alertSettings(ctx: IExecuteFunctions, itemIndex: number): AlertSettings {
	const minutes = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'alertCooldownMinutes', displayName: 'Alert Cooldown (Minutes)', fallback: DEFAULT_COOLDOWN_MINUTES },
		nonNegativeNumber(`${DEFAULT_COOLDOWN_MINUTES} (0 turns de-duplication off)`),
	);
	const output = checkedParameter(
		ctx,
		itemIndex,
		{ name: 'options', displayName: 'Options', fallback: {} },
		duplicatesOutput,
	);
	return {
		cooldownMs: minutes * 60_000,
		alreadyReportedOutput: hasAlreadyReportedOutput(ctx),
		duplicatesToNeedsAttention: output === 'needsAttention',
	};
}

/** What a Token Health operation returns for one item: the output item and which output it goes to. */
export interface RoutedItem {
	item: ItemResult;
	route: Route;
	/** Items that follow it on the same output (the replays its recovery started), paired with the same input item. */
	followers?: ItemResult[];
}

/** A new problem goes to Needs Attention; a repeat to Already Reported (version 1: "Send Duplicates To"). */
export function routeTo(problem: boolean, duplicate: boolean, settings: AlertSettings): Route {
	if (!problem) return 'ok';
	if (!duplicate) return 'needsAttention';
	if (settings.alreadyReportedOutput) return 'alreadyReported';
	return settings.duplicatesToNeedsAttention ? 'needsAttention' : 'ok';
}

export interface EmittedEvent {
	type: string;
	id: string;
	delivery: Delivery;
}

export function summarizeEvent(emitted: { event: CloudEvent; delivery: Delivery }): EmittedEvent {
	return { type: emitted.event.type, id: emitted.event.id, delivery: emitted.delivery };
}

/** The item's `delivery`: a failure if any event failed, otherwise the first event's status. */
export function combinedDelivery(events: EmittedEvent[]): Delivery {
	return (
		events.find((event) => event.delivery.status === 'failed')?.delivery ??
		events[0]?.delivery ?? { status: 'skipped', attempts: 0 }
	);
}
