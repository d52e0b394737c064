/**
 * What every Force Refresh operation shares: the `tokenGuard` object on each output item, the events
 * a refresh produces, failures for "Continue On Fail", and a bounded-concurrency item runner.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { DateTime } from 'luxon';

import type { RefreshResult, SelectedCredential } from '../../shared/refresh/tokenState';
import type { Delivery } from '../../shared/events/eventSink.adapter';
import { emitEvent, isDeliveryFailure } from '../../shared/events/eventSink.adapter';
import type { TokenGuardEventData, TokenGuardEventType } from '../../shared/events/events';
import { alertKey, credentialAlertKey, DEFAULT_COOLDOWN_MINUTES } from '../../shared/diagnose/alertState';
import { AlertLedger } from '../../shared/diagnose/alertLedger.adapter';
import { classifyForNode } from '../../shared/errors/classification';
import { classificationFor } from '../../shared/classify/taxonomy';
import { toNodeError } from '../../shared/errors/nodeErrors.adapter';
import { isParameterError } from '../../shared/parameters/parameters.adapter';
import type { Category, Classification, Severity } from '../../shared/types';
import type { ItemResult } from '../../operationContract';
import { OperationFailure } from '../../operationContract';

export type TokenGuardReason = 'proactive' | 'expiry-signal' | 'forced' | 'not-needed';

/**
 * The `tokenGuard` field of every output item (README "Output"). Every key is on every item of an operation,
 * `null` when it does not apply, so n8n's Schema and Table views show one shape.
 */
export interface TokenGuardInfo {
	refreshed: boolean;
	/** Why the token was refreshed; `null` on a request that needed no refresh. */
	reason: TokenGuardReason | null;
	attempts: number;
	expiresAt: string | null;
	tokenFingerprint: string;
	durationMs: number;
	credential: { type: string; typeName: string; name: string | null };
	category: Category | null;
	delivery: Delivery | null;
	[extra: string]: unknown;
}

export const isoOrNull = (epochMs: number | null | undefined): string | null =>
	epochMs === null || epochMs === undefined || !Number.isFinite(epochMs)
		? null
		: DateTime.fromMillis(epochMs, { zone: 'utc' }).toISO();

/** The item's `credential`; a run that failed before a credential was chosen names none. */
export const credentialOutput = (selected: SelectedCredential | undefined): TokenGuardInfo['credential'] =>
	selected === undefined
		? { type: 'unknown', typeName: 'unknown', name: null }
		: { type: selected.type, typeName: selected.info.displayName, name: selected.name ?? null };

/** The item's `delivery`: `null` when no event was sent for it, including with Send Events to Webhook off. */
export const deliveryOutput = (delivery: Delivery | undefined): Delivery | null =>
	delivery === undefined || delivery.status === 'skipped' ? null : delivery;

/** Input json and binary pass through; `tokenGuard` is added (or replaced). */
export function passThroughItem(item: INodeExecutionData, tokenGuard: TokenGuardInfo): ItemResult {
	return {
		json: { ...item.json, tokenGuard: tokenGuard as unknown as IDataObject },
		...(item.binary === undefined ? {} : { binary: item.binary }),
	};
}

// ---------------------------------------------------------------------------------------------
// Events (docs/ARCHITECTURE.md#events)

function eventBase(selected: SelectedCredential, severity: Severity): TokenGuardEventData {
	return {
		credential: {
			type: selected.type,
			...(selected.id ? { id: selected.id } : {}),
			...(selected.name ? { name: selected.name } : {}),
		},
		provider: selected.info.provider,
		severity,
	};
}

async function emit(
	ctx: IExecuteFunctions,
	type: TokenGuardEventType,
	data: TokenGuardEventData,
	itemIndex: number,
	secrets: string[],
	announcement: { suppress?: boolean; eventId?: string } = {},
): Promise<Delivery> {
	const { delivery } = await emitEvent(ctx, type, data, { itemIndex, secrets, ...announcement });
	return delivery;
}

/**
 * Force Refresh has no cooldown field: a credential's refresh failure is announced once an hour at most, the
 * default of Token Health's Alert Cooldown, through the same per-workflow alert ledger.
 */
const REFRESH_ALERT_COOLDOWN_MS = DEFAULT_COOLDOWN_MINUTES * 60_000;

/** The ledger key of a credential's refresh problems in this workflow; none for a credential without an id. */
function refreshAlertKey(ctx: IExecuteFunctions, selected: SelectedCredential, category: Category): string {
	return alertKey({ credentialId: selected.id, workflowId: ctx.getWorkflow().id, category });
}

/** A successful refresh closes an open episode of this credential once: refresh.recovered, with the outage. */
async function announceRecovery(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	itemIndex: number,
	secrets: string[],
): Promise<void> {
	if (!selected.id) return;
	const ledger = AlertLedger.open(ctx);
	const recovered = ledger.success(credentialAlertKey(selected.id), Date.now());
	ledger.save();
	if (recovered === undefined) return;
	await emit(
		ctx,
		'refresh.recovered',
		{
			...eventBase(selected, 'info'),
			category: recovered.entry.category,
			occurrences: recovered.entry.occurrences,
			workflows: recovered.entry.workflows ?? [],
			details: { downtimeMs: recovered.downtimeMs, failures: recovered.entry.occurrences },
		},
		itemIndex,
		secrets,
	);
}

export async function emitRefreshSucceeded(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	result: RefreshResult,
	details: { reason: TokenGuardReason; operation: string },
	itemIndex: number,
	secrets: string[],
): Promise<Delivery> {
	await announceRecovery(ctx, selected, itemIndex, secrets);
	return await emit(
		ctx,
		'refresh.succeeded',
		{
			...eventBase(selected, 'info'),
			attempts: result.attempts,
			durationMs: result.durationMs,
			expiresAt: isoOrNull(result.expiresAtMs),
			details: {
				...details,
				tokenFingerprint: result.tokenFingerprint,
				...(result.refreshTokenRotated === undefined ? {} : { refreshTokenRotated: result.refreshTokenRotated }),
			},
		},
		itemIndex,
		secrets,
	);
}

export async function emitRefreshFailed(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	error: unknown,
	details: { reason: TokenGuardReason; operation: string },
	itemIndex: number,
	secrets: string[],
): Promise<Delivery | undefined> {
	// The refresh did not fail when only the webhook did: there is nothing to report as refresh.failed.
	if (isDeliveryFailure(error)) return undefined;
	const classification = classifyForNode(error, { credential: selected, secrets });
	const attempts = (error as { stats?: { attempts?: unknown } }).stats?.attempts;
	// One refresh.failed per credential and category per cooldown, however many items or executions saw it.
	const ledger = AlertLedger.open(ctx);
	const { decision, eventIdFor } = ledger.announce(
		{
			key: refreshAlertKey(ctx, selected, classification.category),
			category: classification.category,
			severity: classification.severity,
			nowMs: Date.now(),
			cooldownMs: REFRESH_ALERT_COOLDOWN_MS,
			credential: { type: selected.type, ...(selected.id ? { id: selected.id } : {}) },
			workflowId: ctx.getWorkflow().id,
		},
		ctx.getWorkflow().id ?? '',
	);
	ledger.save();
	try {
		return await emit(
			ctx,
			'refresh.failed',
			{
				...eventBase(selected, classification.severity),
				category: classification.category,
				action: classification.action,
				occurrences: decision.occurrences,
				workflows: decision.workflows,
				...(typeof attempts === 'number' ? { attempts } : {}),
				details: { ...details, why: classification.reason },
			},
			itemIndex,
			secrets,
			{ suppress: decision.duplicate, eventId: eventIdFor('refresh.failed') },
		);
	} catch (deliveryError) {
		// "Fail on Delivery Error" must not hide the refresh failure, which is thrown right after this.
		return {
			status: 'failed',
			attempts: 0,
			error: deliveryError instanceof Error ? deliveryError.message : String(deliveryError),
		};
	}
}

export async function emitTokenExpiring(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	info: {
		expiresAtMs: number | null;
		timeLeftMs: number | null;
		marginMs: number;
		tokenFingerprint: string;
		operation: string;
	},
	itemIndex: number,
	secrets: string[],
): Promise<Delivery> {
	const expired = info.timeLeftMs !== null && info.timeLeftMs <= 0;
	return await emit(
		ctx,
		'token.expiring',
		{
			...eventBase(selected, expired ? 'warning' : 'info'),
			expiresAt: isoOrNull(info.expiresAtMs),
			details: {
				operation: info.operation,
				tokenFingerprint: info.tokenFingerprint,
				secondsLeft: info.timeLeftMs === null ? null : Math.round(info.timeLeftMs / 1000),
				marginSeconds: Math.round(info.marginMs / 1000),
			},
		},
		itemIndex,
		secrets,
	);
}

// ---------------------------------------------------------------------------------------------
// Errors

export interface ItemFailure {
	error: Error;
	classification: Classification;
}

/** The node error for one item, with the category the output reports. */
export function nodeErrorFor(
	ctx: IExecuteFunctions,
	error: unknown,
	selected: SelectedCredential | undefined,
	itemIndex: number,
	secrets: string[],
): ItemFailure {
	if (isParameterError(error)) {
		// A parameter message can quote codes like token_expired (a body rule); it is not evidence.
		return {
			error,
			classification: classificationFor(
				'not_auth_related',
				selected?.info.provider ?? 'unknown',
				'A node parameter is invalid.',
			),
		};
	}
	if (isDeliveryFailure(error)) {
		// The refresh (or request) went through; only the event webhook failed, and the error says so.
		return {
			error: error as Error,
			classification: classificationFor(
				'not_auth_related',
				selected?.info.provider ?? 'unknown',
				'The event webhook could not be reached.',
			),
		};
	}
	const context = { ...(selected === undefined ? {} : { credential: selected }), itemIndex, secrets };
	return { error: toNodeError(ctx.getNode(), error, context), classification: classifyForNode(error, context) };
}

/** The failure the router gets: the node error, and what "Continue On Fail" puts out instead (error and tokenGuard verdict). */
export function operationFailure(failure: ItemFailure, tokenGuard: Omit<TokenGuardInfo, 'category'>): OperationFailure {
	const description = (failure.error as { description?: unknown }).description;
	return new OperationFailure(failure.error, {
		error: failure.error.message,
		...(typeof description === 'string' && description !== '' ? { description } : {}),
		tokenGuard: { ...tokenGuard, category: failure.classification.category } as unknown as IDataObject,
	});
}

/**
 * A refresh that failed (Refresh Now, Refresh If Expiring): announced as refresh.failed, then the
 * failure for the router, with the attempts the engine counted.
 */
export async function refreshFailure(
	ctx: IExecuteFunctions,
	error: unknown,
	run: {
		selected: SelectedCredential | undefined;
		secrets: string[];
		reason: TokenGuardReason;
		operation: string;
		startedAt: number;
		tokenFingerprint: string;
		/** The operation's own tokenGuard fields, so a failed item has the keys of a successful one. */
		extra?: Record<string, unknown>;
	},
): Promise<OperationFailure> {
	const { selected, secrets } = run;
	let delivery: Delivery | undefined;
	if (selected !== undefined) {
		delivery = await emitRefreshFailed(
			ctx,
			selected,
			error,
			{ reason: run.reason, operation: run.operation },
			0,
			secrets,
		);
	}
	return operationFailure(nodeErrorFor(ctx, error, selected, 0, secrets), {
		refreshed: false,
		reason: run.reason,
		attempts: (error as { stats?: { attempts?: number } }).stats?.attempts ?? 0,
		expiresAt: null,
		tokenFingerprint: run.tokenFingerprint,
		durationMs: Date.now() - run.startedAt,
		credential: credentialOutput(selected),
		...run.extra,
		refreshTokenRotated: null,
		delivery: deliveryOutput(delivery),
	});
}
