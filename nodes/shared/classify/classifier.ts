/**
 * The one decision function of the token engine: any failure evidence (an n8n error, a raw token
 * endpoint answer, an API response, a network error) → a docs/ARCHITECTURE.md#taxonomy category.
 *
 * Order of trust: structured signals first (Microsoft AADSTS codes, n8n's `failure.cause`, RFC 6749 /
 * 6750 `error` codes and provider codes), then known provider and n8n texts, then the HTTP status and
 * where it came from. Provider prose is used to refine, never as the only source when a code exists.
 *
 * The `reason` is assembled only from fixed phrases, validated codes and numbers — never from the
 * evidence text itself — so no token or secret in the evidence can reach it.
 *
 * The parts live beside it: code tables in codes.ts, known texts in signatures.ts, evidence gathering in
 * evidence.ts and the ordered rules in rules.ts; this file holds the entry points.
 */
import { redactText } from '../security/redact';
import { classificationFor } from './taxonomy';
import type { Classification, HttpResponseLike } from '../types';
import { readHeaderValues } from '../errors/facts';
import { safeCode } from './codes';
import type { ErrorEvidence, Facts } from './evidence';
import { gatherFacts, MAX_TEXT_LENGTH } from './evidence';
import type { Verdict } from './rules';
import { RULES, sentence, withCredentialKind } from './rules';

export type { ErrorEvidence } from './evidence';

/** A token-endpoint failure as refreshGrant.ts reports it (kinds: oauth_error, html_body, non_json_body,
 * missing_access_token, http_error, network). Structural, so any reporter with these fields fits. */
export interface TokenEndpointFailureLike {
	kind: string;
	status?: number;
	oauthError?: string;
	errorDescription?: string;
	contentType?: string;
	bodySnippet?: string;
	code?: string;
}

function build(facts: Facts, verdict: Verdict): Classification {
	// Reasons are built from fixed phrases; redaction is the last guard should one ever quote evidence.
	const classification = classificationFor(
		verdict.category,
		facts.provider,
		redactText(sentence(verdict.reason)),
		facts.status,
	);
	const oauthError = safeCode(verdict.code) ?? safeCode(facts.primaryCodes[0]);
	if (oauthError !== undefined) classification.oauthError = oauthError;
	if (facts.atTokenEndpoint) classification.atTokenEndpoint = true;
	classification.matched = redactText(verdict.matched);
	return classification;
}

/** Classifies one failure. Every other entry point builds evidence and calls this. */
export function classify(evidence: ErrorEvidence): Classification {
	const facts = gatherFacts(evidence);
	for (const rule of RULES) {
		const verdict = rule(facts);
		if (verdict) return build(facts, withCredentialKind(facts, verdict));
	}
	const status = facts.status === undefined ? '' : ` (HTTP ${facts.status})`;
	return build(facts, {
		category: 'not_auth_related',
		reason: `No authentication, throttling or availability signal was found in the error${status}`,
		matched: 'nothing: no code, known text or telling status',
	});
}

// ---------------------------------------------------------------------------------------------
// Builders

/** A failed refresh/token request, as the token-endpoint client reports it. */
export function classifyTokenEndpointFailure(failure: TokenEndpointFailureLike, tokenUrl: string): Classification {
	const evidence: ErrorEvidence = {
		status: failure.status,
		oauthError: failure.oauthError,
		errorDescription: failure.errorDescription,
		body: failure.bodySnippet,
		url: tokenUrl,
		phase: 'token_endpoint',
		networkCode: failure.kind === 'network' ? failure.code : undefined,
	};
	if (failure.kind === 'html_body' || failure.kind === 'non_json_body') {
		// Same wording n8n uses, so both paths meet the same rule.
		evidence.messages = [
			`Expected JSON response from OAuth2 token endpoint (content-type: ${failure.contentType ?? 'none'})`,
		];
	} else if (failure.kind === 'network' && failure.code === undefined) {
		evidence.messages = ['The connection to the token endpoint timed out'];
	}
	return classify(evidence);
}

/** An error-shaped 2xx body: Slack's `{ ok: false, error }`, GitHub's `{ error }`, Marketo-style `{ errors }`. */
function isErrorBody(body: unknown): boolean {
	if (typeof body === 'string') return /"ok"\s*:\s*false|"error"\s*:/.test(body.slice(0, MAX_TEXT_LENGTH));
	if (body === null || typeof body !== 'object' || body instanceof Uint8Array) return false;
	const record = body as Record<string, unknown>;
	return record.ok === false || (record.error !== undefined && record.error !== null && record.error !== '');
}

/** A response from a protected API (401 with or without WWW-Authenticate, 403 scopes, 429, 5xx, Slack 200 ok:false). */
export function classifyApiResponse(response: HttpResponseLike, url?: string): Classification {
	const succeeded = response.status >= 200 && response.status < 300;
	if (succeeded && !isErrorBody(response.body)) {
		return build(gatherFacts({ status: response.status, url, phase: 'api' }), {
			category: 'not_auth_related',
			reason: `The API answered HTTP ${response.status} without an error`,
			matched: `httpCode: ${response.status}`,
		});
	}
	return classify({
		status: response.status,
		wwwAuthenticate: readHeaderValues(response.headers, 'www-authenticate'),
		body: response.body,
		url,
		phase: 'api',
	});
}
