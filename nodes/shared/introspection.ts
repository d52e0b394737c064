/**
 * RFC 7662 token introspection, pure: the request (authenticated like the token request) and the
 * reading of its answer. Introspecting the refresh token shows a revoked grant without spending it.
 */
import { parseJsonBody } from './expirySignal';
import type { OAuthClient, TokenRequest } from './refreshGrant';
import { authenticateClient } from './refreshGrant';
import type { HttpResponseLike, Result } from './types';
import { err, ok } from './types';

export type IntrospectedTokenKind = 'refresh_token' | 'access_token';

export interface IntrospectionResult {
	active: boolean;
	scope?: string;
}

export function buildIntrospectionRequest(
	url: string,
	token: string,
	tokenKind: IntrospectedTokenKind,
	client: OAuthClient,
): TokenRequest {
	const params = new URLSearchParams({ token, token_type_hint: tokenKind });
	const headers: Record<string, string> = {
		'Content-Type': 'application/x-www-form-urlencoded',
		Accept: 'application/json',
	};
	authenticateClient(client, params, headers);
	return { method: 'POST', url, headers, body: params.toString() };
}

/** A 2xx JSON answer with a boolean `active` (RFC 7662 §2.2); anything else is a failed introspection. */
export function parseIntrospectionResponse(response: HttpResponseLike): Result<IntrospectionResult, 'not_an_introspection_answer'> {
	const body = parseJsonBody(response.body);
	const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
	const answer = isObject ? (body as Record<string, unknown>) : undefined;
	if (response.status < 200 || response.status >= 300 || typeof answer?.active !== 'boolean') {
		return err('not_an_introspection_answer');
	}
	return ok({ active: answer.active, ...(typeof answer.scope === 'string' ? { scope: answer.scope } : {}) });
}
