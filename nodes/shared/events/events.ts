import { createHash, randomUUID } from 'crypto';
import { DateTime } from 'luxon';

import { redactDeep } from '../security/redact';
import type { Action, Category, Provider, Severity } from '../types';

/**
 * CloudEvents 1.0 structured-mode JSON (docs/ARCHITECTURE.md#events). One builder, so the node output, n8n's log
 * and the signed webhook all carry byte-for-byte the same envelope.
 */

export const EVENT_TYPE_PREFIX = 'io.n8n.tokenguard.';

export const TOKEN_GUARD_EVENT_TYPES = [
	'refresh.succeeded',
	'refresh.failed',
	'refresh.recovered',
	'token.expiring',
	'health.checked',
	'error.diagnosed',
] as const;

export type TokenGuardEventType = (typeof TOKEN_GUARD_EVENT_TYPES)[number];

export type CloudEventType = `${typeof EVENT_TYPE_PREFIX}${TokenGuardEventType}`;

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export interface TokenGuardEventData {
	credential: { type?: string; id?: string; name?: string };
	provider: Provider;
	category?: Category;
	action?: Action;
	severity: Severity;
	attempts?: number;
	durationMs?: number;
	/** ISO 8601, or null when the provider gave no lifetime. */
	expiresAt?: string | null;
	workflow?: { id?: string; name?: string };
	execution?: { id?: string; url?: string; mode?: string };
	node?: { name?: string; type?: string };
	/** The episode's digest on alerts and recoveries: failures so far, and the ids of the workflows that failed. */
	occurrences?: number;
	workflows?: string[];
	details?: Record<string, unknown>;
}

export interface CloudEvent<TData = TokenGuardEventData> {
	specversion: '1.0';
	id: string;
	source: string;
	type: CloudEventType;
	time: string;
	datacontenttype: 'application/json';
	data: TData;
}

export interface BuildCloudEventInput {
	type: TokenGuardEventType;
	/** The n8n instance's public base URL (`this.getInstanceBaseUrl()`); only its host goes into `source`. */
	instanceBaseUrl: string;
	workflowId?: string;
	data: TokenGuardEventData;
	/** Defaults to a random UUID. Pass one to keep the id stable across webhook retries. */
	id?: string;
	/** Defaults to the current time. */
	now?: DateTime;
	/** Known secrets to redact from `data` on top of the pattern-based redaction every event gets. */
	secrets?: Iterable<string>;
}

export const isTokenGuardEventType = (value: unknown): value is TokenGuardEventType =>
	typeof value === 'string' && (TOKEN_GUARD_EVENT_TYPES as readonly string[]).includes(value);

const parseUrl = (value: string): URL | undefined => {
	try {
		return new URL(value);
	} catch {
		return undefined;
	}
};

function instanceHost(instanceBaseUrl: string): string {
	const parsed = typeof instanceBaseUrl === 'string' ? parseUrl(instanceBaseUrl) : undefined;
	if (parsed === undefined || parsed.host === '') {
		throw new Error(
			`Event field "instanceBaseUrl" must be an absolute URL with a host, such as https://n8n.example.com, got ${JSON.stringify(instanceBaseUrl)}`,
		);
	}
	return parsed.host;
}

function validateData(data: TokenGuardEventData): void {
	if (typeof data !== 'object' || data === null) {
		throw new Error('Event field "data" must be an object');
	}
	if (typeof data.credential !== 'object' || data.credential === null) {
		throw new Error('Event field "data.credential" must be an object (use {} when no credential is known)');
	}
	if (typeof data.provider !== 'string' || data.provider.length === 0) {
		throw new Error('Event field "data.provider" must be a provider name such as "google" or "unknown"');
	}
	if (!SEVERITIES.includes(data.severity)) {
		throw new Error(
			`Event field "data.severity" must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(data.severity)}`,
		);
	}
	for (const field of ['attempts', 'durationMs'] as const) {
		const value = data[field];
		if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
			throw new Error(`Event field "data.${field}" must be a non-negative number, got ${JSON.stringify(value)}`);
		}
	}
}

/** Builds one CloudEvents 1.0 envelope; throws an Error naming the offending field on bad input. */
export function buildCloudEvent(input: BuildCloudEventInput): CloudEvent {
	if (!isTokenGuardEventType(input.type)) {
		throw new Error(
			`Event field "type" must be one of ${TOKEN_GUARD_EVENT_TYPES.join(', ')}, got ${JSON.stringify(input.type)}`,
		);
	}
	if (input.id !== undefined && (typeof input.id !== 'string' || input.id.trim() === '')) {
		throw new Error('Event field "id" must be a non-empty string when given');
	}
	if (input.workflowId !== undefined && typeof input.workflowId !== 'string') {
		throw new Error('Event field "workflowId" must be a string when given');
	}
	const host = instanceHost(input.instanceBaseUrl);
	validateData(input.data);

	const now = input.now ?? DateTime.utc();
	if (!now.isValid) {
		throw new Error(`Event field "now" is not a valid time: ${now.invalidExplanation ?? now.invalidReason}`);
	}
	const workflowId = input.workflowId !== undefined && input.workflowId !== '' ? input.workflowId : 'unknown';

	return {
		specversion: '1.0',
		id: input.id ?? randomUUID(),
		source: `n8n://${host}/workflow/${encodeURIComponent(workflowId)}`,
		type: `${EVENT_TYPE_PREFIX}${input.type}`,
		time: now.toUTC().toISO() as string,
		datacontenttype: 'application/json',
		// A copy, redacted: callers build `details` from provider responses, which can echo tokens.
		data: redactDeep(input.data, input.secrets ?? []),
	};
}

/**
 * A UUID-shaped id that is the same wherever the same parts are hashed: every process that announces one
 * alert episode in one cooldown window gives its event the same id, and the id is the `webhook-id`, on
 * which Standard Webhooks receivers de-duplicate. Parts are length-prefixed so they cannot run together.
 */
export function episodeEventId(...parts: string[]): string {
	const hash = createHash('sha256');
	for (const part of parts) hash.update(`${part.length}:${part};`);
	const hex = hash.digest('hex').slice(0, 32).split('');
	hex[12] = '8'; // RFC 9562 version 8: a custom, name-based UUID
	hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16); // RFC 9562 variant
	const text = hex.join('');
	return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}
