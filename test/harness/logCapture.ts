/**
 * Captures every log line n8n would write during a harness run, so tests can grep them for
 * canary secrets. n8n has two entry points and both are covered: `LoggerProxy` (n8n-workflow,
 * used by the engine) and the DI `Logger` (@n8n/backend-common, what `this.logger` is inside
 * a node and inside n8n-core's refresh code). Constructing the real DI Logger would re-point
 * LoggerProxy at winston, so the capturing logger is registered in its place.
 */
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { LoggerProxy } from 'n8n-workflow';
import type { LogMetadata } from 'n8n-workflow';

export type CapturedLogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface CapturedLogLine {
	level: CapturedLogLevel;
	message: string;
	metadata: LogMetadata | undefined;
	/** Message plus serialised metadata (errors expanded with message and stack): grep this. */
	text: string;
}

const lines: CapturedLogLine[] = [];

function serialise(value: unknown): string {
	return JSON.stringify(value, (_key, inner: unknown) =>
		inner instanceof Error ? { ...inner, name: inner.name, message: inner.message, stack: inner.stack } : inner,
	);
}

function capture(level: CapturedLogLevel) {
	return (message: string, metadata?: LogMetadata): void => {
		const text = metadata === undefined ? message : `${message} ${serialise(metadata)}`;
		lines.push({ level, message, metadata, text });
	};
}

const capturingLogger = {
	error: capture('error'),
	warn: capture('warn'),
	info: capture('info'),
	debug: capture('debug'),
	scoped() {
		return capturingLogger;
	},
};

/** Idempotent; runNode calls it before every execution. */
export function installLogCapture(): void {
	Container.set(Logger, capturingLogger as unknown as Logger);
	LoggerProxy.init(capturingLogger);
}

/** All lines captured since the last clear, oldest first. */
export function capturedLogs(): CapturedLogLine[] {
	return [...lines];
}

export function clearCapturedLogs(): void {
	lines.length = 0;
}

/** Lines captured from index `from` on (runNode uses it to slice one run's lines). */
export function capturedLogsSince(from: number): CapturedLogLine[] {
	return lines.slice(from);
}

export function capturedLogCount(): number {
	return lines.length;
}
