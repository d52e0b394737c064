/**
 * The only place the nodes read or refresh a credential (docs/ARCHITECTURE.md#credential-families). Connect-button types refresh
 * through n8n's own `refreshOAuth2Token` (persisted, single-flight, Redis-leased in queue mode); the
 * manual type refreshes through its `preAuthentication` hook, run by n8n so that n8n persists the
 * rotated refresh token. Nothing here hand-rolls a refresh n8n would not persist.
 */
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { classifyTokenEndpointFailure } from '../classify/classifier';
import type { CredentialTypeInfo } from '../credentialCatalog';
import { CREDENTIAL_TYPE_PARAMETER, MANUAL_CREDENTIAL_TYPE, credentialTypeInfo } from '../credentialCatalog';
import { credentialEndpointBoundaryFor } from '../security/domainRestriction.adapter';
import { TokenGuardError } from '../errors/errors';
import type { ExpiryInfo } from '../oauth/expiry';
import { resolveExpiry } from '../oauth/expiry';
import type { JwtClaims } from '../oauth/jwt';
import { decodeJwtClaims } from '../oauth/jwt';
import { RETRY_POLICY_DATA_KEY, readRefreshGrantConfig, retryPolicyToData } from './manualCredential';
import { classificationFor, classifyError, findTokenGuardError } from '../errors/classification';
import { collectSecrets, fingerprint, redactedSnippet, redactText } from '../security/redact';
import type { TokenEndpointFailure } from '../oauth/refreshGrant';
import type { AttemptFailure, AttemptOutcome, RetryPolicy } from '../http/retry';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_POLICY, runWithRetry } from '../http/retry';
import { SingleFlight, singleFlightKey } from './singleFlight';
import type { Classification, Result } from '../types';
import { err, ok } from '../types';

export interface SelectedCredential {
	type: string;
	info: CredentialTypeInfo;
	id?: string;
	name?: string;
}

/** The credential type picked in the node (parameter `credentialType`) and the credential set on it. */
export function selectedCredential(ctx: IExecuteFunctions, itemIndex: number): SelectedCredential {
	const type = ctx.getNodeParameter(CREDENTIAL_TYPE_PARAMETER, itemIndex) as string;
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

export interface TokenState {
	refreshTokenPresent: boolean;
	expiry: ExpiryInfo;
	scope?: string;
	tokenType?: string;
	tokenFingerprint: string;
	/** Connect family: an access token is stored. Manual family: a refresh token is stored. */
	connected: boolean;
	claims: JwtClaims | null;
	/** For redaction only, never output. */
	secrets: string[];
	/** How long the current access token was issued for (expires_in, or JWT exp − iat), when known. */
	lifetimeMs: number | null;
}

/** A read credential with the access token itself, for signing requests. Never output. */
export interface CredentialToken {
	state: TokenState;
	accessToken: string;
	refreshToken: string;
	data: ICredentialDataDecryptedObject;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const stringField = (value: unknown): string => (typeof value === 'string' ? value : '');

function positiveSeconds(value: unknown): number | null {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : null;
}

function scopeText(value: unknown): string | undefined {
	if (Array.isArray(value)) return value.filter((item) => typeof item === 'string').join(' ') || undefined;
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** n8n stores `oauthTokenData` as an object; an imported credential can carry it as JSON text. */
function oauthTokenDataOf(data: ICredentialDataDecryptedObject): Record<string, unknown> | undefined {
	const raw = data.oauthTokenData;
	if (isRecord(raw)) return raw;
	if (typeof raw !== 'string' || raw.trim() === '') return undefined;
	try {
		const parsed: unknown = JSON.parse(raw);
		return isRecord(parsed) ? parsed : undefined;
	} catch {
		// Not JSON: treated like a credential that was never connected.
		return undefined;
	}
}

function lifetimeFrom(expiresInSeconds: number | null, claims: JwtClaims | null): number | null {
	if (expiresInSeconds !== null) return expiresInSeconds * 1000;
	if (claims?.exp !== undefined && claims.iat !== undefined && claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
	return null;
}

/** The token fields each family keeps in a different place, read into one shape. */
interface StoredToken {
	accessToken: string;
	refreshToken: string;
	expiry: ExpiryInfo;
	scope?: string;
	tokenType?: string;
	/** The manual family counts as connected once it holds a refresh token; the Connect family once it holds an access token. */
	connected: boolean;
	expiresInSeconds: number | null;
}

function storedToken(selected: SelectedCredential, data: ICredentialDataDecryptedObject): StoredToken {
	if (selected.info.family === 'manual') {
		const accessToken = stringField(data.accessToken);
		const refreshToken = stringField(data.refreshToken).trim();
		return {
			accessToken,
			refreshToken,
			expiry: resolveExpiry({ accessToken, expiresAt: data.expiresAt }),
			scope: scopeText(data.scope),
			tokenType: 'Bearer',
			connected: refreshToken !== '',
			expiresInSeconds: null,
		};
	}
	const tokenData = oauthTokenDataOf(data);
	const accessToken = stringField(tokenData?.access_token);
	const tokenType = stringField(tokenData?.token_type);
	return {
		accessToken,
		refreshToken: stringField(tokenData?.refresh_token),
		expiry: resolveExpiry(tokenData),
		scope: scopeText(tokenData?.scope),
		tokenType: tokenType === '' ? undefined : tokenType,
		connected: accessToken !== '',
		expiresInSeconds: positiveSeconds(tokenData?.expires_in),
	};
}

/** Reads the token fields of either family out of decrypted credential data. */
export function tokenFromCredentialData(selected: SelectedCredential, data: ICredentialDataDecryptedObject): CredentialToken {
	const stored = storedToken(selected, data);
	const { accessToken, refreshToken } = stored;
	const claims = accessToken === '' ? null : decodeJwtClaims(accessToken);
	const tokenFingerprint = fingerprint(accessToken);
	return {
		accessToken,
		refreshToken,
		data,
		state: {
			refreshTokenPresent: refreshToken !== '',
			expiry: stored.expiry,
			...(stored.scope === undefined ? {} : { scope: stored.scope }),
			...(stored.tokenType === undefined ? {} : { tokenType: stored.tokenType }),
			tokenFingerprint,
			connected: stored.connected,
			claims,
			secrets: collectSecrets(data),
			lifetimeMs: lifetimeFrom(stored.expiresInSeconds, claims) ?? knownLifetimes.get(tokenFingerprint) ?? null,
		},
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

export interface RefreshResult {
	expiresAtMs: number | null;
	tokenFingerprint: string;
	refreshTokenRotated?: boolean;
	/** Token endpoint attempts; 0 when another caller had just refreshed and its token was taken over. */
	attempts: number;
	durationMs: number;
}

export interface RefreshedToken {
	result: RefreshResult;
	token: CredentialToken;
}

export interface RefreshOptions {
	/** Retry limits for transient token endpoint failures, for both families (DEFAULT_RETRY_POLICY otherwise). */
	policy?: RetryPolicy;
}

// ---------------------------------------------------------------------------------------------
// Connect family: n8n's refreshOAuth2Token.

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
					"This n8n has no refreshOAuth2Token helper, the only way a node can refresh a Connect-button OAuth2 credential so that n8n stores the new token. Update n8n; until then, n8n still refreshes the token itself when an API answers 401.",
			},
		);
	}
	return helper as RefreshOAuth2Token;
}

const NETWORK_CODE = /^(?:E[A-Z_]{3,}|UND_ERR_[A-Z_]+)$/;

/** A thrown refresh failure as the retry loop sees it; the classification travels along. */
function refreshAttemptFailure(error: unknown, selected: SelectedCredential): AttemptFailure {
	const classification = classifyError(error, { credentialType: selected.type, phase: 'token_endpoint' });
	const links: Array<Record<string, unknown>> = [];
	for (let link: unknown = error; isRecord(link) && links.length < 5; link = link.cause) links.push(link);
	const response = links.map((link) => link.response).find(isRecord) as { status?: unknown; headers?: Record<string, unknown> } | undefined;
	const status =
		classification.httpCode ??
		(typeof response?.status === 'number' ? response.status : undefined) ??
		// client-oauth2 turns a throttled token endpoint into an AuthError without a status.
		(classification.category === 'rate_limited' ? 429 : undefined);
	const networkCode = links.map((link) => link.code).find((code): code is string => typeof code === 'string' && NETWORK_CODE.test(code) && code !== 'EAUTH' && code !== 'ESTATUS');
	const retryAfter = response?.headers?.['retry-after'];
	return {
		kind: 'failure',
		...(status === undefined ? {} : { status }),
		...(networkCode === undefined ? {} : { networkCode }),
		...(classification.oauthError === undefined ? {} : { oauthError: classification.oauthError }),
		...(typeof retryAfter === 'string' ? { retryAfter } : {}),
		error: { original: error, classification },
	};
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

function connectFailure(failure: AttemptFailure, selected: SelectedCredential, stats: { attempts: number; waitedMs: number }, secrets: string[]): TokenGuardError {
	const { original, classification } = failure.error as { original: unknown; classification: Classification };
	const message = original instanceof Error ? original.message : String(original);
	const retried = stats.attempts > 1 ? ` (after ${stats.attempts} attempts over ${seconds(stats.waitedMs)})` : '';
	// n8n's own reconnect error already names the credential; anything else gets the credential's name added.
	const named = /credential "/i.test(message) ? message : `Refreshing credential "${selected.name ?? selected.type}" failed: ${message}`;
	return new TokenGuardError(classification, redactText(`${named}${retried}`, secrets), stats);
}

const credentialLabel = (selected: SelectedCredential): string => selected.name ?? selected.type;

/**
 * n8n's refresh reads `oauthTokenData.accessToken` before anything else, so token data that is null,
 * a number or unparsable text fails inside n8n with a TypeError instead of saying what is wrong.
 */
function notConnectedError(selected: SelectedCredential, data: ICredentialDataDecryptedObject): TokenGuardError | undefined {
	if (data.oauthTokenData === undefined || oauthTokenDataOf(data) !== undefined) return undefined;
	const classification = classificationFor('not_connected', selected.info.provider, 'The credential holds no usable OAuth token data.');
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

function refreshTimeoutError(selected: SelectedCredential, afterMs: number, stats: { attempts: number; waitedMs: number }): TokenGuardError {
	const classification = classificationFor('provider_unavailable', selected.info.provider, `The token endpoint did not answer within ${seconds(afterMs)}.`);
	return new TokenGuardError(
		classification,
		`Refreshing credential "${credentialLabel(selected)}" failed: the token endpoint did not answer within ${seconds(afterMs)}. n8n may still finish this refresh in the background; it was not retried, because sending the same refresh token again could count as reuse`,
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
	stats: { attempts: number; waitedMs: number },
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
		redactText(`Refreshing credential "${credentialLabel(selected)}" failed: the token endpoint answered HTTP 200 with ${evidence}, so n8n kept the old access token.${said}`, secrets),
		stats,
	);
}

async function refreshConnect(
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
	return {
		token,
		result: {
			expiresAtMs: token.state.expiry.expiresAtMs,
			tokenFingerprint: token.state.tokenFingerprint,
			...(token.refreshToken === '' ? {} : { refreshTokenRotated: token.refreshToken !== previous.refreshToken }),
			attempts: run.attempts,
			durationMs: Date.now() - startedAt,
		},
	};
}

// ---------------------------------------------------------------------------------------------
// Manual family: n8n runs the credential's preAuthentication and persists what it returns.

/** The refresh result is what matters; the request that carried it only has to reach a host. */
const MANUAL_REFRESH_PROBE_TIMEOUT_MS = 15_000;

function manualConfigError(selected: SelectedCredential, data: ICredentialDataDecryptedObject): TokenGuardError | undefined {
	const config = readRefreshGrantConfig(data);
	if (config.ok) return undefined;
	const category = config.error.field === 'refreshToken' ? 'refresh_token_missing' : 'client_misconfigured';
	const classification = classificationFor(category, selected.info.provider, `The credential field "${config.error.field}" is not usable.`);
	return new TokenGuardError(classification, `Credential "${selected.name ?? selected.type}", field "${config.error.field}": ${config.error.message}`, { attempts: 0, waitedMs: 0 });
}

/**
 * n8n runs a credential's preAuthentication — and persists every key it returns — only from inside an
 * authenticated request, and only when the hidden expirable field (`accessToken`) is empty. So the
 * refresh is one httpRequestWithAuthentication call with the stored data and an emptied access token
 * (n8n-core takes `credentialsDecrypted.data` as the credential; the CLI's preAuthentication rule does
 * the rest). The request itself is a GET of the credential's Test URL, or else its token URL, which is
 * harmless: no refresh_token parameter is sent, and HTTP errors are ignored so that a non-2xx answer
 * can never make n8n run a second refresh. The engine single-flights the grant per refresh token and
 * remembers rotations, so parallel callers never spend one refresh token twice.
 */
async function refreshManual(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	previous: CredentialToken,
	policy: RetryPolicy,
): Promise<RefreshedToken> {
	const configError = manualConfigError(selected, previous.data);
	if (configError) throw configError;
	const startedAt = Date.now();
	// The hook only sees credential data, so the node's retry limits travel in it (never persisted).
	const data: ICredentialDataDecryptedObject = { ...previous.data, accessToken: '', [RETRY_POLICY_DATA_KEY]: retryPolicyToData(policy) };
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
	return {
		token,
		result: {
			expiresAtMs: token.state.expiry.expiresAtMs,
			tokenFingerprint: token.state.tokenFingerprint,
			refreshTokenRotated: token.refreshToken !== previous.refreshToken,
			attempts: 1,
			durationMs: Date.now() - startedAt,
		},
	};
}

function manualFailure(error: unknown, selected: SelectedCredential, secrets: string[]): TokenGuardError {
	const engineError = findTokenGuardError(error);
	if (engineError) return engineError;
	const classification = classifyError(error, { credentialType: selected.type, phase: 'token_endpoint' });
	const message = error instanceof Error ? error.message : String(error);
	return new TokenGuardError(classification, redactText(`Refreshing credential "${selected.name ?? selected.type}" failed: ${message}`, secrets));
}

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

// ---------------------------------------------------------------------------------------------
// Shared refreshes: one per (credential, token that went stale), across items and executions.

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
const MEMORY_MAX_ENTRIES = 1000;
const recentRefusals = new Map<string, { error: unknown; atMs: number }>();

function remember<V>(map: Map<string, V>, key: string, value: V): void {
	map.delete(key);
	map.set(key, value);
	// Maps iterate in insertion order, so the first key is the oldest entry.
	if (map.size > MEMORY_MAX_ENTRIES) {
		const oldest = map.keys().next().value;
		if (oldest !== undefined) map.delete(oldest);
	}
}

function recentRefusal(key: string, nowMs: number): unknown {
	const entry = recentRefusals.get(key);
	if (entry === undefined) return undefined;
	if (nowMs - entry.atMs < REFUSAL_MEMORY_MS) return entry.error;
	recentRefusals.delete(key);
	return undefined;
}

/**
 * Lifetimes of tokens this process obtained, by fingerprint. The manual credential stores only an
 * absolute expiry; knowing the lifetime keeps the proactive margin below half of it (expirySignal.ts
 * proactiveMarginMs), so short-lived tokens are not refreshed on every request.
 */
const knownLifetimes = new Map<string, number>();

function learnLifetime(result: RefreshResult, refreshedAtMs: number): void {
	if (result.expiresAtMs === null || result.expiresAtMs <= refreshedAtMs) return;
	remember(knownLifetimes, result.tokenFingerprint, result.expiresAtMs - refreshedAtMs);
}

/** Forgets remembered refusals and lifetimes (tests, and a user who wants a clean slate). */
export function forgetRefreshMemory(): void {
	recentRefusals.clear();
	knownLifetimes.clear();
}

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
			const refused = recentRefusal(key, Date.now());
			if (refused !== undefined) throw refused;
			const stored = await readCredentialToken(ctx, selected);
			if (isNewerToken(stored, staleFingerprint)) return { token: stored };
			const refreshed = await refreshCredentialToken(ctx, selected, stored, options).then(
				(value) => ok(value),
				(error: unknown) => err(error),
			);
			if (!refreshed.ok) {
				const refusal = refreshed.error;
				if (!classifyError(refusal, { credentialType: selected.type }).retryable) remember(recentRefusals, key, { error: refusal, atMs: Date.now() });
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
export async function forceRefresh(ctx: IExecuteFunctions, selected: SelectedCredential, options: RefreshOptions = {}): Promise<RefreshResult> {
	const startedAt = Date.now();
	const current = await readCredentialToken(ctx, selected);
	const shared = await refreshShared(ctx, selected, current.state.tokenFingerprint, options);
	if (!shared.outcome.ok) throw shared.outcome.error;
	const { token, refresh } = shared.outcome.value;
	return (
		refresh ?? {
			expiresAtMs: token.state.expiry.expiresAtMs,
			tokenFingerprint: token.state.tokenFingerprint,
			...(token.refreshToken === '' ? {} : { refreshTokenRotated: token.refreshToken !== current.refreshToken }),
			attempts: 0,
			durationMs: Date.now() - startedAt,
		}
	);
}
