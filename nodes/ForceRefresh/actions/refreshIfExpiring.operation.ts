/**
 * Refresh If Expiring: the keep-alive and proactive path. Refreshes only when the absolute expiry is
 * inside the margin (or unknown, if the user says so); otherwise passes the items through with the
 * reason. Decided once per run, like Refresh Now.
 */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { SelectedCredential } from '../../shared/refresh/tokenState';
import { readCredentialToken, selectedCredential } from '../../shared/refresh/credentialAccess.adapter';
import { refreshShared } from '../../shared/refresh/sharedRefresh.adapter';
import type { Delivery } from '../../shared/events/eventSink.adapter';
import { DEFAULT_EXPIRY_MARGIN_SECONDS } from '../../shared/oauth/expiry';
import { decideProactiveRefresh } from '../../shared/http/expirySignal';
import { numberAtLeast } from '../../shared/parameters/parameters';
import { checkedParameter } from '../../shared/parameters/parameters.adapter';
import type { TokenGuardInfo } from './common';
import {
	credentialLabel,
	emitRefreshFailed,
	emitRefreshSucceeded,
	emitTokenExpiring,
	errorItem,
	isoOrNull,
	nodeErrorFor,
	passThroughItem,
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
			'Whether to refresh when nothing says when the token expires (no expires_in, opaque token). Off: such tokens pass through with expiryState "unknown".',
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

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const startedAt = Date.now();
	let selected: SelectedCredential | undefined;
	let secrets: string[] = [];
	let tokenFingerprint = 'none';
	try {
		const marginMs = marginMsOf(this);
		const refreshWhenUnknown = this.getNodeParameter('refreshWhenUnknown', 0, false) === true;
		selected = selectedCredential(this, 0);
		const current = await readCredentialToken(this, selected);
		secrets = current.state.secrets;
		tokenFingerprint = current.state.tokenFingerprint;
		const decision =
			current.accessToken === ''
				? { refresh: true, state: 'expired' as const, timeLeftMs: null }
				: decideProactiveRefresh({ expiry: current.state.expiry, nowMs: Date.now(), marginMs, refreshWhenUnknown });
		const secondsLeft = decision.timeLeftMs === null ? null : Math.round(decision.timeLeftMs / 1000);

		if (!decision.refresh) {
			const tokenGuard: TokenGuardInfo = {
				refreshed: false,
				reason: 'not-needed',
				attempts: 0,
				expiresAt: isoOrNull(current.state.expiry.expiresAtMs),
				tokenFingerprint,
				durationMs: Date.now() - startedAt,
				credential: credentialLabel(selected),
				expiryState: decision.state,
				secondsLeft,
			};
			return [items.map((item, index) => passThroughItem(item, index, tokenGuard))];
		}

		if (decision.state !== 'unknown') {
			await emitTokenExpiring(
				this,
				selected,
				{ expiresAtMs: current.state.expiry.expiresAtMs, timeLeftMs: decision.timeLeftMs, marginMs, tokenFingerprint, operation: OPERATION },
				0,
				secrets,
			);
		}
		// Another run refreshing at the same moment shares this refresh instead of spending the token again.
		const shared = await refreshShared(this, selected, tokenFingerprint);
		if (!shared.outcome.ok) throw shared.outcome.error;
		const { token, refresh } = shared.outcome.value;
		let delivery: Delivery | undefined;
		if (refresh !== undefined) {
			delivery = await emitRefreshSucceeded(this, selected, refresh, { reason: 'proactive', operation: OPERATION }, 0, secrets);
		}
		const tokenGuard: TokenGuardInfo = {
			refreshed: true,
			reason: 'proactive',
			attempts: refresh?.attempts ?? 0,
			expiresAt: isoOrNull(token.state.expiry.expiresAtMs),
			tokenFingerprint: token.state.tokenFingerprint,
			durationMs: Date.now() - startedAt,
			credential: credentialLabel(selected),
			expiryState: decision.state,
			secondsLeft,
			...(refresh?.refreshTokenRotated === undefined ? {} : { refreshTokenRotated: refresh.refreshTokenRotated }),
			...(delivery === undefined ? {} : { delivery }),
		};
		return [items.map((item, index) => passThroughItem(item, index, tokenGuard))];
	} catch (error) {
		let delivery: Delivery | undefined;
		if (selected !== undefined) {
			delivery = await emitRefreshFailed(this, selected, error, { reason: 'proactive', operation: OPERATION }, 0, secrets);
		}
		const failure = nodeErrorFor(this, error, selected, 0, secrets);
		if (!this.continueOnFail()) throw failure.error;
		const tokenGuard = {
			refreshed: false,
			reason: 'proactive' as const,
			attempts: (error as { stats?: { attempts?: number } }).stats?.attempts ?? 0,
			expiresAt: null,
			tokenFingerprint,
			durationMs: Date.now() - startedAt,
			credential: selected === undefined ? { type: 'unknown', name: null } : credentialLabel(selected),
			...(delivery === undefined ? {} : { delivery }),
		};
		return [items.map((_item, index) => errorItem(failure, index, tokenGuard))];
	}
}
