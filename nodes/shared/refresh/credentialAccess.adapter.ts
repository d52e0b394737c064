/**
 * The only place the nodes read a credential (docs/ARCHITECTURE.md#credential-families): the type picked in
 * the node and its stored token. Refreshing lives next door: sharedRefresh.adapter (one flight per stale
 * token) over connectRefresh.adapter (n8n's refreshOAuth2Token) and manualRefresh.adapter (the
 * credential's preAuthentication, run by n8n so that n8n persists the rotated refresh token).
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE_PARAMETER, credentialTypeInfo } from '../credentialCatalog';
import type { CredentialToken, SelectedCredential, TokenState } from './tokenState';
import { tokenFromCredentialData } from './tokenState';

/** The credential type picked in the node (parameter `credentialType`) and the credential set on it. */
export function selectedCredential(ctx: IExecuteFunctions, itemIndex: number): SelectedCredential {
	const type = ctx.getNodeParameter(CREDENTIAL_TYPE_PARAMETER, itemIndex) as string;
	if (type === '') {
		throw new NodeOperationError(ctx.getNode(), 'No credential chosen yet', {
			itemIndex,
			description: 'Pick a "Credential Type", then the credential to use.',
		});
	}
	const info = credentialTypeInfo(type);
	if (info === undefined) {
		throw new NodeOperationError(ctx.getNode(), `Credential Type "${String(type)}" is not one this node supports`, {
			itemIndex,
			description: 'Pick one of the listed credential types in the "Credential Type" parameter.',
		});
	}
	const reference = ctx.getNode().credentials?.[type];
	return {
		type,
		info,
		...(reference?.id ? { id: reference.id } : {}),
		...(reference?.name ? { name: reference.name } : {}),
	};
}

/** The stored token with the access token itself (for signing). `itemIndex` resolves credential expressions. */
export async function readCredentialToken(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	itemIndex?: number,
): Promise<CredentialToken> {
	const data = await ctx.getCredentials(selected.type, itemIndex);
	return tokenFromCredentialData(selected, data);
}

export async function readTokenState(ctx: IExecuteFunctions, selected: SelectedCredential): Promise<TokenState> {
	return (await readCredentialToken(ctx, selected)).state;
}
