/**
 * The manual refresh-token family's refresh, node side (docs/ARCHITECTURE.md#refresh-paths). The node cannot
 * write credential data, and n8n persists only what a credential's `preAuthentication` hook returns when
 * the hook runs inside an authenticated request whose hidden expirable field (`accessToken`) is empty.
 * So the refresh goes the long way round:
 *   node → httpRequestWithAuthentication(manual type, GET Test URL | Token URL, accessToken emptied)
 *   → n8n runs the credential's preAuthentication → refresh/manualGrant (single-flight, 60 s memory)
 *   → n8n persists every key the hook returned and merges them into the data passed in
 *   → the node reads the new token back (from that data, or from the stored credential).
 * The GET itself is harmless: it carries no refresh token, and its HTTP errors are ignored.
 */
import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { MANUAL_CREDENTIAL_TYPE } from '../credentialCatalog';
import { classifyError, findTokenGuardError } from '../errors/classification';
import { classificationFor } from '../classify/taxonomy';
import { TokenGuardError } from '../errors/errors';
import type { RetryPolicy } from '../http/retry';
import { credentialEndpointBoundaryFor } from '../security/domainRestriction.adapter';
import { redactText } from '../security/redact';
import { RETRY_POLICY_DATA_KEY, readRefreshGrantConfig, retryPolicyToData } from './manualCredential';
import type { CredentialToken, RefreshedToken, SelectedCredential } from './tokenState';
import { credentialLabel, refreshResultOf, stringField, tokenFromCredentialData } from './tokenState';

/** The refresh result is what matters; the request that carried it only has to reach a host. */
const MANUAL_REFRESH_PROBE_TIMEOUT_MS = 15_000;

function manualConfigError(
	selected: SelectedCredential,
	data: ICredentialDataDecryptedObject,
): TokenGuardError | undefined {
	const config = readRefreshGrantConfig(data);
	if (config.ok) return undefined;
	const category = config.error.field === 'refreshToken' ? 'refresh_token_missing' : 'client_misconfigured';
	const classification = classificationFor(
		category,
		selected.info.provider,
		`The credential field "${config.error.field}" is not usable.`,
	);
	return new TokenGuardError(
		classification,
		`Credential "${credentialLabel(selected)}", field "${config.error.field}": ${config.error.message}`,
		{ attempts: 0, waitedMs: 0 },
	);
}

/**
 * One refresh through n8n's preAuthentication loop (see the header). n8n-core takes
 * `credentialsDecrypted.data` as the credential, so the stored data with an emptied access token is
 * enough to make it run the hook; the engine single-flights the grant and remembers rotations, so
 * parallel callers never spend one refresh token twice.
 */
export async function refreshManual(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	previous: CredentialToken,
	policy: RetryPolicy,
): Promise<RefreshedToken> {
	const configError = manualConfigError(selected, previous.data);
	if (configError) throw configError;
	const startedAt = Date.now();
	// The hook only sees credential data, so the node's retry limits travel in it (never persisted).
	const data: ICredentialDataDecryptedObject = {
		...previous.data,
		accessToken: '',
		[RETRY_POLICY_DATA_KEY]: retryPolicyToData(policy),
	};
	const target = stringField(data.testUrl).trim() || stringField(data.tokenUrl).trim();
	const probe: IHttpRequestOptions = {
		// The new access token goes to this URL: it must be inside the credential's own boundary.
		...credentialEndpointBoundaryFor(ctx.getNode(), selected, previous.data, target),
		method: 'GET',
		url: target,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		json: false,
		timeout: MANUAL_REFRESH_PROBE_TIMEOUT_MS,
	};
	try {
		await ctx.helpers.httpRequestWithAuthentication.call(ctx, MANUAL_CREDENTIAL_TYPE, probe, {
			credentialsDecrypted: { id: selected.id ?? '', name: selected.name ?? '', type: MANUAL_CREDENTIAL_TYPE, data },
		});
	} catch (error) {
		// n8n merges the hook's output into `data`: an access token there means the refresh succeeded and
		// was persisted, and only the probe failed (Test URL down). That is not a failed refresh.
		if (stringField(data.accessToken) === '') throw manualFailure(error, selected, previous.state.secrets);
	}
	const refreshedData = stringField(data.accessToken) !== '' ? { ...data } : await ctx.getCredentials(selected.type);
	delete refreshedData[RETRY_POLICY_DATA_KEY];
	const token = tokenFromCredentialData(selected, refreshedData);
	// Unlike the Connect family, rotation is reported even when no refresh token came back.
	const result = {
		...refreshResultOf(token, previous, 1, Date.now() - startedAt),
		refreshTokenRotated: token.refreshToken !== previous.refreshToken,
	};
	return { token, result };
}

function manualFailure(error: unknown, selected: SelectedCredential, secrets: string[]): TokenGuardError {
	const engineError = findTokenGuardError(error);
	if (engineError) return engineError;
	const classification = classifyError(error, { credentialType: selected.type, phase: 'token_endpoint' });
	const message = error instanceof Error ? error.message : String(error);
	return new TokenGuardError(
		classification,
		redactText(`Refreshing credential "${credentialLabel(selected)}" failed: ${message}`, secrets),
	);
}
