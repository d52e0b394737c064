/**
 * The Connect-button family's refresh (docs/ARCHITECTURE.md#refresh-paths): n8n's own `refreshOAuth2Token`,
 * which persists the answer, coalesces concurrent refreshes and leases them across queue-mode workers.
 * Each attempt races the policy's attempt timeout, and a 200 answer that brought no new access token
 * is reported instead of being taken for a refresh.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { classifyTokenEndpointFailure } from '../classify/classifier';
import { classifyError } from '../errors/classification';
import { classificationFor } from '../classify/taxonomy';
import { TokenGuardError } from '../errors/errors';
import { causeChain, httpStatusOf, isRecord, networkCodeOf, readHeader } from '../errors/facts';
import type { TokenEndpointFailure } from '../oauth/refreshGrant';
import type { AttemptFailure, AttemptOutcome, RetryPolicy } from '../http/retry';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, runWithRetry, secondsText } from '../http/retry';
import { redactedSnippet, redactText } from '../security/redact';
import type { Classification, HttpHeaders } from '../types';
import type { CredentialToken, RefreshedToken, SelectedCredential } from './tokenState';
import { credentialLabel, oauthTokenDataOf, refreshResultOf, stringField, tokenFromCredentialData } from './tokenState';

type Stats = { attempts: number; waitedMs: number };

/** refreshOAuth2Token arrived in n8n 1.122 (and every 2.x). */
export const MIN_N8N_VERSION_FOR_REFRESH = '1.122';

type RefreshOAuth2Token = (this: IExecuteFunctions, credentialsType: string) => Promise<unknown>;

function refreshHelperOf(ctx: IExecuteFunctions): RefreshOAuth2Token {
	const helper = (ctx.helpers as { refreshOAuth2Token?: unknown }).refreshOAuth2Token;
	if (typeof helper !== 'function') {
		throw new NodeOperationError(
			ctx.getNode(),
			`Refreshing this credential needs n8n ${MIN_N8N_VERSION_FOR_REFRESH} or newer (n8n 2.x recommended)`,
			{
				description:
					'This n8n has no refreshOAuth2Token helper, the only way a node can refresh a Connect-button OAuth2 credential so that n8n stores the new token. Update n8n; until then, n8n still refreshes the token itself when an API answers 401.',
			},
		);
	}
	return helper as RefreshOAuth2Token;
}

/** A thrown refresh failure as the retry loop sees it; the classification travels along. */
function refreshAttemptFailure(error: unknown, selected: SelectedCredential): AttemptFailure {
	const classification = classifyError(error, { credentialType: selected.type, phase: 'token_endpoint' });
	const response = causeChain(error)
		.map((link) => link.response)
		.find(isRecord);
	const status =
		classification.httpCode ??
		httpStatusOf(error) ??
		// client-oauth2 turns a throttled token endpoint into an AuthError without a status.
		(classification.category === 'rate_limited' ? 429 : undefined);
	const networkCode = networkCodeOf(error);
	const retryAfter = readHeader(
		isRecord(response?.headers) ? (response.headers as HttpHeaders) : undefined,
		'retry-after',
	);
	return {
		kind: 'failure',
		...(status === undefined ? {} : { status }),
		...(networkCode === undefined ? {} : { networkCode }),
		...(classification.oauthError === undefined ? {} : { oauthError: classification.oauthError }),
		...(retryAfter === undefined ? {} : { retryAfter }),
		error: { original: error, classification },
	};
}

function connectFailure(
	failure: AttemptFailure,
	selected: SelectedCredential,
	stats: Stats,
	secrets: string[],
): TokenGuardError {
	const { original, classification } = failure.error as { original: unknown; classification: Classification };
	const message = original instanceof Error ? original.message : String(original);
	const retried = stats.attempts > 1 ? ` (after ${stats.attempts} attempts over ${secondsText(stats.waitedMs)})` : '';
	// n8n's own reconnect error already names the credential; anything else gets the credential's name added.
	const named = /credential "/i.test(message)
		? message
		: `Refreshing credential "${credentialLabel(selected)}" failed: ${message}`;
	return new TokenGuardError(classification, redactText(`${named}${retried}`, secrets), stats);
}

/**
 * n8n's refresh reads `oauthTokenData.accessToken` before anything else, so token data that is null,
 * a number or unparsable text fails inside n8n with a TypeError instead of saying what is wrong.
 */
function notConnectedError(
	selected: SelectedCredential,
	data: ICredentialDataDecryptedObject,
): TokenGuardError | undefined {
	if (data.oauthTokenData === undefined || oauthTokenDataOf(data) !== undefined) return undefined;
	const classification = classificationFor(
		'not_connected',
		selected.info.provider,
		'The credential holds no usable OAuth token data.',
	);
	return new TokenGuardError(
		classification,
		`Credential "${credentialLabel(selected)}" holds no usable OAuth token data, so it cannot be refreshed: open the credential and reconnect it`,
		{ attempts: 0, waitedMs: 0 },
	);
}

/** An attempt that outlived the policy's attempt timeout; n8n's own token request waits up to 300 s. */
interface RefreshTimedOut {
	timedOut: true;
	afterMs: number;
}

/**
 * Races n8n's refresh against the attempt timeout. The losing refresh keeps running inside n8n (it
 * cannot be cancelled) and may still persist a new token, which the next read takes over.
 */
async function refreshWithin(
	ctx: IExecuteFunctions,
	refreshOAuth2Token: RefreshOAuth2Token,
	selected: SelectedCredential,
	timeoutMs: number,
): Promise<unknown> {
	// A plain call loses `this` and fails inside n8n ("this.getCredentials is not a function").
	const refreshing = refreshOAuth2Token.call(ctx, selected.type);
	// Promise.race subscribes to both sides, so a refresh that fails after losing is not an unhandled rejection.
	const timedOut = sleep(timeoutMs).then((): RefreshTimedOut => ({ timedOut: true, afterMs: timeoutMs }));
	return await Promise.race([refreshing, timedOut]);
}

const isTimedOut = (value: unknown): value is RefreshTimedOut => isRecord(value) && value.timedOut === true;

function refreshTimeoutError(selected: SelectedCredential, afterMs: number, stats: Stats): TokenGuardError {
	const classification = classificationFor(
		'provider_unavailable',
		selected.info.provider,
		`The token endpoint did not answer within ${secondsText(afterMs)}.`,
	);
	return new TokenGuardError(
		classification,
		`Refreshing credential "${credentialLabel(selected)}" failed: the token endpoint did not answer within ${secondsText(afterMs)}. n8n may still finish this refresh in the background; it was not retried, because sending the same refresh token again could count as reuse`,
		stats,
	);
}

/**
 * n8n merges a 200 answer into the stored token data and persists it, whatever it says: an answer
 * without access_token keeps the old token, and `{ "error": … }` is stored next to it. So a refresh
 * that returns the access token this caller had stored before did not produce a new one. (When
 * another process refreshed first, n8n hands back that newer token, which differs.)
 */
function unusableRefreshError(
	selected: SelectedCredential,
	previous: CredentialToken,
	tokenData: Record<string, unknown>,
	stats: Stats,
): TokenGuardError | undefined {
	const accessToken = stringField(tokenData.access_token);
	if (accessToken !== '' && accessToken !== previous.accessToken) return undefined;
	const secrets = previous.state.secrets;
	const oauthError = redactedSnippet(stringField(tokenData.error).trim(), secrets, 100);
	const description = stringField(tokenData.error_description).trim();
	const failure: TokenEndpointFailure = {
		kind: oauthError === '' ? 'missing_access_token' : 'oauth_error',
		status: 200,
		...(oauthError === '' ? {} : { oauthError }),
		...(description === '' ? {} : { errorDescription: redactedSnippet(description, secrets, 300) }),
	};
	const classification = classifyTokenEndpointFailure(failure, stringField(previous.data.accessTokenUrl));
	const evidence = oauthError === '' ? 'no new access_token' : `error "${oauthError}"`;
	const said = failure.errorDescription === undefined ? '' : ` Provider said: "${failure.errorDescription}"`;
	return new TokenGuardError(
		classification,
		redactText(
			`Refreshing credential "${credentialLabel(selected)}" failed: the token endpoint answered HTTP 200 with ${evidence}, so n8n kept the old access token.${said}`,
			secrets,
		),
		stats,
	);
}

export async function refreshConnect(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	previous: CredentialToken,
	policy: RetryPolicy,
): Promise<RefreshedToken> {
	const notConnected = notConnectedError(selected, previous.data);
	if (notConnected) throw notConnected;
	const refreshOAuth2Token = refreshHelperOf(ctx);
	const startedAt = Date.now();
	const attemptTimeoutMs = policy.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
	let timedOutAfterMs: number | undefined;
	const run = await runWithRetry<unknown>(
		async (): Promise<AttemptOutcome<unknown>> => {
			try {
				const value = await refreshWithin(ctx, refreshOAuth2Token, selected, attemptTimeoutMs);
				if (!isTimedOut(value)) return { kind: 'success', value };
				timedOutAfterMs = value.afterMs;
				// No status, code or OAuth error: the retry loop never repeats it.
				return { kind: 'failure', error: value };
			} catch (error) {
				return refreshAttemptFailure(error, selected);
			}
		},
		policy,
		{ sleep, now: () => Date.now(), random: Math.random },
	);
	const stats = { attempts: run.attempts, waitedMs: run.waitedMs };
	if (run.outcome.kind === 'failure') {
		if (timedOutAfterMs !== undefined) throw refreshTimeoutError(selected, timedOutAfterMs, stats);
		throw connectFailure(run.outcome, selected, stats, previous.state.secrets);
	}

	const tokenData = isRecord(run.outcome.value) ? run.outcome.value : {};
	const unusable = unusableRefreshError(selected, previous, tokenData, stats);
	if (unusable) throw unusable;
	// The returned token data is what n8n just persisted; the rest of the credential did not change.
	const token = tokenFromCredentialData(selected, { ...previous.data, oauthTokenData: tokenData as IDataObject });
	return { token, result: refreshResultOf(token, previous, run.attempts, Date.now() - startedAt) };
}
