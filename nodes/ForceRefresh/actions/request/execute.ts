/** Request With Auto-Refresh: the run's shared state, and running one item (authorizedRequest.adapter does the protocol). */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type {
	AuthorizedRequest,
	AutoRefreshOutcome,
	RefreshStep,
} from '../../../shared/http/authorizedRequest.adapter';
import { requestWithAutoRefresh } from '../../../shared/http/authorizedRequest.adapter';
import { classifyApiResponse } from '../../../shared/classify/classifier';
import type { SelectedCredential } from '../../../shared/refresh/tokenState';
import { selectedCredential } from '../../../shared/refresh/credentialAccess.adapter';
import { TokenGuardError } from '../../../shared/errors/errors';
import type { Delivery } from '../../../shared/events/eventSink.adapter';
import { classificationFor } from '../../../shared/classify/taxonomy';
import { redactedSnippet, redactText } from '../../../shared/security/redact';
import type { Category } from '../../../shared/types';
import type { ItemResult } from '../../../operationContract';
import type { TokenGuardInfo } from '../common';
import {
	credentialOutput,
	deliveryOutput,
	emitRefreshFailed,
	emitRefreshSucceeded,
	emitTokenExpiring,
	isoOrNull,
	nodeErrorFor,
	operationFailure,
} from '../common';
import type { RunSettings } from './parameters';
import { buildRequest, readRunSettings } from './parameters';

const BODY_SNIPPET_LENGTH = 300;

function snippet(body: unknown, secrets: string[]): string {
	const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
	return redactedSnippet(text, secrets, BODY_SNIPPET_LENGTH, { singleLine: true });
}

/** A final answer that is not a success, as the error the item fails with (unless "Never Error"). */
function responseFailure(
	request: AuthorizedRequest,
	outcome: AutoRefreshOutcome,
	selected: SelectedCredential,
): TokenGuardError | undefined {
	const { response } = outcome;
	if (outcome.rejectedAfterRefresh) {
		const reason = outcome.verdict.expired ? outcome.verdict.detail : 'the API rejected the token';
		return new TokenGuardError(
			classificationFor(
				'access_token_rejected',
				selected.info.provider,
				`The API still signalled an expired token after one refresh and one replay: ${reason}.`,
				response.statusCode,
			),
			redactText(
				`${request.method} ${request.url} still rejected the access token after it was refreshed and the request sent once more (HTTP ${response.statusCode}): ${snippet(response.body, outcome.secrets)}`,
				outcome.secrets,
			),
			{ attempts: outcome.attempts, waitedMs: outcome.waitedMs },
		);
	}
	if (response.statusCode >= 200 && response.statusCode < 300) return undefined;
	const classification = classifyApiResponse(
		{ status: response.statusCode, headers: response.headers, body: response.body },
		request.url,
	);
	const provider = classification.provider === 'unknown' ? selected.info.provider : classification.provider;
	return new TokenGuardError(
		{ ...classification, provider },
		redactText(
			`${request.method} ${request.url} answered HTTP ${response.statusCode}: ${snippet(response.body, outcome.secrets)}`,
			outcome.secrets,
		),
		{ attempts: outcome.attempts, waitedMs: outcome.waitedMs },
	);
}

function outputJson(outcome: AutoRefreshOutcome, fullResponse: boolean, tokenGuard: TokenGuardInfo): IDataObject {
	const { response } = outcome;
	const info = tokenGuard as unknown as IDataObject;
	if (fullResponse) {
		return {
			body: response.body as IDataObject,
			statusCode: response.statusCode,
			headers: response.headers as IDataObject,
			tokenGuard: info,
		};
	}
	const body = response.body;
	if (typeof body === 'object' && body !== null && !Array.isArray(body))
		return { ...(body as IDataObject), tokenGuard: info };
	if (body === '' || body === undefined || body === null) return { tokenGuard: info };
	return { data: body as IDataObject, tokenGuard: info };
}

/** Events for one shared refresh, sent by the caller that ran it (joiners share its outcome silently). */
async function reportStep(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	step: RefreshStep,
	itemIndex: number,
	secrets: string[],
	marginMs: number,
): Promise<Delivery | undefined> {
	if (!step.shared.owner) return undefined;
	const details = { reason: step.reason, operation: 'request' } as const;
	const { outcome } = step.shared;
	if (!outcome.ok) return await emitRefreshFailed(ctx, selected, outcome.error, details, itemIndex, secrets);
	const { refresh } = outcome.value;
	if (refresh === undefined) return undefined;
	if (step.reason === 'proactive' && step.timeLeftMs !== null) {
		await emitTokenExpiring(
			ctx,
			selected,
			{
				expiresAtMs: step.staleExpiresAtMs,
				timeLeftMs: step.timeLeftMs,
				marginMs,
				tokenFingerprint: step.staleFingerprint,
				operation: 'request',
			},
			itemIndex,
			secrets,
		);
	}
	return await emitRefreshSucceeded(ctx, selected, refresh, details, itemIndex, secrets);
}

/** What every item of the run shares: the credential, the settings, the token cache and the secrets seen so far. */
export interface RequestRun {
	selected: SelectedCredential;
	settings: RunSettings;
	runSecrets: Set<string>;
}

/** Once per run: the credential and the run settings; a wrong setting fails every item alike. */
export async function prepare(this: IExecuteFunctions): Promise<RequestRun> {
	try {
		const selected = selectedCredential(this, 0);
		return { selected, settings: readRunSettings(this, selected), runSecrets: new Set<string>() };
	} catch (error) {
		throw operationFailure(nodeErrorFor(this, error, undefined, 0, []), failedInfo(undefined, 0, 0, null));
	}
}

/** Items run concurrently up to the limit, so a burst that hits an expired token shares one refresh. */
export const concurrency = (run: RequestRun): number => run.settings.concurrency;

/** The item's tokenGuard when the request failed: the same keys as an answered one (category is added later). */
function failedInfo(
	selected: SelectedCredential | undefined,
	attempts: number,
	durationMs: number,
	delivery: Delivery | null,
	waitedMs = 0,
): Omit<TokenGuardInfo, 'category'> {
	return {
		refreshed: false,
		reason: null,
		attempts,
		expiresAt: null,
		tokenFingerprint: 'none',
		durationMs,
		credential: credentialOutput(selected),
		statusCode: null,
		waitedMs,
		expirySignal: null,
		delivery: deliveryOutput(delivery ?? undefined),
	};
}

function answeredInfo(
	outcome: AutoRefreshOutcome,
	run: RequestRun,
	startedAt: number,
	category: Category | undefined,
	delivery: Delivery | undefined,
): TokenGuardInfo {
	return {
		refreshed: outcome.refreshed,
		// A request that needed no refresh has no refresh reason.
		reason: outcome.refreshed ? outcome.reason : null,
		attempts: outcome.attempts,
		expiresAt: isoOrNull(outcome.token.expiresAtMs),
		tokenFingerprint: outcome.token.fingerprint,
		durationMs: Date.now() - startedAt,
		credential: credentialOutput(run.selected),
		statusCode: outcome.response.statusCode,
		waitedMs: outcome.waitedMs,
		expirySignal: outcome.signal ?? null,
		category: category ?? null,
		delivery: deliveryOutput(delivery),
	};
}

export async function execute(
	this: IExecuteFunctions,
	_item: INodeExecutionData,
	itemIndex: number,
	run: RequestRun,
): Promise<ItemResult> {
	const { selected, settings, runSecrets } = run;
	const startedAt = Date.now();
	let delivery: Delivery | undefined;
	try {
		const request = await buildRequest(this, itemIndex, settings);
		const outcome = await requestWithAutoRefresh(this, selected, request, {
			rules: settings.rules,
			proactiveMarginMs: settings.proactiveMarginMs,
			policy: settings.policy,
			itemIndex,
			tokens: settings.tokens,
			onRefreshStep: async (step, secrets) => {
				for (const secret of secrets) runSecrets.add(secret);
				delivery = (await reportStep(this, selected, step, itemIndex, secrets, settings.proactiveMarginMs)) ?? delivery;
			},
		});
		for (const secret of outcome.secrets) runSecrets.add(secret);
		const failure = responseFailure(request, outcome, selected);
		if (failure !== undefined && settings.options.neverError !== true) throw failure;
		const tokenGuard = answeredInfo(outcome, run, startedAt, failure?.classification.category, delivery);
		return { json: outputJson(outcome, settings.options.fullResponse === true, tokenGuard) };
	} catch (error) {
		const stats = (error as { stats?: { attempts?: number; waitedMs?: number } }).stats;
		throw operationFailure(
			nodeErrorFor(this, error, selected, itemIndex, [...runSecrets]),
			failedInfo(selected, stats?.attempts ?? 0, Date.now() - startedAt, delivery ?? null, stats?.waitedMs),
		);
	}
}
