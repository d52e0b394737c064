import type { Action, Category, Classification, Provider, Severity } from '../types';

/** The fixed part of each docs/ARCHITECTURE.md#taxonomy category: what to do, whether waiting helps, how loud to be. */
export interface CategoryTraits {
	action: Action;
	retryable: boolean;
	severity: Severity;
	isOAuthIssue: boolean;
}

export const CATEGORY_TRAITS: Readonly<Record<Category, CategoryTraits>> = {
	refresh_token_invalid: { action: 'reconnect', retryable: false, severity: 'critical', isOAuthIssue: true },
	refresh_token_missing: { action: 'reconnect', retryable: false, severity: 'critical', isOAuthIssue: true },
	not_connected: { action: 'reconnect', retryable: false, severity: 'critical', isOAuthIssue: true },
	consent_required: { action: 'reconnect', retryable: false, severity: 'critical', isOAuthIssue: true },
	scope_insufficient: { action: 'add_scopes', retryable: false, severity: 'critical', isOAuthIssue: true },
	client_misconfigured: { action: 'fix_client', retryable: false, severity: 'critical', isOAuthIssue: true },
	access_token_rejected: { action: 'force_refresh', retryable: true, severity: 'warning', isOAuthIssue: true },
	clock_skew: { action: 'sync_clock', retryable: false, severity: 'warning', isOAuthIssue: true },
	rate_limited: { action: 'retry_later', retryable: true, severity: 'warning', isOAuthIssue: false },
	provider_unavailable: { action: 'retry_later', retryable: true, severity: 'warning', isOAuthIssue: false },
	model_api_key: { action: 'check_api_key', retryable: false, severity: 'critical', isOAuthIssue: false },
	not_auth_related: { action: 'none', retryable: false, severity: 'info', isOAuthIssue: false },
};

export const ALL_CATEGORIES = Object.keys(CATEGORY_TRAITS) as Category[];

/** A category's classification: its fixed traits with the provider and the reason (and status, when there was one). */
export function classificationFor(
	category: Category,
	provider: Provider,
	reason: string,
	httpCode?: number,
): Classification {
	const traits = CATEGORY_TRAITS[category];
	return {
		category,
		action: traits.action,
		retryable: traits.retryable,
		severity: traits.severity,
		provider,
		reason,
		...(httpCode === undefined ? {} : { httpCode }),
	};
}
