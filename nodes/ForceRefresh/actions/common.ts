/**
 * What every Force Refresh operation shares: the `tokenGuard` object on each output item, the events
 * a refresh produces, error items for "Continue On Fail", and a bounded-concurrency item runner.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { DateTime } from 'luxon';

import type { RefreshResult, SelectedCredential } from '../../shared/credentialAccess.adapter';
import type { Delivery } from '../../shared/eventSink.adapter';
import { emitEvent, isDeliveryFailure } from '../../shared/eventSink.adapter';
import type { TokenGuardEventData, TokenGuardEventType } from '../../shared/events';
import { classificationFor, classifyForNode, toNodeError } from '../../shared/nodeErrors';
import type { Category, Classification, Severity } from '../../shared/types';

export type TokenGuardReason = 'proactive' | 'expiry-signal' | 'forced' | 'not-needed';

/** The `tokenGuard` field of every output item (README "Output"). */
export interface TokenGuardInfo {
	refreshed: boolean;
	reason: TokenGuardReason;
	attempts: number;
	expiresAt: string | null;
	tokenFingerprint: string;
	durationMs: number;
	credential: { type: string; name: string | null };
	category?: Category;
	delivery?: Delivery;
	[extra: string]: unknown;
}

export const isoOrNull = (epochMs: number | null | undefined): string | null =>
	epochMs === null || epochMs === undefined || !Number.isFinite(epochMs) ? null : DateTime.fromMillis(epochMs, { zone: 'utc' }).toISO();

export const credentialLabel = (selected: SelectedCredential): TokenGuardInfo['credential'] => ({
	type: selected.type,
	name: selected.name ?? null,
});

/** Input json and binary pass through; `tokenGuard` is added (or replaced). */
export function passThroughItem(item: INodeExecutionData, index: number, tokenGuard: TokenGuardInfo): INodeExecutionData {
	return {
		json: { ...item.json, tokenGuard: tokenGuard as unknown as IDataObject },
		...(item.binary === undefined ? {} : { binary: item.binary }),
		pairedItem: { item: index },
	};
}

// ---------------------------------------------------------------------------------------------
// Events (DESIGN.md §5.2)

function eventBase(selected: SelectedCredential, severity: Severity): TokenGuardEventData {
	return {
		credential: { type: selected.type, ...(selected.id ? { id: selected.id } : {}), ...(selected.name ? { name: selected.name } : {}) },
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
): Promise<Delivery> {
	const { delivery } = await emitEvent(ctx, type, data, { itemIndex, secrets });
	return delivery;
}

export async function emitRefreshSucceeded(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	result: RefreshResult,
	details: { reason: TokenGuardReason; operation: string },
	itemIndex: number,
	secrets: string[],
): Promise<Delivery> {
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
	try {
		return await emit(
			ctx,
			'refresh.failed',
			{
				...eventBase(selected, classification.severity),
				category: classification.category,
				action: classification.action,
				...(typeof attempts === 'number' ? { attempts } : {}),
				details: { ...details, why: classification.reason },
			},
			itemIndex,
			secrets,
		);
	} catch (deliveryError) {
		// "Fail on Delivery Error" must not hide the refresh failure, which is thrown right after this.
		return { status: 'failed', attempts: 0, error: deliveryError instanceof Error ? deliveryError.message : String(deliveryError) };
	}
}

export async function emitTokenExpiring(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	info: { expiresAtMs: number | null; timeLeftMs: number | null; marginMs: number; tokenFingerprint: string; operation: string },
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

/** Errors about the node's own parameters: shown as they are, never read as an auth failure. */
const parameterErrors = new WeakSet<Error>();

/** "<Field>: <what is wrong>", for a parameter the user has to fix. */
export function parameterError(ctx: IExecuteFunctions, field: string, message: string, itemIndex = 0): NodeOperationError {
	const error = new NodeOperationError(ctx.getNode(), `${field}: ${message}`, { itemIndex });
	parameterErrors.add(error);
	return error;
}

/** A parameter value as a message can show it: short, and typed ("null", "{}", "5", "\"BREW\""). */
export function shownValue(value: unknown): string {
	if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
	const shown = JSON.stringify(value) ?? String(value);
	return shown.length > 40 ? `${shown.slice(0, 40)}…` : shown;
}

export interface Choice<T extends string> {
	name: string;
	value: T;
}

/**
 * An options parameter, which an expression can set to anything: one of the listed values (case and
 * surrounding spaces ignored), or a parameter error that lists them.
 */
export function choiceParameter<T extends string>(
	ctx: IExecuteFunctions,
	field: string,
	value: unknown,
	choices: ReadonlyArray<Choice<T>>,
	itemIndex = 0,
): T {
	const wanted = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
	const match = choices.find((choice) => choice.value.toLowerCase() === wanted);
	if (match !== undefined) return match.value;
	const listed = choices.map((choice) => choice.value).join(', ');
	throw parameterError(ctx, field, `${shownValue(value)} is not one of the values this field takes. Use one of ${listed}`, itemIndex);
}

/**
 * A text parameter: a number or boolean from an expression is used as its text, empty stays empty;
 * an object or array cannot be sent as text and is refused with how to fix it.
 */
export function textParameter(ctx: IExecuteFunctions, field: string, value: unknown, fix: string, itemIndex = 0): string {
	if (typeof value === 'string') return value;
	if (value === undefined || value === null) return '';
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	throw parameterError(ctx, field, `is ${Array.isArray(value) ? 'a list' : 'an object'} (${shownValue(value)}), not text. ${fix}`, itemIndex);
}

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
	if (error instanceof Error && parameterErrors.has(error)) {
		// A parameter message can quote codes like token_expired (a body rule); it is not evidence.
		return { error, classification: classificationFor('not_auth_related', selected?.info.provider ?? 'unknown', 'A node parameter is invalid.') };
	}
	if (isDeliveryFailure(error)) {
		// The refresh (or request) went through; only the event webhook failed, and the error says so.
		return { error: error as Error, classification: classificationFor('not_auth_related', selected?.info.provider ?? 'unknown', 'The event webhook could not be reached.') };
	}
	const context = { ...(selected === undefined ? {} : { credential: selected }), itemIndex, secrets };
	return { error: toNodeError(ctx.getNode(), error, context), classification: classifyForNode(error, context) };
}

/** What "Continue On Fail" puts out instead of the failed item: the error and the tokenGuard verdict. */
export function errorItem(
	failure: ItemFailure,
	index: number,
	tokenGuard: Omit<TokenGuardInfo, 'category'>,
): INodeExecutionData {
	const description = (failure.error as { description?: unknown }).description;
	return {
		json: {
			error: failure.error.message,
			...(typeof description === 'string' && description !== '' ? { description } : {}),
			tokenGuard: { ...tokenGuard, category: failure.classification.category } as unknown as IDataObject,
		},
		pairedItem: { item: index },
	};
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/**
 * Runs `work(0…count-1)` with at most `limit` in flight, results in input order. After the first
 * failure no new item starts; the ones running finish, then that failure is thrown.
 */
export async function mapWithConcurrency<T>(count: number, limit: number, work: (index: number) => Promise<T>): Promise<T[]> {
	const results = new Array<T>(count);
	let next = 0;
	let failure: { error: unknown } | undefined;
	const worker = async (): Promise<void> => {
		while (failure === undefined && next < count) {
			const index = next++;
			try {
				results[index] = await work(index);
			} catch (error) {
				failure ??= { error };
			}
		}
	};
	const workers = Array.from({ length: Math.max(1, Math.min(Math.floor(limit), count)) }, async () => await worker());
	await Promise.all(workers);
	if (failure !== undefined) throw failure.error;
	return results;
}
