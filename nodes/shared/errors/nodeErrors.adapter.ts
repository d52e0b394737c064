/**
 * Turns whatever failed (the engine's TokenGuardError, n8n's reconnect error, a client-oauth2 AuthError,
 * an axios error wrapped in NodeApiError…) into the error an n8n user sees: a NodeApiError or
 * NodeOperationError whose message names the credential and whose description carries the §5.1
 * category, the action and concrete remediation steps. Everything is redacted with the credential's
 * secrets: the original error object (request config, headers, bodies) is never passed on. The verdict
 * and the texts come from classification.ts; this file only builds n8n's error classes around them.
 */
import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { NodeErrorContext } from './classification';
import { classifyForNode, errorDescriptionFor, errorMessageFor, failureFor } from './classification';
import type { Classification } from '../types';

/** Marks a node error with the verdict so error workflows and Token Health can read it without re-classifying. */
function annotate<T extends NodeApiError | NodeOperationError>(
	nodeError: T,
	classification: Classification,
	context: NodeErrorContext,
): T {
	nodeError.context.tokenGuard = {
		category: classification.category,
		action: classification.action,
		retryable: classification.retryable,
		severity: classification.severity,
		provider: classification.provider,
		...(classification.oauthError === undefined ? {} : { oauthError: classification.oauthError }),
		...(context.credential === undefined
			? {}
			: {
					credential: {
						type: context.credential.type,
						id: context.credential.id ?? null,
						name: context.credential.name ?? null,
					},
				}),
	};
	return nodeError;
}

/**
 * NodeApiError when an HTTP exchange failed (there is a status), NodeOperationError otherwise. The
 * message names the credential; the description carries category, action and remediation; nothing of
 * the original error object (which can hold request headers and bodies) is kept.
 */
export function toNodeError(
	node: INode,
	error: unknown,
	context: NodeErrorContext = {},
): NodeApiError | NodeOperationError {
	const classification = classifyForNode(error, context);
	const message = errorMessageFor(classification, error, context);
	const description = errorDescriptionFor(classification, error, context);
	const failure = failureFor(classification);
	const itemIndex = context.itemIndex;

	if (classification.httpCode !== undefined) {
		const response: JsonObject = {
			message,
			description,
			httpCode: String(classification.httpCode),
			category: classification.category,
		};
		const nodeError = new NodeApiError(node, response, {
			message,
			description,
			httpCode: String(classification.httpCode),
			...(itemIndex === undefined ? {} : { itemIndex }),
			...(failure === undefined ? {} : { failure }),
		});
		return annotate(nodeError, classification, context);
	}
	const nodeError = new NodeOperationError(node, message, {
		description,
		...(itemIndex === undefined ? {} : { itemIndex }),
		...(failure === undefined ? {} : { failure }),
	});
	return annotate(nodeError, classification, context);
}
