/**
 * Refresh Now: force a refresh and persist it through n8n (credentialAccess.adapter picks the family's
 * path). One refresh per run, not per item: every input item passes through with the same result, so
 * fifty items never spend a rotating refresh token fifty times.
 */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { SelectedCredential } from '../../shared/refresh/tokenState';
import { readTokenState, selectedCredential } from '../../shared/refresh/credentialAccess.adapter';
import { forceRefresh } from '../../shared/refresh/sharedRefresh.adapter';
import type { ItemResult } from '../../operationContract';
import type { TokenGuardInfo } from './common';
import {
	credentialOutput,
	deliveryOutput,
	emitRefreshSucceeded,
	isoOrNull,
	passThroughItem,
	refreshFailure,
} from './common';

export const description: INodeProperties[] = [
	{
		displayName:
			'Refreshes the access token once per run and saves it in the credential; every input item passes through with the result in "tokenGuard"',
		name: 'refreshNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { operation: ['refresh'] } },
	},
];

const OPERATION = 'refresh';

/** Works once per run: the router passes the one result to every item. */
export const runsOnce = true;

export async function executeOnce(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<ItemResult[]> {
	const startedAt = Date.now();
	let selected: SelectedCredential | undefined;
	let secrets: string[] = [];
	try {
		selected = selectedCredential(this, 0);
		secrets = (await readTokenState(this, selected)).secrets;
		const result = await forceRefresh(this, selected);
		const delivery = await emitRefreshSucceeded(
			this,
			selected,
			result,
			{ reason: 'forced', operation: OPERATION },
			0,
			secrets,
		);
		const tokenGuard: TokenGuardInfo = {
			refreshed: true,
			reason: 'forced',
			attempts: result.attempts,
			expiresAt: isoOrNull(result.expiresAtMs),
			tokenFingerprint: result.tokenFingerprint,
			durationMs: Date.now() - startedAt,
			credential: credentialOutput(selected),
			refreshTokenRotated: result.refreshTokenRotated ?? null,
			category: null,
			delivery: deliveryOutput(delivery),
		};
		return items.map((item) => passThroughItem(item, tokenGuard));
	} catch (error) {
		throw await refreshFailure(this, error, {
			selected,
			secrets,
			reason: 'forced',
			operation: OPERATION,
			startedAt,
			tokenFingerprint: 'none',
		});
	}
}
