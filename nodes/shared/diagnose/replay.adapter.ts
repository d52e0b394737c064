/**
 * Replays the failed executions of an episode that is closing, through the instance's public API (N8n (Token Guard)
 * API credential): n8n's status of each first (skipping what succeeded, was retried or is gone since), then one retry
 * each, `concurrency` at a time. Every retry is claimed in the alert ledger before it starts, so none runs twice.
 * Reading n8n's view failing (a missing scope, named; the domain restriction; an unreachable API) stops the replay
 * before any retry; a refused retry stops it too and gives back the claims of the retries that never started. Either
 * way the check fails and the episode stays open for the next one. A retry that fails on its own (409, a timeout) is
 * that execution's error, not the run's.
 */
import type { IExecuteFunctions, NodeOperationError } from 'n8n-workflow';

import { mapWithConcurrency } from '../concurrency';
import { messageOf } from '../errors/facts';
import type { ExecutionState } from '../n8nApi/publicApi';
import { workflowUrl } from '../n8nApi/publicApi';
import { N8nPublicApi, refusalOf } from '../n8nApi/publicApi.adapter';
import { redactText } from '../security/redact';
import { withoutTrailingSlashes } from '../security/urls';
import type { AlertLedger } from './alertLedger.adapter';
import type { AlertEntry, RecordedExecution } from './alertState';
import type { ReplayCounts, ReplaySettings, ReplayStatus } from './replay';
import { countReplays, planReplay, replayStatus, SKIP_TEXT, skipReason } from './replay';

/** One replayed (or skipped) execution, as the node puts it out. */
export interface ReplayItem {
	summary: string;
	status: ReplayStatus;
	execution: { id: string; url: string | null; failedAt: string };
	workflow: { id: string; name: string | null; url: string | null };
	newExecution: { id: string; status: string; url: string | null } | null;
	reason: string | null;
}

export interface ReplayReport {
	counts: ReplayCounts;
	items: ReplayItem[];
	/** The API key and the other secrets of the n8n API credential, for redacting what the caller outputs. */
	secrets: string[];
}

function executionUrl(instanceBaseUrl: string, workflowId: string, executionId: string): string | null {
	const workflow = workflowUrl(instanceBaseUrl, workflowId);
	return workflow === null ? null : `${withoutTrailingSlashes(workflow)}/executions/${encodeURIComponent(executionId)}`;
}

/**
 * n8n's view of each due execution. Any failure here stops the replay before a retry starts (a refusal, the
 * domain restriction, an unreachable API concern every execution alike): the episode stays open for the next check.
 */
async function checkAll(
	api: N8nPublicApi,
	due: RecordedExecution[],
	concurrency: number,
): Promise<Array<ExecutionState | null>> {
	return await mapWithConcurrency(due.length, concurrency, async (index) => await api.executionState(due[index][0]));
}

/** Retries the claimed executions; on a refusal the rest do not start and their claims are given back. */
async function retryAll(
	api: N8nPublicApi,
	ledger: AlertLedger,
	ids: string[],
	settings: ReplaySettings,
): Promise<Map<string, { id: string; status: string } | { error: string }>> {
	const outcomes = new Map<string, { id: string; status: string } | { error: string }>();
	let refusal: NodeOperationError | undefined;
	await mapWithConcurrency(ids.length, settings.concurrency, async (index) => {
		if (refusal !== undefined) return;
		try {
			outcomes.set(ids[index], await api.retryExecution(ids[index], settings.loadWorkflow));
		} catch (error) {
			const refused = refusalOf(error);
			if (refused) refusal ??= refused;
			else outcomes.set(ids[index], { error: redactText(messageOf(error), api.secrets) });
		}
	});
	if (refusal !== undefined) {
		ledger.releaseReplays(ids.filter((id) => !outcomes.has(id)));
		throw refusal;
	}
	return outcomes;
}

/** The output item of one due execution: its retry, the error that kept it from one, or why it was skipped. */
function itemFor(
	[id, workflowId, atMs]: RecordedExecution,
	entry: AlertEntry,
	instanceBaseUrl: string,
	outcome: { id: string; status: string } | { error: string } | undefined,
	skippedBecause: string | undefined,
): ReplayItem {
	const name = entry.workflowNames?.[workflowId] ?? null;
	const base = {
		execution: { id, url: executionUrl(instanceBaseUrl, workflowId, id), failedAt: new Date(atMs).toISOString() },
		workflow: { id: workflowId, name, url: workflowUrl(instanceBaseUrl, workflowId) },
	};
	const label = `Execution ${id}${name ? ` of "${name.replace(/"/g, "'")}"` : ''}`;
	if (outcome !== undefined && 'id' in outcome) {
		const status = replayStatus(outcome.status);
		return {
			...base,
			summary: `${label} was replayed as execution ${outcome.id}: ${status === 'succeeded' ? 'it succeeded' : `it ended ${outcome.status}`}.`,
			status,
			newExecution: {
				id: outcome.id,
				status: outcome.status,
				url: executionUrl(instanceBaseUrl, workflowId, outcome.id),
			},
			reason: null,
		};
	}
	const error = outcome !== undefined && 'error' in outcome ? outcome.error : undefined;
	if (error !== undefined)
		return {
			...base,
			summary: `${label} could not be replayed: ${error}`,
			status: 'error',
			newExecution: null,
			reason: error,
		};
	const reason = skippedBecause ?? 'not replayed';
	return { ...base, summary: `${label} was not replayed: ${reason}.`, status: 'skipped', newExecution: null, reason };
}

/** Replays the episode's recorded executions (those within the max age, up to the cap). */
export async function replayEpisode(
	ctx: IExecuteFunctions,
	ledger: AlertLedger,
	entry: AlertEntry,
	settings: ReplaySettings,
	instanceBaseUrl: string,
	itemIndex: number,
): Promise<ReplayReport> {
	const nowMs = Date.now();
	const plan = planReplay(entry.executions ?? [], settings, nowMs);
	const api = await N8nPublicApi.open(ctx, itemIndex);
	const checked = await checkAll(api, plan.due, settings.concurrency);
	const recordedIds = new Set((entry.executions ?? []).map(([id]) => id));
	const skipped = new Map<string, string>();
	const candidates: string[] = [];
	plan.due.forEach(([id], index) => {
		const reason = skipReason(checked[index], recordedIds);
		if (reason === undefined) candidates.push(id);
		else skipped.set(id, SKIP_TEXT[reason]);
	});
	const claimed = ledger.claimReplays(candidates, nowMs);
	for (const id of candidates.filter((candidate) => !claimed.includes(candidate)))
		skipped.set(id, 'another run has replayed it already');
	const retried = await retryAll(api, ledger, claimed, settings);

	const items = plan.due.map((recorded) =>
		itemFor(recorded, entry, instanceBaseUrl, retried.get(recorded[0]), skipped.get(recorded[0])),
	);
	return {
		counts: countReplays(
			items.map((item) => item.status),
			plan,
		),
		items,
		secrets: api.secrets,
	};
}
