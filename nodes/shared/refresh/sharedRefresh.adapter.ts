/**
 * Shared refreshes (docs/ARCHITECTURE.md#refresh-paths): one refresh per (credential, token that went stale),
 * across items and executions of this process, through the family's n8n path. Also the short memory of
 * refusals waiting cannot fix, so items whose 401 arrives just after a failed flight do not send the
 * dead refresh token again.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { classifyError } from '../errors/classification';
import { DEFAULT_RETRY_POLICY } from '../http/retry';
import type { Result } from '../types';
import { err, ok } from '../types';
import { readCredentialToken } from './credentialAccess.adapter';
import { refreshConnect } from './connectRefresh.adapter';
import { refreshManual } from './manualRefresh.adapter';
import { RecentMemory } from './recentMemory';
import { SingleFlight, singleFlightKey } from './singleFlight';
import type { CredentialToken, RefreshOptions, RefreshResult, RefreshedToken, SelectedCredential } from './tokenState';
import { forgetKnownLifetimes, learnLifetime, refreshResultOf } from './tokenState';

/** One refresh through the family's n8n path, no de-duplication. Prefer `forceRefresh` / `refreshShared`. */
export async function refreshCredentialToken(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	previous: CredentialToken,
	options: RefreshOptions = {},
): Promise<RefreshedToken> {
	const policy = options.policy ?? DEFAULT_RETRY_POLICY;
	if (selected.info.family === 'manual') return await refreshManual(ctx, selected, previous, policy);
	return await refreshConnect(ctx, selected, previous, policy);
}

export interface SharedRefreshValue {
	token: CredentialToken;
	/** Present when this flight called the token endpoint; absent when a newer stored token was taken over. */
	refresh?: RefreshResult;
}

export interface SharedRefresh {
	/** True for the one caller that ran the flight (it reports events); joiners share its outcome. */
	owner: boolean;
	outcome: Result<SharedRefreshValue, unknown>;
}

const refreshFlights = new SingleFlight<SharedRefreshValue>();

/**
 * How long a refusal that waiting cannot fix (invalid_grant, a misconfigured client) is remembered for
 * the token that failed. Items whose 401 arrives just after a failed flight get the same answer instead
 * of sending the dead refresh token again; reconnecting the credential changes the token, and the key.
 */
export const REFUSAL_MEMORY_MS = 10_000;
const recentRefusals = new RecentMemory<unknown>({ maxEntries: 1000, ttlMs: REFUSAL_MEMORY_MS });

/** Forgets remembered refusals and lifetimes (tests, and a user who wants a clean slate). */
export function forgetRefreshMemory(): void {
	recentRefusals.clear();
	forgetKnownLifetimes();
}

/** The token endpoint refused the refresh token itself (invalid_grant): spent, revoked or expired. */
const isRefreshTokenRefusal = (error: unknown, selected: SelectedCredential): boolean =>
	classifyError(error, { credentialType: selected.type }).category === 'refresh_token_invalid';

/** Another flight, execution or n8n itself stored a token since this caller read the credential. */
const isNewerToken = (stored: CredentialToken, staleFingerprint: string): boolean =>
	stored.accessToken !== '' && stored.state.tokenFingerprint !== staleFingerprint;

/**
 * Replaces the access token whose fingerprint is `staleFingerprint` — exactly once, however many items
 * and executions of this process ask at the same time. The flight first re-reads the credential: a
 * stored token that is already newer (another flight, another execution, or n8n itself refreshed it) is
 * taken over without a token call. A refusal waiting cannot fix is remembered briefly (REFUSAL_MEMORY_MS).
 */
export async function refreshShared(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	staleFingerprint: string,
	options: RefreshOptions = {},
): Promise<SharedRefresh> {
	const key = singleFlightKey('refresh', selected.type, selected.id ?? selected.name ?? '', staleFingerprint);
	let owner = false;
	try {
		const value = await refreshFlights.run(key, async () => {
			owner = true;
			const refused = recentRefusals.get(key, Date.now());
			if (refused !== undefined) throw refused;
			const stored = await readCredentialToken(ctx, selected);
			if (isNewerToken(stored, staleFingerprint)) return { token: stored };
			const attempt = (from: CredentialToken) =>
				refreshCredentialToken(ctx, selected, from, options).then(
					(value) => ok(value),
					(error: unknown) => err(error),
				);
			let refreshed = await attempt(stored);
			if (!refreshed.ok && selected.info.family === 'manual' && isRefreshTokenRefusal(refreshed.error, selected)) {
				// n8n does not lock this family across queue-mode workers: another worker may have spent the same
				// refresh token a moment earlier and stored its successor. Take that over instead of failing.
				const reread = await readCredentialToken(ctx, selected);
				if (reread.refreshToken !== '' && reread.refreshToken !== stored.refreshToken) {
					if (isNewerToken(reread, staleFingerprint) && reread.state.tokenFingerprint !== stored.state.tokenFingerprint)
						return { token: reread };
					refreshed = await attempt(reread);
				}
			}
			if (!refreshed.ok) {
				const refusal = refreshed.error;
				if (!classifyError(refusal, { credentialType: selected.type }).retryable)
					recentRefusals.set(key, refusal, Date.now());
				throw refusal;
			}
			learnLifetime(refreshed.value.result, Date.now());
			return { token: refreshed.value.token, refresh: refreshed.value.result };
		});
		return { owner, outcome: ok(value) };
	} catch (error) {
		return { owner, outcome: err(error) };
	}
}

/**
 * Refresh now and persist it. Concurrent calls for the same credential share one refresh; a caller
 * that finds a token refreshed a moment ago by someone else takes it over (attempts 0).
 */
export async function forceRefresh(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	options: RefreshOptions = {},
): Promise<RefreshResult> {
	const startedAt = Date.now();
	const current = await readCredentialToken(ctx, selected);
	const shared = await refreshShared(ctx, selected, current.state.tokenFingerprint, options);
	if (!shared.outcome.ok) throw shared.outcome.error;
	const { token, refresh } = shared.outcome.value;
	return refresh ?? refreshResultOf(token, current, 0, Date.now() - startedAt);
}
