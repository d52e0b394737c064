/**
 * Where Token Guard events go (docs/ARCHITECTURE.md#events): n8n's logger always, and — when the user turns it on —
 * the `tokenGuardWebhookApi` sink, signed per Standard Webhooks by that credential's `authenticate`.
 * A failing sink never fails the workflow unless the user asks for it; the caller puts the returned
 * delivery status on the item.
 */
import type { ICredentialDataDecryptedObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { BUILT_IN_WEBHOOK_CREDENTIAL_TYPE, WEBHOOK_CREDENTIAL_TYPE } from '../credentialCatalog';
import { DEFAULT_DELIVERY_TIMEOUT_MS, EVENT_DELIVERY_PARAMETER, SEND_EVENTS_PARAMETER } from './eventSinkProperties';
import { credentialEndpointBoundary } from '../security/domainRestriction.adapter';
import type { BoundaryOptions } from '../security/domainRestriction.adapter';
import type { CloudEvent, TokenGuardEventData, TokenGuardEventType } from './events';
import { buildCloudEvent } from './events';
import { redactText } from '../security/redact';
import { collectSecrets } from '../security/secretCollection';
import type { AttemptFailure, RetryPolicy } from '../http/retry';
import { decideRetry } from '../http/retry';
import { withoutTrailingSlashes } from '../security/urls';
import { networkCodeOf } from '../errors/facts';
import { checkWebhookCredential } from './webhookSignature';

/**
 * Small caps: an alert that cannot be delivered within a few seconds should not hold up the workflow
 * (the event is still on the item and in the log). Retries keep the same webhook-id, so a receiver that
 * did get an earlier attempt can drop the duplicate.
 */
export const DELIVERY_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
	maxAttempts: 3,
	maxTotalWaitMs: 3000,
	baseDelayMs: 250,
	maxDelayMs: 1500,
});

export interface EventContext {
	instanceBaseUrl: string;
	workflow: { id?: string; name?: string };
	execution: { id?: string; mode?: string };
	node: { name: string; type: string };
}

const FALLBACK_INSTANCE_BASE_URL = 'http://localhost:5678';

function validBaseUrl(value: unknown): string {
	if (typeof value !== 'string' || value.trim() === '') return FALLBACK_INSTANCE_BASE_URL;
	try {
		return new URL(value).host === '' ? FALLBACK_INSTANCE_BASE_URL : withoutTrailingSlashes(value);
	} catch {
		return FALLBACK_INSTANCE_BASE_URL;
	}
}

/** The running workflow, execution and node, as events and diagnoses name them. */
export function eventContext(ctx: IExecuteFunctions): EventContext {
	const workflow = ctx.getWorkflow();
	const node = ctx.getNode();
	const executionId = ctx.getExecutionId();
	return {
		instanceBaseUrl: validBaseUrl(ctx.getInstanceBaseUrl()),
		workflow: { id: workflow.id, name: workflow.name },
		execution: { id: executionId === '' ? undefined : executionId, mode: ctx.getMode?.() },
		node: { name: node.name, type: node.type },
	};
}

/** `${base}/workflow/<id>/executions/<id>`, the link n8n itself puts in error workflow payloads. */
export function executionUrl(instanceBaseUrl: string, workflowId?: string, executionId?: string): string | undefined {
	if (!workflowId || !executionId) return undefined;
	return `${instanceBaseUrl}/workflow/${encodeURIComponent(workflowId)}/executions/${encodeURIComponent(executionId)}`;
}

export interface Delivery {
	status: 'delivered' | 'failed' | 'skipped' | 'suppressed';
	httpCode?: number;
	attempts: number;
	error?: string;
}

export interface EmitOptions {
	itemIndex: number;
	/** A duplicate inside the alert cooldown: built and logged at debug level, never sent. */
	suppress?: boolean;
	/** Known secrets to redact on top of the pattern-based redaction every event gets. */
	secrets?: Iterable<string>;
	/** A stable id (an alert episode's); otherwise a random one. */
	eventId?: string;
}

interface DeliverySettings {
	failOnDeliveryError: boolean;
	timeoutMs: number;
}

function deliverySettings(ctx: IExecuteFunctions, itemIndex: number): DeliverySettings {
	const raw = ctx.getNodeParameter(EVENT_DELIVERY_PARAMETER, itemIndex, {}) as {
		failOnDeliveryError?: unknown;
		timeout?: unknown;
	};
	const timeout =
		typeof raw.timeout === 'number' && Number.isFinite(raw.timeout) && raw.timeout > 0
			? raw.timeout
			: DEFAULT_DELIVERY_TIMEOUT_MS;
	return { failOnDeliveryError: raw.failOnDeliveryError === true, timeoutMs: Math.round(timeout) };
}

/** Success-type events log at info; everything else is something a person should look at. */
function isGoodNews(type: TokenGuardEventType, data: TokenGuardEventData): boolean {
	if (type === 'refresh.succeeded' || type === 'refresh.recovered') return true;
	return type === 'health.checked' && data.severity === 'info';
}

interface FullResponse {
	statusCode?: number;
	headers?: Record<string, string | string[] | undefined>;
}

function messageOf(error: unknown): string {
	if (error instanceof Error) return error.message;
	return typeof error === 'string' ? error : 'Unknown delivery error';
}

/** The receiver as the Webhook credential describes it, checked before anything is sent. */
interface Sink {
	type: string;
	credentials: ICredentialDataDecryptedObject;
	url: string;
	/** Everything delivery errors must never echo. */
	secrets: string[];
	boundary: BoundaryOptions;
}

/** Reads and checks the Webhook credential; a problem comes back as a failed Delivery (no attempt made). */
/**
 * The webhook credential type of this node: the core package's, or the companion's (same fields, its own name so
 * both packages install side by side). The node's selected credentials say which one it carries.
 */
function webhookCredentialType(ctx: IExecuteFunctions): string {
	const selected = ctx.getNode().credentials ?? {};
	return Object.prototype.hasOwnProperty.call(selected, BUILT_IN_WEBHOOK_CREDENTIAL_TYPE)
		? BUILT_IN_WEBHOOK_CREDENTIAL_TYPE
		: WEBHOOK_CREDENTIAL_TYPE;
}

async function readSink(ctx: IExecuteFunctions, itemIndex: number): Promise<Sink | Delivery> {
	let credentials: ICredentialDataDecryptedObject;
	const type = webhookCredentialType(ctx);
	try {
		credentials = await ctx.getCredentials(type, itemIndex);
	} catch (error) {
		return {
			status: 'failed',
			attempts: 0,
			error: `No Token Guard Webhook credential could be read: ${redactText(messageOf(error))}`,
		};
	}
	const url = typeof credentials.url === 'string' ? credentials.url.trim() : '';
	// Receiver URLs often embed their own secret (Slack and Teams hooks): never echo one.
	const secrets = [...collectSecrets(credentials), ...(url === '' ? [] : [url])];
	if (url === '')
		return { status: 'failed', attempts: 0, error: 'The Token Guard Webhook credential has no Webhook URL' };
	// A secret or header the credential cannot sign with is a setting to fix, not something a retry changes.
	const signing = checkWebhookCredential(credentials);
	if (!signing.ok) return { status: 'failed', attempts: 0, error: redactText(signing.error, secrets) };

	// The Webhook URL is an endpoint the credential declares: its Allowed HTTP Request Domains apply, and
	// no redirect is followed (a 307 would re-send the signed body and custom headers elsewhere).
	try {
		return { type, credentials, url, secrets, boundary: credentialEndpointBoundary(credentials, url, ctx.getNode()) };
	} catch (error) {
		return { status: 'failed', attempts: 0, error: redactText(messageOf(error), secrets) };
	}
}

function deliveryRequest(event: CloudEvent, sink: Sink, settings: DeliverySettings): IHttpRequestOptions {
	return {
		method: 'POST',
		url: sink.url,
		// Sent as the exact string the credential signs; the event id doubles as the webhook-id so retries share it.
		body: JSON.stringify(event),
		headers: { 'content-type': 'application/json', 'webhook-id': event.id },
		json: false,
		timeout: settings.timeoutMs,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		disableFollowRedirect: true,
		...sink.boundary,
	};
}

/** One POST: the Delivery when the receiver took it, otherwise the failure for the retry decision. */
async function attemptDelivery(
	ctx: IExecuteFunctions,
	request: IHttpRequestOptions,
	sink: Sink,
	attempt: number,
): Promise<Delivery | AttemptFailure> {
	try {
		const response = (await ctx.helpers.httpRequestWithAuthentication.call(
			ctx,
			sink.type,
			{ ...request },
			{
				credentialsDecrypted: { id: '', name: '', type: sink.type, data: sink.credentials },
			},
		)) as FullResponse;
		const status = typeof response?.statusCode === 'number' ? response.statusCode : 0;
		if (status >= 200 && status < 300) return { status: 'delivered', httpCode: status, attempts: attempt };
		const answered =
			status >= 300 && status < 400
				? `The receiver answered HTTP ${status}, a redirect, which Token Guard does not follow for the webhook: put the final address in the Webhook URL`
				: `The receiver answered HTTP ${status}`;
		return { kind: 'failure', status, retryAfter: response?.headers?.['retry-after'], error: answered };
	} catch (error) {
		return { kind: 'failure', networkCode: networkCodeOf(error), error };
	}
}

/** POSTs the signed event with bounded retries. Never throws: failures come back as a Delivery. */
async function deliver(
	ctx: IExecuteFunctions,
	event: CloudEvent,
	settings: DeliverySettings,
	itemIndex: number,
): Promise<Delivery> {
	const sink = await readSink(ctx, itemIndex);
	if ('status' in sink) return sink;
	const request = deliveryRequest(event, sink, settings);
	let waitedMs = 0;
	for (let attempt = 1; ; attempt++) {
		const outcome = await attemptDelivery(ctx, request, sink, attempt);
		if (!('kind' in outcome)) return outcome;
		const failure = outcome;
		const decision = decideRetry({
			outcome: failure,
			attempt,
			waitedMs,
			policy: DELIVERY_RETRY_POLICY,
			nowMs: Date.now(),
			random: Math.random,
		});
		if (!decision.retry) {
			const delivery: Delivery = {
				status: 'failed',
				attempts: attempt,
				error: redactText(messageOf(failure.error), sink.secrets),
			};
			if (failure.status) delivery.httpCode = failure.status;
			return delivery;
		}
		await sleep(decision.delayMs);
		waitedMs += decision.delayMs;
	}
}

function logLine(type: TokenGuardEventType, event: CloudEvent, delivery: Delivery): string {
	const data = event.data;
	const credential = data.credential.name
		? ` credential "${data.credential.name}"`
		: data.credential.type
			? ` credential type ${data.credential.type}`
			: '';
	const category = data.category ? ` category=${data.category}` : '';
	return `Token Guard ${type}:${credential} provider=${data.provider}${category} severity=${data.severity} delivery=${delivery.status}`;
}

/**
 * Builds one CloudEvent, delivers it when "Send Events to Webhook" is on, and logs one redacted line.
 * Throws only when the user set "Fail on Delivery Error" and delivery failed, or when the event data
 * itself is invalid (a programming error).
 */
export async function emitEvent(
	ctx: IExecuteFunctions,
	type: TokenGuardEventType,
	data: TokenGuardEventData,
	options: EmitOptions,
): Promise<{ event: CloudEvent; delivery: Delivery }> {
	const context = eventContext(ctx);
	const workflow = data.workflow ?? context.workflow;
	const event = buildCloudEvent({
		...(options.eventId === undefined ? {} : { id: options.eventId }),
		type,
		instanceBaseUrl: context.instanceBaseUrl,
		workflowId: workflow.id,
		data: {
			...data,
			workflow,
			execution: data.execution ?? {
				...context.execution,
				url: executionUrl(context.instanceBaseUrl, context.workflow.id, context.execution.id),
			},
			node: data.node ?? context.node,
		},
		secrets: options.secrets,
	});

	const sendEvents = ctx.getNodeParameter(SEND_EVENTS_PARAMETER, options.itemIndex, false) === true;
	let delivery: Delivery;
	let settings: DeliverySettings | undefined;
	if (options.suppress) delivery = { status: 'suppressed', attempts: 0 };
	else if (!sendEvents) delivery = { status: 'skipped', attempts: 0 };
	else {
		settings = deliverySettings(ctx, options.itemIndex);
		delivery = await deliver(ctx, event, settings, options.itemIndex);
	}

	const line = redactText(logLine(type, event, delivery), options.secrets ?? []);
	const metadata = {
		eventId: event.id,
		eventType: event.type,
		workflowId: workflow.id,
		executionId: context.execution.id,
		delivery,
	};
	if (options.suppress) ctx.logger.debug(line, metadata);
	else if (isGoodNews(type, event.data)) ctx.logger.info(line, metadata);
	else ctx.logger.warn(line, metadata);

	if (delivery.status === 'failed' && settings?.failOnDeliveryError)
		throw deliveryFailure(ctx, type, delivery, options.itemIndex);
	return { event, delivery };
}

/** Errors that are about the event webhook, not about the credential or the API. */
const deliveryFailures = new WeakSet<Error>();

/**
 * Whether an error is "Fail on Delivery Error" stopping the node: the webhook could not be reached. The
 * work the event reports on (a refresh, a diagnosis) is done; callers must not report it as failed.
 */
export function isDeliveryFailure(error: unknown): boolean {
	return error instanceof Error && deliveryFailures.has(error);
}

function deliveryFailure(
	ctx: IExecuteFunctions,
	type: TokenGuardEventType,
	delivery: Delivery,
	itemIndex: number,
): NodeOperationError {
	const attempts = delivery.attempts === 1 ? '1 attempt' : `${delivery.attempts} attempts`;
	const answered = delivery.httpCode === undefined ? '' : ` (HTTP ${delivery.httpCode})`;
	// Nothing was sent: the credential's own settings stopped the delivery before any attempt.
	const notSent = delivery.attempts === 0;
	const error = new NodeOperationError(
		ctx.getNode(),
		notSent
			? `Could not deliver the ${type} event to the Token Guard webhook, nothing was sent: ${delivery.error ?? 'unknown error'}`
			: `Could not deliver the ${type} event to the Token Guard webhook after ${attempts}${answered}: ${delivery.error ?? 'unknown error'}`,
		{
			itemIndex,
			description: [
				notSent
					? `The Token Guard Webhook credential stopped the delivery; what the ${type} event reports happened all the same and is in n8n's log.`
					: `The webhook sink could not be reached; what the ${type} event reports happened all the same and is in n8n's log.`,
				notSent
					? 'Fix the setting the message names in the Token Guard Webhook credential (Webhook URL, Signing Secret, Secret Format, Headers or Allowed HTTP Request Domains).'
					: 'Check the Webhook URL in the Token Guard Webhook credential, that the receiver is running and reachable from n8n, and that it answers with a 2xx status within the delivery Timeout.',
				'Turn off "Fail on Delivery Error" to report delivery failures on the item instead of failing the node.',
			].join('\n'),
		},
	);
	deliveryFailures.add(error);
	return error;
}
