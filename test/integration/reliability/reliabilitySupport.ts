/**
 * What the reliability suite (issue 7) shares: a seeded PRNG, the secret scanner every file feeds with
 * everything its runs produced, and small helpers for bounded waiting. Not a test file itself.
 *
 * The scanner keeps what was shown (node outputs, errors, run data, events, webhook bodies, log lines)
 * and every secret known so far, and checks them against each other only at the end: tokens rotated in
 * late in a file must not have appeared in what an earlier run printed either.
 */
import { randomBytes } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import type { CapturedLogLine, HarnessCredentialsHelper, RunResult } from '../../harness';
import type { RecordedRequest } from '../../servers/faultServer';

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: small, fast and good enough to make every fuzz and chaos run repeatable. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let mixed = state;
		mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
		mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
		return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
	};
}

export const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)];

export const integerBetween = (random: () => number, low: number, high: number): number =>
	low + Math.floor(random() * (high - low + 1));

// ---------------------------------------------------------------------------------------------
// Secrets

export const CANARY_MARKER = 'CANARY';

/** A recognisable secret value: `CANARY-<field>-<24 hex>`. */
export const canaryValue = (field: string): string => `${CANARY_MARKER}-${field}-${randomBytes(12).toString('hex')}`;

/** Credential fields whose values are secrets, in either credential family and the webhook sink. */
const SECRET_FIELDS = ['accessToken', 'refreshToken', 'clientSecret', 'signingSecret'];
const SECRET_TOKEN_DATA_FIELDS = ['access_token', 'refresh_token', 'id_token'];

/** Where something was shown, and the text shown there. */
interface Surface {
	where: string;
	text: string;
}

/** How a leaked secret is found: whole, or a 16-character head or tail of it (a truncated snippet). */
function piecesOf(value: string): string[] {
	return value.length > 24 ? [value.slice(0, 16), value.slice(-16)] : [value];
}

/**
 * Collects secrets and everything a user, an error workflow, a webhook receiver or n8n's log could
 * see, then reports which secret showed up where. Labels, never values, go into assertion output.
 */
export class SecretScanner {
	private readonly secrets = new Map<string, string>();

	private readonly surfaces: Surface[] = [];

	/** Values that may appear in one request header of a webhook delivery (its own custom header). */
	private readonly allowedHeaderValues = new Map<string, string>();

	/** Registers a secret; the first label given to a value is kept. */
	plant(label: string, value: string): string {
		if (value !== '' && !this.secrets.has(value)) this.secrets.set(value, label);
		return value;
	}

	/** A fresh canary value, already planted. */
	canary(field: string): string {
		return this.plant(field, canaryValue(field));
	}

	/** A webhook receiver's own header may carry this value; everything else in the delivery may not. */
	allowInHeader(headerName: string, value: string): void {
		this.allowedHeaderValues.set(headerName.toLowerCase(), value);
	}

	get secretCount(): number {
		return this.secrets.size;
	}

	/** Every secret the credential store held, holds or wrote (planted, minted, rotated in, refreshed). */
	watchCredentials(helper: HarnessCredentialsHelper, ids: string[]): void {
		for (const id of ids) {
			const snapshots: ICredentialDataDecryptedObject[] = [
				helper.storedData(id),
				...helper.writes.filter((write) => write.id === id).map((write) => write.data),
			];
			for (const data of snapshots) {
				for (const field of SECRET_FIELDS) this.plantIfString(`${id} ${field}`, data[field]);
				const tokenData = data.oauthTokenData;
				if (typeof tokenData === 'object' && tokenData !== null) {
					for (const field of SECRET_TOKEN_DATA_FIELDS)
						this.plantIfString(`${id} oauthTokenData.${field}`, (tokenData as IDataObject)[field]);
				}
			}
		}
	}

	private plantIfString(label: string, value: unknown): void {
		if (typeof value === 'string' && value.length >= 8) this.plant(label, value);
	}

	record(where: string, text: string): void {
		this.surfaces.push({ where, text });
	}

	/** Outputs, the error (message, description, stack, serialised), run data and the run's log lines. */
	recordRun(flow: string, result: RunResult): void {
		const error = result.error as
			(IDataObject & { message?: string; description?: string; stack?: string }) | undefined;
		this.record(`${flow}: node output and run data`, JSON.stringify(result.run.data));
		if (error) {
			this.record(
				`${flow}: error`,
				`${String(error.message)}\n${String(error.description ?? '')}\n${String(error.stack ?? '')}\n${JSON.stringify(error)}`,
			);
		}
		this.recordLogs(`${flow}: log`, result.logs);
	}

	/** An error a run threw instead of returning (n8n refusing to start the workflow). */
	recordThrown(flow: string, error: unknown): void {
		const shown =
			error instanceof Error ? `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}` : String(error);
		this.record(`${flow}: thrown`, shown);
	}

	recordLogs(where: string, lines: CapturedLogLine[]): void {
		if (lines.length > 0) this.record(where, lines.map((line) => line.text).join('\n'));
	}

	/**
	 * Webhook deliveries: the body and every header except the receiver's own allowed value. The path
	 * is the receiver's own address (chat hooks keep their secret there), so it is not searched.
	 */
	recordDeliveries(where: string, requests: RecordedRequest[]): void {
		for (const request of requests) {
			const headers = Object.entries(request.headers).map(([name, value]) => {
				const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
				const allowed = this.allowedHeaderValues.get(name);
				return `${name}: ${allowed === undefined ? text : text.split(allowed).join('')}`;
			});
			this.record(`${where} ${request.method}`, `${headers.join('\n')}\n${request.body}`);
		}
	}

	/**
	 * `where → secret label` for every hit. Canaries carry CANARY_MARKER, so every occurrence of the
	 * marker is a hit (found in one pass, however many canaries were planted); every other secret —
	 * tokens servers issued — is searched whole, by its head and by its tail.
	 */
	leaks(): string[] {
		const starts: number[] = [];
		let length = 0;
		for (const surface of this.surfaces) {
			starts.push(length);
			length += surface.text.length + 1;
		}
		const all = this.surfaces.map((surface) => surface.text).join('\n');
		const surfaceAt = (offset: number): string => {
			let low = 0;
			let high = starts.length - 1;
			while (low < high) {
				const middle = (low + high + 1) >> 1;
				if (starts[middle] <= offset) low = middle;
				else high = middle - 1;
			}
			return this.surfaces[low]?.where ?? '?';
		};
		const hits = new Set<string>();
		const canaries = [...this.secrets].filter(([value]) => value.includes(CANARY_MARKER));
		for (let at = all.indexOf(CANARY_MARKER); at !== -1; at = all.indexOf(CANARY_MARKER, at + CANARY_MARKER.length)) {
			const shown = all.slice(at, at + 80);
			const label =
				canaries.find(([value]) => shown.startsWith(value.slice(0, Math.min(value.length, 16))))?.[1] ??
				'a planted canary (marker found)';
			hits.add(`${surfaceAt(at)} → ${label}`);
		}
		for (const [value, label] of this.secrets) {
			if (value.includes(CANARY_MARKER)) continue;
			for (const piece of piecesOf(value)) {
				const at = all.indexOf(piece);
				if (at !== -1) hits.add(`${surfaceAt(at)} → ${label}`);
			}
		}
		return [...hits];
	}

	/** How much was scanned, for a test to prove the scanner was fed at all. */
	get surfaceCount(): number {
		return this.surfaces.length;
	}
}

// ---------------------------------------------------------------------------------------------
// Waiting

export interface Bounded<T> {
	settled: boolean;
	value?: T;
	elapsedMs: number;
}

/**
 * Waits for `work` at most `boundMs`. An unbounded run is reported (settled: false) instead of hanging
 * the test; the caller then ends it (closing the server destroys its sockets).
 */
export async function withinBound<T>(work: Promise<T>, boundMs: number): Promise<Bounded<T>> {
	const startedAt = Date.now();
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<'timeout'>((resolve) => {
		timer = setTimeout(() => resolve('timeout'), boundMs);
	});
	try {
		const winner = await Promise.race([work.then((value) => ({ value })), timeout]);
		if (winner === 'timeout') return { settled: false, elapsedMs: Date.now() - startedAt };
		return { settled: true, value: winner.value, elapsedMs: Date.now() - startedAt };
	} finally {
		clearTimeout(timer);
	}
}
