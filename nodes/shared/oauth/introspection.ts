/**
 * RFC 7662 token introspection, pure: the request (authenticated like the token request) and the
 * reading of its answer. Introspecting the refresh token shows a revoked grant without spending it.
 */
import { parseJsonBody } from '../http/expirySignal';
import type { OAuthClient, TokenRequest } from './refreshGrant';
import { authenticateClient } from './refreshGrant';
import type { HttpResponseLike, Result } from '../types';
import { err, ok } from '../types';

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
export function parseIntrospectionResponse(
	response: HttpResponseLike,
): Result<IntrospectionResult, 'not_an_introspection_answer'> {
	const body = parseJsonBody(response.body);
	const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
	const answer = isObject ? (body as Record<string, unknown>) : undefined;
	if (response.status < 200 || response.status >= 300 || typeof answer?.active !== 'boolean') {
		return err('not_an_introspection_answer');
	}
	return ok({ active: answer.active, ...(typeof answer.scope === 'string' ? { scope: answer.scope } : {}) });
}

function originOf(url: string): string | undefined {
	try {
		const origin = new URL(url).origin;
		return origin === 'null' ? undefined : origin;
	} catch {
		return undefined;
	}
}

/**
 * Where an authorization server publishes its metadata, on the token URL's own origin: RFC 8414 first,
 * then OpenID Connect discovery. Empty when the token URL is not an absolute http(s) URL.
 */
export function metadataUrls(tokenUrl: string): string[] {
	const origin = originOf(tokenUrl);
	if (origin === undefined || !/^https?:/.test(origin)) return [];
	return [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`];
}

/**
 * The `introspection_endpoint` of a metadata document, accepted only on the token URL's origin: the
 * refresh token and client secret go where the credential already sends them, nowhere else.
 */
export function introspectionEndpointFromMetadata(metadata: unknown, tokenUrl: string): Result<string, string> {
	const document = parseJsonBody(metadata);
	const endpoint =
		typeof document === 'object' && document !== null
			? (document as Record<string, unknown>).introspection_endpoint
			: undefined;
	if (typeof endpoint !== 'string' || endpoint.trim() === '')
		return err('the authorization server publishes no introspection endpoint');
	const tokenOrigin = originOf(tokenUrl);
	if (tokenOrigin === undefined || originOf(endpoint.trim()) !== tokenOrigin) {
		return err(
			`the published introspection endpoint is not on the token URL's origin (${tokenOrigin ?? 'none'}), so it is not used`,
		);
	}
	return ok(endpoint.trim());
}
