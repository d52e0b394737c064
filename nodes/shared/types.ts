/**
 * Types shared by every part of the token engine. They are the contracts of docs/ARCHITECTURE.md#taxonomy:
 * the diagnosis taxonomy (§5.1), the event envelope (§5.2) and fingerprints instead of secrets (§5.3).
 * Nothing in nodes/shared/ reaches into an n8n execution context except the files named `*.adapter.ts`.
 */

/** The categories of docs/ARCHITECTURE.md#taxonomy. */
export type Category =
	| 'refresh_token_invalid'
	| 'refresh_token_missing'
	| 'not_connected'
	| 'consent_required'
	| 'scope_insufficient'
	| 'client_misconfigured'
	| 'access_token_rejected'
	| 'clock_skew'
	| 'rate_limited'
	| 'provider_unavailable'
	| 'model_api_key'
	| 'not_auth_related';

export type Action =
	'reconnect' | 'add_scopes' | 'fix_client' | 'force_refresh' | 'sync_clock' | 'retry_later' | 'check_api_key' | 'none';

export type Severity = 'info' | 'warning' | 'critical';

export type Provider =
	| 'google'
	| 'microsoft'
	| 'box'
	| 'xero'
	| 'atlassian'
	| 'salesforce'
	| 'hubspot'
	| 'zoho'
	| 'github'
	| 'slack'
	| 'dropbox'
	| 'quickbooks'
	| 'zoom'
	| 'openai'
	| 'anthropic'
	| 'linkedin'
	| 'notion'
	| 'shopify'
	| 'pipedrive'
	| 'zendesk'
	| 'calendly'
	| 'spotify'
	| 'goto'
	| 'airtable'
	| 'exactonline'
	| 'supabase'
	| 'stripe'
	| 'mistral'
	| 'groq'
	| 'xai'
	| 'unknown';

/** A typed result: pure engine functions return these instead of throwing. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** What the classifier concluded about one failure. Every text field is already redacted. */
export interface Classification {
	category: Category;
	action: Action;
	retryable: boolean;
	severity: Severity;
	provider: Provider;
	/** RFC 6749 §5.2 / RFC 6750 `error` code (or provider equivalent) when one was found. */
	oauthError?: string;
	/** HTTP status of the response that failed, when there was one. */
	httpCode?: number;
	/** One plain sentence naming the evidence that decided the category. */
	reason: string;
	/** The deciding fact as `kind: value` (`oauthError: invalid_grant`, `credentialType: supabaseApi is not OAuth`). */
	matched?: string;
	/** True when the evidence placed the failure at a token endpoint (a refresh or token fetch), not at the API. */
	atTokenEndpoint?: boolean;
}

/** Headers as n8n's helpers return them (axios lower-cases names; values may be arrays). */
export type HttpHeaders = Record<string, string | string[] | number | undefined>;

/** A raw HTTP exchange, as far as the engine needs to see it. */
export interface HttpResponseLike {
	status: number;
	headers?: HttpHeaders;
	/** Raw text, a Buffer, or an already parsed JSON value. */
	body?: unknown;
}
