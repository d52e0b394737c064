/**
 * The line Request With Auto-Refresh puts in n8n's output pane for a run, so a user sees at a glance what
 * happened to the token: "1 refresh; 2 of 5 items replayed". Read from the items' `tokenGuard` fields.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export function summarize(outputs: INodeExecutionData[]): string | undefined {
	if (outputs.length === 0) return undefined;
	const infos = outputs.map((item) => item.json.tokenGuard as IDataObject | undefined);
	// Items that shared one refresh carry the same new token: count the tokens, not the items.
	const refreshedTokens = new Set(
		infos.filter((info) => info?.refreshed === true).map((info) => String(info?.tokenFingerprint)),
	);
	const replayed = infos.filter((info) => info?.refreshed === true && info.expirySignal != null).length;
	const failed = outputs.filter((item, index) => item.json.error !== undefined || infos[index]?.category != null);
	const parts = [
		refreshedTokens.size === 0 ? 'No refresh' : plural(refreshedTokens.size, 'refresh', 'refreshes'),
		`${replayed} of ${plural(outputs.length, 'item', 'items')} replayed after the token expired`,
		...(failed.length === 0 ? [] : [`${failed.length} failed`]),
	];
	return parts.join('; ');
}
