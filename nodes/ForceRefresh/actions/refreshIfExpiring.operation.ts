/**
 * Refresh If Expiring: the keep-alive and proactive path. Refreshes only when the absolute expiry is
 * inside the margin (or unknown, if the user says so); otherwise passes the items through with the
 * reason. Decided once per run, like Refresh Now.
 */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { CredentialToken, SelectedCredential } from '../../shared/refresh/tokenState';
import { readCredentialToken, selectedCredential } from '../../shared/refresh/credentialAccess.adapter';
import { refreshShared } from '../../shared/refresh/sharedRefresh.adapter';
import type { Delivery } from '../../shared/events/eventSink.adapter';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../shared/oauth/expiry';
import { decideProactiveRefresh } from '../../shared/http/expirySignal';
import { numberAtLeast } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import type { ItemResult } from '../../operationContract';
import type { TokenGuardInfo } from './common';
import {
	credentialOutput,
	deliveryOutput,
	emitRefreshSucceeded,
	emitTokenExpiring,
	isoOrNull,
	passThroughItem,
	refreshFailure,
} from './common';

const show = { show: { operation: ['refreshIfExpiring'] } };

export const description: INodeProperties[] = [
	{
		displayName: 'Margin (Seconds)',
		name: 'marginSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: DEFAULT_EXPIRY_MARGIN_SECONDS,
		description:
			'Refresh when the access token expires within this many seconds. Five minutes covers request latency and modest clock drift; schedule this node more often than the token lifetime minus the margin.',
		displayOptions: show,
	},
	{
		displayName: 'Refresh When Expiry Is Unknown',
		name: 'refreshWhenUnknown',
		type: 'boolean',
		default: false,
		description:
			'Whether to refresh when nothing says when the token expires (no expires_in, opaque token). n8n stores the expiry of Connect-button tokens since n8n 2.33; on older n8n their opaque tokens are always unknown. Off: such tokens pass through with expiryState "unknown".',
		displayOptions: show,
	},
];

const OPERATION = 'refreshIfExpiring';

function marginMsOf(ctx: IExecuteFunctions): number {
	const margin = checkedParameter(
		ctx,
		0,
		{ name: 'marginSeconds', displayName: 'Margin (Seconds)', fallback: DEFAULT_EXPIRY_MARGIN_SECONDS },
		numberAtLeast(0, String(DEFAULT_EXPIRY_MARGIN_SECONDS), 'seconds'),
	);
	return Math.round(margin * 1000);
}

/** What the run learned so far; a failure reports it. */
interface RunState {
	startedAt: number;
	selected: SelectedCredential | undefined;
	secrets: string[];
	tokenFingerprint: string;
	/** What the token's expiry said, once read: a failed refresh still reports it. */
	expiry: { expiryState: Decision['state'] | null; secondsLeft: number | null };
}

type Decision = ReturnType<typeof decideProactiveRefresh>;

/** Refreshes (announcing token.expiring first when the expiry is known) and says what happened. */
async function refreshProactively(
	ctx: IExecuteFunctions,
	run: RunState,
	selected: SelectedCredential,
	current: CredentialToken,
	decision: Decision,
	marginMs: number,
): Promise<TokenGuardInfo> {
	const { secrets, tokenFingerprint } = run;
	if (decision.state !== 'unknown') {
		await emitTokenExpiring(
			ctx,
			selected,
			{
				expiresAtMs: current.state.expiry.expiresAtMs,
				timeLeftMs: decision.timeLeftMs,
				marginMs,
				tokenFingerprint,
				operation: OPERATION,
			},
			0,
			secrets,
		);
	}
	// Another run refreshing at the same moment shares this refresh instead of spending the token again.
	const shared = await refreshShared(ctx, selected, tokenFingerprint);
	if (!shared.outcome.ok) throw shared.outcome.error;
	const { token, refresh } = shared.outcome.value;
	let delivery: Delivery | undefined;
	if (refresh !== undefined) {
		delivery = await emitRefreshSucceeded(
			ctx,
			selected,
			refresh,
			{ reason: 'proactive', operation: OPERATION },
			0,
			secrets,
		);
	}
	return {
		refreshed: true,
		reason: 'proactive',
		attempts: refresh?.attempts ?? 0,
		expiresAt: isoOrNull(token.state.expiry.expiresAtMs),
		tokenFingerprint: token.state.tokenFingerprint,
		durationMs: Date.now() - run.startedAt,
		credential: credentialOutput(selected),
		expiryState: decision.state,
		secondsLeft: secondsLeftOf(decision),
		refreshTokenRotated: refresh?.refreshTokenRotated ?? null,
		category: null,
		delivery: deliveryOutput(delivery),
	};
}

const secondsLeftOf = (decision: Decision): number | null =>
	decision.timeLeftMs === null ? null : Math.round(decision.timeLeftMs / 1000);

/** Reads the parameters and the token, decides, and refreshes when the decision says so. */
async function checkAndRefresh(ctx: IExecuteFunctions, run: RunState): Promise<TokenGuardInfo> {
	const marginMs = marginMsOf(ctx);
	const refreshWhenUnknown = ctx.getNodeParameter('refreshWhenUnknown', 0, false) === true;
	const selected = selectedCredential(ctx, 0);
	run.selected = selected;
	const current = await readCredentialToken(ctx, selected);
	run.secrets = current.state.secrets;
	run.tokenFingerprint = current.state.tokenFingerprint;
	const decision: Decision =
		current.accessToken === ''
			? { refresh: true, state: 'expired' as const, timeLeftMs: null }
			: decideProactiveRefresh({ expiry: current.state.expiry, nowMs: Date.now(), marginMs, refreshWhenUnknown });
	run.expiry = { expiryState: decision.state, secondsLeft: secondsLeftOf(decision) };
	if (decision.refresh) return await refreshProactively(ctx, run, selected, current, decision, marginMs);
	return {
		refreshed: false,
		reason: 'not-needed',
		attempts: 0,
		expiresAt: isoOrNull(current.state.expiry.expiresAtMs),
		tokenFingerprint: run.tokenFingerprint,
		durationMs: Date.now() - run.startedAt,
		credential: credentialOutput(selected),
		expiryState: decision.state,
		secondsLeft: secondsLeftOf(decision),
		refreshTokenRotated: null,
		category: null,
		delivery: null,
	};
}

/** Decided once per run: the router passes the one result to every item. */
export const runsOnce = true;

export async function executeOnce(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<ItemResult[]> {
	const run: RunState = {
		startedAt: Date.now(),
		selected: undefined,
		secrets: [],
		tokenFingerprint: 'none',
		expiry: { expiryState: null, secondsLeft: null },
	};
	try {
		const tokenGuard = await checkAndRefresh(this, run);
		return items.map((item) => passThroughItem(item, tokenGuard));
	} catch (error) {
		throw await refreshFailure(this, error, { ...run, reason: 'proactive', operation: OPERATION, extra: run.expiry });
	}
}
