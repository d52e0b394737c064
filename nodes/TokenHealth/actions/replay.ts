/**
 * Replay Failed Executions After Recovery, for the operations that can close an episode (Check Credential, Audit
 * Credentials): the fields, their checks, and what a replay adds to the item, the event and the output.
 * The engine is nodes/shared/diagnose/replay.ts and replay.adapter.ts.
 */
import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { ItemResult } from '../../operationContract';
import type { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import type { Recovery } from '../../shared/diagnose/alertState';
import type { ReplaySettings } from '../../shared/diagnose/replay';
import {
	DEFAULT_REPLAY_CAP,
	DEFAULT_REPLAY_CONCURRENCY,
	DEFAULT_REPLAY_MAX_AGE_HOURS,
	MAX_REPLAY_CAP,
	MAX_REPLAY_CONCURRENCY,
	recoverySentence,
} from '../../shared/diagnose/replay';
import type { ReplayReport } from '../../shared/diagnose/replay.adapter';
import { replayEpisode } from '../../shared/diagnose/replay.adapter';
import type { ParameterCheck } from '../../shared/parameters/parameters';
import { booleanFlag, describeValue } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import { redactDeep } from '../../shared/security/redact';
import { err, ok } from '../../shared/types';
import { REPLAY_PARAMETER } from './common';

/**
 * Check Credential's switch. Audit Credentials has its own name: the N8n (Token Guard) API slot is hidden while this
 * one is off, and n8n hides a slot when any of its `hide` conditions matches (common.ts n8nApiCredentialSlot).
 */
export { REPLAY_PARAMETER };
export const AUDIT_REPLAY_PARAMETER = 'auditReplayFailedExecutions';
const OPTIONS_PARAMETER = 'replayOptions';
/** Fields only the core's nodes have: the companion has no N8n (Token Guard) API credential to replay with. */
export const REPLAY_PARAMETERS = [REPLAY_PARAMETER, AUDIT_REPLAY_PARAMETER, OPTIONS_PARAMETER];

const toggle = (name: string, operation: string): INodeProperties => ({
	displayName: 'Replay Failed Executions After Recovery',
	name,
	type: 'boolean',
	default: false,
	description:
		'Whether to retry, once the credential works again, the failed executions Diagnose Error recorded for it in this workflow (put the Error Trigger branch and this check in one workflow). Needs the N8n (Token Guard) API credential with the scopes execution:read and execution:retry. A retry resumes at the node that failed, which acts again, and runs the nodes after it late: use it for idempotent workflows.',
	displayOptions: { show: { operation: [operation] } },
});

const options = (toggleName: string, operation: string): INodeProperties => ({
	displayName: 'Replay Options',
	name: OPTIONS_PARAMETER,
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	displayOptions: { show: { operation: [operation], [toggleName]: [true] } },
	options: [
		{
			displayName: 'Max Executions',
			name: 'maxExecutions',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_REPLAY_CAP },
			default: DEFAULT_REPLAY_CAP,
			description: 'At most this many retries per recovery, oldest failure first; the output says how many were left',
		},
		{
			displayName: 'Max Age (Hours)',
			name: 'maxAgeHours',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_REPLAY_MAX_AGE_HOURS,
			description: 'Executions that failed longer ago are not replayed',
		},
		{
			displayName: 'Workflow Version',
			name: 'workflowVersion',
			type: 'options',
			options: [
				{
					name: 'Original',
					value: 'original',
					description: 'Retry with the workflow as it was when the execution ran',
				},
				{ name: 'Currently Saved', value: 'current', description: 'Retry with the workflow as it is saved now' },
			],
			default: 'original',
			description: 'Which version of the workflow the retry runs, as n8n\'s "Retry" menu offers',
		},
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_REPLAY_CONCURRENCY },
			default: DEFAULT_REPLAY_CONCURRENCY,
			description:
				'How many retries run at the same time. More than 1 is safe on n8n 2.x; on n8n 1.x parallel runs of a credential whose refresh token rotates can race its refresh.',
		},
	],
});

export const replayProperties: INodeProperties[] = [
	toggle(REPLAY_PARAMETER, 'checkCredential'),
	options(REPLAY_PARAMETER, 'checkCredential'),
	toggle(AUDIT_REPLAY_PARAMETER, 'auditCredentials'),
	options(AUDIT_REPLAY_PARAMETER, 'auditCredentials'),
];

function boundedNumber(
	raw: Record<string, unknown>,
	field: string,
	label: string,
	bounds: { min: number; max: number; fallback: number },
) {
	const value = raw[field] ?? bounds.fallback;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < bounds.min || value > bounds.max)
		return err({
			problem: `${label} is ${describeValue(value)}`,
			fix: `Enter a number from ${bounds.min} to ${bounds.max}`,
		});
	return ok(value);
}

const replayOptions: ParameterCheck<Omit<ReplaySettings, 'enabled'>> = (value) => {
	const raw = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<
		string,
		unknown
	>;
	const cap = boundedNumber(raw, 'maxExecutions', 'Max Executions', {
		min: 1,
		max: MAX_REPLAY_CAP,
		fallback: DEFAULT_REPLAY_CAP,
	});
	if (!cap.ok) return cap;
	const age = boundedNumber(raw, 'maxAgeHours', 'Max Age (Hours)', {
		min: 0,
		max: 24 * 365,
		fallback: DEFAULT_REPLAY_MAX_AGE_HOURS,
	});
	if (!age.ok) return age;
	const concurrency = boundedNumber(raw, 'concurrency', 'Concurrency', {
		min: 1,
		max: MAX_REPLAY_CONCURRENCY,
		fallback: DEFAULT_REPLAY_CONCURRENCY,
	});
	if (!concurrency.ok) return concurrency;
	const version = raw.workflowVersion ?? 'original';
	if (version !== 'original' && version !== 'current')
		return err({
			problem: `Workflow Version is ${describeValue(version)}`,
			fix: 'Pick "Original" or "Currently Saved"',
		});
	return ok({
		cap: Math.floor(cap.value),
		maxAgeMs: age.value * 3_600_000,
		loadWorkflow: version === 'current',
		concurrency: Math.floor(concurrency.value),
	});
};

/** The replay settings of an operation; checked with its other parameters, before any work. */
export function readReplaySettings(ctx: IExecuteFunctions, itemIndex: number, toggleName: string): ReplaySettings {
	const enabled = checkedParameter(
		ctx,
		itemIndex,
		{ name: toggleName, displayName: 'Replay Failed Executions After Recovery', fallback: false },
		booleanFlag,
	);
	if (!enabled) return { enabled, cap: 0, maxAgeMs: 0, loadWorkflow: false, concurrency: 1 };
	const settings = checkedParameter(
		ctx,
		itemIndex,
		{ name: OPTIONS_PARAMETER, displayName: 'Replay Options', fallback: {} },
		replayOptions,
	);
	return { enabled, ...settings };
}

/**
 * Before an episode is closed: replays its recorded executions when the user asked for it. Runs before the ledger
 * records the success, so an API key without the execution scopes stops the check (naming the scope) and the episode
 * stays open for the next one.
 */
export async function replayBeforeRecovery(
	ctx: IExecuteFunctions,
	ledger: AlertLedger,
	key: string,
	settings: ReplaySettings,
	instanceBaseUrl: string,
	itemIndex: number,
): Promise<ReplayReport | undefined> {
	if (!settings.enabled) return undefined;
	const episode = ledger.episode(key);
	if (!episode?.executions?.length) return undefined;
	return await replayEpisode(ctx, ledger, episode, settings, instanceBaseUrl, itemIndex);
}

/** What a recovery's item and refresh.recovered event say about the replay. */
export function recoveryDetails(recovered: Recovery, report: ReplayReport | undefined, settings: ReplaySettings) {
	const sentence = recoverySentence(recovered.downtimeMs, report?.counts, settings.cap);
	return {
		recoverySummary: `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`,
		...(report ? { replay: report.counts } : {}),
	};
}

/** The recovery's digest on the item (`recovered`) and in refresh.recovered's details, with the replay's counts. */
export function recoveredDigest(
	recovered: Recovery,
	recovery: ReturnType<typeof recoveryDetails> | undefined,
): { downtimeMs: number; failures: number; summary?: string; replay?: ReplayReport['counts'] } {
	return {
		downtimeMs: recovered.downtimeMs,
		failures: recovered.entry.occurrences,
		...(recovery ? { summary: recovery.recoverySummary } : {}),
		...(recovery?.replay ? { replay: recovery.replay } : {}),
	};
}

/** One output item per replayed (or skipped) execution, without any secret of the n8n API credential. */
export function replayItems(report: ReplayReport | undefined): ItemResult[] {
	return (report?.items ?? []).map(({ summary, ...item }) => ({
		json: redactDeep(
			{ summary, replayOf: item.execution.id, newExecutionId: item.newExecution?.id ?? null, ...item },
			report!.secrets,
		) as unknown as ItemResult['json'],
	}));
}
