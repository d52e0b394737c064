/**
 * What to do about a diagnosis: concrete steps per category, with the provider's own rules first where
 * they explain the failure (Google Testing-mode 7-day tokens, Microsoft 90-day inactivity, rotating
 * refresh tokens at Box/Xero/Atlassian…). Used by Force Refresh errors and Token Health diagnoses.
 */
import { PROVIDER_LABELS } from '../classify/providers';
import type { Category, Classification, Provider } from '../types';

type StepsByCategory = Partial<Record<Category, readonly string[]>>;

/** The general reconnect step; a diagnosis with the credential's own reconnect link replaces it. */
export const RECONNECT_STEP =
	'Open the credential in n8n and click "Reconnect" (or "Connect my account"), then sign in and approve every requested permission.';

const GENERIC_STEPS: Readonly<Record<Category, readonly string[]>> = {
	refresh_token_invalid: [
		RECONNECT_STEP,
		'If it fails again soon after reconnecting, check that only one system refreshes this credential: with rotating refresh tokens, a second refresher using an old token makes the provider revoke the whole grant.',
		'Keep the credential in use (a scheduled Force Refresh) so inactivity limits do not expire the refresh token.',
	],
	refresh_token_missing: [
		'The provider did not return a refresh token when the credential was connected. Make sure the authorization request asks for offline access (for example an `offline_access` scope, or `access_type=offline`).',
		"Revoke the app's access in the account's security settings so the consent screen is shown again, then reconnect the credential.",
	],
	not_connected: [
		'Open the credential in n8n and click "Connect my account" to finish the OAuth sign-in; saving the client ID and secret alone does not connect it.',
		"Check that the OAuth redirect URL shown in the credential is registered in the provider's app settings.",
	],
	consent_required: [
		'Reconnect the credential and complete the sign-in interactively, including any multi-factor prompt.',
		'If the consent screen says an administrator must approve, ask an administrator to grant consent for the app, then reconnect.',
	],
	scope_insufficient: [
		"Add the missing scopes to the credential's scope list (or enable them in the provider's app settings).",
		'Reconnect the credential so the new scopes are granted; a refresh never adds scopes that were not consented.',
	],
	client_misconfigured: [
		"Check the client ID and client secret in the credential against the provider's app settings; create a new secret if it expired or was rotated.",
		'Check the token URL, the grant type and the client authentication method (header vs body) the provider expects.',
		'Check that the redirect URL registered with the provider matches the one n8n shows in the credential.',
	],
	access_token_rejected: [
		'Run Force Refresh on this credential to get a new access token, then retry the request.',
		'If the API keeps answering 401 right after a refresh, check that the request is signed with this credential and goes to the API the token was issued for (audience/resource).',
	],
	clock_skew: [
		"Synchronise the n8n host's clock with NTP: check `timedatectl status`, enable it with `timedatectl set-ntp true`, or run chrony/ntpd (`chronyc tracking`). In Docker, the container uses the host's clock.",
		'After the clock is correct, retry; no reconnect is needed.',
	],
	rate_limited: [
		'Wait and retry later; honour any Retry-After the provider sent.',
		'Reduce how often the workflow calls the API or refreshes the token (batch items, add a Wait node, lower the schedule frequency).',
	],
	provider_unavailable: [
		'Retry later; the provider or the network path to it failed, the credential itself is not at fault.',
		"If it persists, check the provider's status page, DNS and any proxy or firewall between n8n and the provider, and that the token URL is correct.",
	],
	model_api_key: [
		'Check the API key in the language-model credential (OpenAI, Gemini, Anthropic…) used by the model node: it is missing, mistyped, revoked or belongs to another project.',
		"Create a new key in the provider's console, paste it into that credential, and retry. Reconnecting OAuth credentials does not help here.",
	],
	not_auth_related: [
		"The failure is not about authentication; look at the failing node's error message and parameters.",
	],
};

const GOOGLE_REFRESH_STEPS = [
	'If the Google Cloud OAuth consent screen is in "Testing" with an External user type, refresh tokens expire after 7 days: publish the app to "In production", then reconnect (tokens issued while in Testing keep their 7-day limit).',
	'Google keeps at most 100 refresh tokens per Google account per OAuth client; connecting the same account more often silently revokes the oldest. Reuse one credential instead of reconnecting repeatedly.',
	'Changing the Google account password revokes refresh tokens that carry Gmail scopes, and a token unused for 6 months expires; the user can also remove the app under Google Account → Security → Third-party access.',
	'A Google Workspace session-control policy (invalid_rapt) can require re-authentication periodically; ask the Workspace admin about the reauthentication interval or exempt the app.',
];

const PROVIDER_STEPS: Readonly<Partial<Record<Provider, StepsByCategory>>> = {
	google: {
		refresh_token_invalid: GOOGLE_REFRESH_STEPS,
		refresh_token_missing: [
			'Google returns a refresh token only on the first consent. Reconnect with `access_type=offline&prompt=consent` in the authorization URL (the Token Guard Google credential sets both) so a new refresh token is issued.',
		],
		scope_insufficient: [
			'Enable the API in Google Cloud Console (APIs & Services → Library) and add its scope to the OAuth consent screen and to the credential, then reconnect.',
		],
		client_misconfigured: [
			'In Google Cloud Console → APIs & Services → Credentials, check that the OAuth client still exists and that its secret matches; a deleted or re-created client invalidates every refresh token it issued.',
		],
		rate_limited: [
			'Google quotas are per project and per user; check APIs & Services → Quotas and spread the calls out.',
		],
	},
	microsoft: {
		refresh_token_invalid: [
			'Microsoft refresh tokens expire after 90 days without use (AADSTS700082) and are revoked by a password reset or an admin revocation (AADSTS50173); reconnect the credential.',
			'Each refresh returns a new refresh token; make sure nothing else refreshes this credential with an older copy.',
		],
		consent_required: [
			'For AADSTS65001, an administrator grants consent in Entra ID → Enterprise applications → the app → Permissions → "Grant admin consent", then reconnect.',
			'For AADSTS50076/50079 (multi-factor authentication) or a Conditional Access block, reconnect interactively and complete MFA, or ask the tenant admin to adjust the Conditional Access policy for this app.',
		],
		client_misconfigured: [
			"In Entra ID → App registrations → the app → Certificates & secrets, check whether the client secret expired (AADSTS7000222) or was mistyped (AADSTS7000215); copy the secret's Value, not its ID.",
			'Check the tenant in the token URL (common, organizations or the tenant ID) matches how the app is registered.',
		],
		clock_skew: [
			'AADSTS700024 means the client assertion is outside its valid time range: fix the host clock before anything else.',
		],
	},
	box: {
		refresh_token_invalid: [
			'Box refresh tokens are single-use and expire after 60 days: only one process may refresh this credential. Use the n8n-managed OAuth2 credential (n8n serialises refreshes) and reconnect.',
		],
	},
	xero: {
		refresh_token_invalid: [
			'Xero rotates the refresh token on every refresh; an old one works only within a 30-minute grace window, and unused tokens expire after 60 days. Make sure only one process refreshes this credential, then reconnect.',
		],
	},
	atlassian: {
		refresh_token_invalid: [
			'Atlassian rotates refresh tokens with a 10-minute reuse window; reusing an older one outside it revokes the whole token family. Tokens also expire after 90 days unused and 365 days in total. Reconnect and keep a single refresher.',
		],
		access_token_rejected: [
			"The Atlassian API gateway may answer 403 or 404 for an expired access token; add those status codes to the credential's token-expired status codes.",
		],
	},
	salesforce: {
		refresh_token_invalid: [
			'Salesforce keeps only 5 approvals per user per connected app; a sixth connection of the same user revokes the oldest refresh token. Avoid connecting the same user in many places.',
			'Check the connected app\'s refresh token policy (Setup → Connected Apps → Manage → OAuth policies): "Expire if not used for…" or an idle timeout revokes unused tokens.',
		],
		access_token_rejected: [
			"INVALID_SESSION_ID means the session timed out or was revoked; Force Refresh gets a new access token. Salesforce does not send expires_in, so expiry follows the org's session timeout.",
		],
	},
	hubspot: {
		refresh_token_invalid: [
			'HubSpot refresh tokens do not expire but die when the app is uninstalled from the portal or access is revoked; reinstall the app by reconnecting the credential.',
		],
		scope_insufficient: [
			"HubSpot MISSING_SCOPES: add the scopes listed in the error to the app's auth settings and to the credential, then reconnect so the portal approves them.",
		],
	},
	zoho: {
		refresh_token_invalid: [
			"A Zoho user can hold at most 20 refresh tokens per client; older ones are deleted. Reconnect, and use the accounts server of the account's data centre (accounts.zoho.com, .eu, .in, .com.au, .jp…).",
		],
		rate_limited: [
			'Zoho allows only 10 access-token refreshes per refresh token every 10 minutes: wait 10 minutes, then retry, and avoid refreshing on every item.',
		],
		client_misconfigured: [
			'Zoho clients are registered per data centre: the token URL must be the accounts server of the region where the client was created (accounts.zoho.eu for EU, and so on).',
		],
	},
	dropbox: {
		refresh_token_missing: [
			'Dropbox issues a refresh token only when the authorization URL has `token_access_type=offline`; add it (the Token Guard Dropbox credential does) and reconnect.',
		],
		refresh_token_invalid: ['The Dropbox app was unlinked or access was revoked; reconnect the credential.'],
	},
	slack: {
		refresh_token_invalid: [
			'The Slack token was revoked or the app was uninstalled from the workspace (token_revoked, account_inactive); reinstall by reconnecting the credential.',
		],
		refresh_token_missing: [
			'Slack issues refresh tokens only when token rotation is enabled for the app (OAuth & Permissions → Advanced token security); without rotation, tokens never expire and need no refresh.',
		],
		scope_insufficient: [
			'Slack missing_scope: add the bot or user scope named in the error under OAuth & Permissions, then reinstall the app by reconnecting.',
		],
		access_token_rejected: [
			'Slack rotated tokens last 12 hours; Force Refresh gets a new one (token_expired, invalid_auth).',
		],
	},
	github: {
		refresh_token_invalid: [
			'GitHub App user refresh tokens are single-use and expire after 6 months; reconnect the credential, and make sure only one process refreshes it.',
		],
	},
	quickbooks: {
		refresh_token_invalid: [
			'QuickBooks refresh tokens can change on each refresh and expire after 100 days unused (5 years at most); always keep the newest one, then reconnect.',
		],
	},
	zoom: {
		refresh_token_invalid: [
			'Zoom rotates the refresh token on every refresh; make sure only one process refreshes it, then reconnect.',
		],
	},
	linkedin: {
		refresh_token_invalid: [
			'LinkedIn access tokens last 60 days; refresh tokens (365 days) exist only for apps LinkedIn approved for programmatic refresh. Without one, reconnect before the 60 days run out.',
		],
		access_token_rejected: [
			'LinkedIn answers an expired or revoked token with 401 (EXPIRED_ACCESS_TOKEN, REVOKED_ACCESS_TOKEN); a member who removes the app under Settings → Data privacy revokes it. Reconnect if a refresh does not help.',
		],
	},
	notion: {
		refresh_token_invalid: [
			'The Notion integration was removed from the workspace (Settings → Connections); reconnect and select the pages it may use.',
		],
	},
	shopify: {
		refresh_token_invalid: [
			'Shopify offline access tokens do not expire but die when the app is uninstalled from the store; reinstall it by reconnecting the credential.',
		],
	},
	spotify: {
		refresh_token_invalid: [
			'Spotify may return a new refresh token on a refresh; always keep the newest. The user can revoke access at spotify.com/account/apps; then reconnect.',
		],
	},
	pipedrive: {
		refresh_token_invalid: [
			'A Pipedrive refresh token expires after 60 days without use; reconnect, and keep the credential in use (a scheduled Force Refresh).',
		],
	},
	calendly: {
		scope_insufficient: [
			"Calendly OAuth apps must request the scopes an endpoint lists in 'required_scopes'; add them to the app and the credential, then reconnect.",
		],
	},
	openai: {
		model_api_key: [
			'Create a new key at platform.openai.com → API keys and check that it belongs to the organisation and project the model node uses.',
		],
		rate_limited: [
			'OpenAI rate and quota limits depend on the account tier; check usage and billing at platform.openai.com.',
		],
	},
	anthropic: {
		model_api_key: ['Create a new key in the Anthropic Console → API keys; it is sent as the x-api-key header.'],
	},
};

// Google model keys (Gemini) are a Google provider but an API-key problem; give the matching console.
const GOOGLE_MODEL_KEY_STEPS = [
	'For Gemini, create a key in Google AI Studio (aistudio.google.com → Get API key) and check the Generative Language API is enabled for its project.',
];

/** Concrete steps, provider-specific ones first. Never empty. */
/**
 * A person reads four steps: up to three of the provider's own first, then the general ones (whose first is
 * the category's main action, e.g. reconnect), each once.
 */
export const MAX_REMEDIATION_STEPS = 4;

export function remediationFor(category: Category, provider: Provider): string[] {
	const specific =
		provider === 'google' && category === 'model_api_key'
			? GOOGLE_MODEL_KEY_STEPS
			: (PROVIDER_STEPS[provider]?.[category] ?? []);
	const steps = new Set([...specific.slice(0, MAX_REMEDIATION_STEPS - 1), ...GENERIC_STEPS[category]]);
	return [...steps].slice(0, MAX_REMEDIATION_STEPS);
}

const SUMMARY_PREDICATES: Readonly<Record<Category, string>> = {
	refresh_token_invalid:
		'can no longer refresh its access token: the refresh token was revoked, expired or rotated away. Reconnect the credential.',
	refresh_token_missing:
		'has no refresh token stored, so its access token cannot be renewed. Reconnect the credential with offline access.',
	not_connected: 'was never connected to an account. Connect the credential.',
	consent_required: 'needs the user or an administrator to sign in again and grant consent. Reconnect the credential.',
	scope_insufficient: 'is connected, but its token lacks the permissions (scopes) this request needs.',
	client_misconfigured:
		'is misconfigured: the provider rejected its client ID, client secret, token URL or grant settings.',
	access_token_rejected: 'sent an access token the API refused; a fresh access token is needed.',
	clock_skew: "failed because this host's clock disagrees with the provider's clock.",
	rate_limited: 'is being throttled by the provider; waiting and retrying will help.',
	provider_unavailable:
		'could not get an answer from the provider (server error, timeout or network failure); the credential itself may be fine.',
	model_api_key: 'has an API key the language-model provider rejected; this is not an OAuth token problem.',
	not_auth_related: 'is not the cause: the failure is not related to authentication.',
};

/** One plain sentence: `The Google credential "Gmail account" can no longer refresh its access token: …`. */
export function summaryFor(classification: Classification, credentialName?: string): string {
	const provider = classification.provider === 'unknown' ? '' : `${PROVIDER_LABELS[classification.provider]} `;
	const name = credentialName?.trim() ? ` "${credentialName.trim().replace(/"/g, "'")}"` : '';
	return `The ${provider}credential${name} ${SUMMARY_PREDICATES[classification.category]}`;
}
