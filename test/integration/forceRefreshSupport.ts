/**
 * Shared setup for the Force Refresh integration tests: credentials stored the way n8n stores them,
 * pointing at the loopback oidc-provider, and a runner for the node. Not a test file itself.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { TokenGuardOAuth2Api } from '../../credentials/TokenGuardOAuth2Api.credentials';
import { TokenGuardRefreshTokenApi } from '../../credentials/TokenGuardRefreshTokenApi.credentials';
import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';
import { ForceRefresh } from '../../nodes/ForceRefresh/ForceRefresh.node';
import { HarnessCredentialsHelper, runNode } from '../harness';
import type { RunNodeOptions, RunResult } from '../harness';
import type { MintedGrant, OidcServerHandle } from '../servers/oidcServer';

export const CONNECT_TYPE = 'tokenGuardOAuth2Api';
export const MANUAL_TYPE = 'tokenGuardRefreshTokenApi';

export function newHelper(): HarnessCredentialsHelper {
	return new HarnessCredentialsHelper()
		.registerCredentialType(new TokenGuardOAuth2Api())
		.registerCredentialType(new TokenGuardRefreshTokenApi())
		.registerCredentialType(new TokenGuardWebhookApi());
}

export interface StoredRef {
	type: string;
	ref: { id: string; name: string };
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}`;

/** Connect-button data as n8n keeps it after "Connect my account": client fields + oauthTokenData. */
export function addConnectCredential(
	helper: HarnessCredentialsHelper,
	server: OidcServerHandle,
	grant: Pick<MintedGrant, 'accessToken' | 'refreshToken'>,
	options: { type?: string; tokenData?: IDataObject; name?: string; extraData?: IDataObject } = {},
): StoredRef {
	const type = options.type ?? CONNECT_TYPE;
	const ref = helper.addCredential({
		id: nextId('connect'),
		name: options.name ?? 'Demo OAuth2',
		type,
		data: {
			grantType: 'authorizationCode',
			authUrl: `${server.issuer}/auth`,
			accessTokenUrl: server.tokenUrl,
			clientId: server.clientId,
			clientSecret: server.clientSecret,
			scope: 'openid offline_access api:read',
			authentication: 'header',
			oauthTokenData: {
				access_token: grant.accessToken,
				refresh_token: grant.refreshToken,
				token_type: 'Bearer',
				...options.tokenData,
			},
			...options.extraData,
		},
	});
	return { type, ref };
}

/** The manual credential as a user fills it in, with the access token n8n stored after an earlier refresh. */
export function addManualCredential(
	helper: HarnessCredentialsHelper,
	server: OidcServerHandle,
	grant: Pick<MintedGrant, 'accessToken' | 'refreshToken'>,
	options: { expiresAt?: string; name?: string; testUrl?: string; extraData?: IDataObject } = {},
): StoredRef {
	const ref = helper.addCredential({
		id: nextId('manual'),
		name: options.name ?? 'Demo Manual',
		type: MANUAL_TYPE,
		data: {
			tokenUrl: server.tokenUrl,
			clientId: server.clientId,
			clientSecret: server.clientSecret,
			clientAuthentication: 'header',
			refreshToken: grant.refreshToken,
			accessToken: grant.accessToken,
			expiresAt: options.expiresAt ?? '',
			...(options.testUrl === undefined ? {} : { testUrl: options.testUrl }),
			...options.extraData,
		},
	});
	return { type: MANUAL_TYPE, ref };
}

export function runForceRefresh(
	helper: HarnessCredentialsHelper,
	credential: StoredRef,
	parameters: INodeParameters,
	extra: Partial<RunNodeOptions> & { itemCount?: number } = {},
): Promise<RunResult> {
	const { itemCount, ...rest } = extra;
	const items: INodeExecutionData[] | undefined =
		itemCount === undefined ? undefined : Array.from({ length: itemCount }, (_value, index) => ({ json: { index } }));
	return runNode({
		nodeType: new ForceRefresh(),
		helper,
		mode: 'trigger',
		parameters: { credentialType: credential.type, ...parameters },
		credentials: { [credential.type]: credential.ref },
		...(items === undefined ? {} : { items }),
		...rest,
	});
}

export const waitMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const tokenGuardOf = (item: INodeExecutionData): IDataObject => item.json.tokenGuard as IDataObject;
