/**
 * Check Credential's per-topic findings that do not feed the report's fields: clock skew, the live
 * probes (Refresh Now, probe URL, introspection) and the provider advisories, plus the small helpers
 * that build findings. Pure; `assessHealth` in ./healthCheck orders and combines them.
 */
import { CLOCK_SKEW_NOISE_MS } from '../oauth/clock';
import { PROVIDER_LABELS } from '../classify/providers';
import { remediationFor } from './remediation';
import { CATEGORY_TRAITS } from '../classify/taxonomy';
import type { Category, Provider, Severity } from '../types';
import type { Finding, HealthInput } from './healthCheck';

/**
 * Skew beyond this makes token validation fail at servers with small tolerances (oidc-provider's
 * default is 15 s, many JWT libraries allow 0–60 s); smaller differences are reported only as a number.
 */
export const CLOCK_SKEW_FINDING_MS = 30_000;

/** A JWT `nbf`/`iat` this far in the future cannot be latency; the clocks disagree. */
const JWT_FUTURE_TOLERANCE_MS = 60_000;

/** Providers whose refresh tokens die of inactivity or age: what a scheduled keep-alive prevents. */
const PROVIDER_ADVISORIES: Readonly<Partial<Record<Provider, string>>> = {
	google:
		'Google: while the OAuth consent screen is in "Testing" (External), refresh tokens expire 7 days after consent; unused refresh tokens expire after 6 months, and each account keeps at most 100 per client.',
	microsoft:
		'Microsoft: refresh tokens expire after 90 days without use; a scheduled check with "Refresh Now" keeps them alive.',
	atlassian:
		'Atlassian: rotating refresh tokens expire after 90 days without use and 365 days after consent, whatever the use; reconnect before the year is up.',
	xero: 'Xero: refresh tokens expire after 60 days without use and rotate on every refresh (30-minute grace for the previous one).',
	box: 'Box: refresh tokens are single-use and expire after 60 days; only one process may refresh this credential.',
	quickbooks: 'QuickBooks: refresh tokens expire after 100 days without use and may change on each refresh.',
	salesforce:
		"Salesforce: token responses carry no expires_in; the access token lasts as long as the org's session timeout, so time left is unknown.",
	zoho: 'Zoho: at most 10 access-token refreshes per refresh token every 10 minutes; avoid refreshing per item.',
	dropbox: 'Dropbox: a refresh token is issued only when the authorization URL asks for token_access_type=offline.',
};

/** Granted scopes as a list: OAuth uses spaces, some providers commas; claims may be arrays. */
export function duration(ms: number): string {
	const seconds = Math.round(Math.abs(ms) / 1000);
	if (seconds < 120) return `${seconds} s`;
	const minutes = Math.round(seconds / 60);
	if (minutes < 120) return `${minutes} min`;
	const hours = Math.round(minutes / 60);
	return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

export function problem(
	code: string,
	category: Category,
	message: string,
	provider: Provider,
	severity: Severity = CATEGORY_TRAITS[category].severity,
): Finding {
	return { code, severity, message, remediation: remediationFor(category, provider)[0], category };
}

export function info(code: string, message: string, remediation = 'Nothing to do.'): Finding {
	return { code, severity: 'info', message, remediation };
}

/** Server-stamped expiries (a JWT's exp, a provider's absolute expires_at) are read on the server's clock. */
export function clockFindings(input: HealthInput, findings: Finding[]): void {
	const skew = input.clockSkewMs;
	if (skew !== null && Math.abs(skew) >= Math.max(CLOCK_SKEW_FINDING_MS, CLOCK_SKEW_NOISE_MS)) {
		const direction = skew > 0 ? 'behind' : 'ahead of';
		findings.push(
			problem(
				'clock_skew',
				'clock_skew',
				`This host's clock is ${duration(skew)} ${direction} the provider's (from its Date header).`,
				input.provider,
			),
		);
	}
	const claims = input.token.claims;
	const correctedNowMs = input.nowMs + (skew ?? 0);
	for (const claim of ['nbf', 'iat'] as const) {
		const value = claims?.[claim];
		if (typeof value === 'number' && value * 1000 - correctedNowMs > JWT_FUTURE_TOLERANCE_MS) {
			findings.push(
				problem(
					'jwt_not_yet_valid',
					'clock_skew',
					`The token's "${claim}" claim lies ${duration(value * 1000 - correctedNowMs)} in the future: the clocks of this host and the issuer disagree.`,
					input.provider,
				),
			);
			return;
		}
	}
}

/**
 * A manual credential whose provider rotates refresh tokens is safe in one n8n process (Token Guard serialises its
 * refreshes there) but not across queue-mode workers or alongside another system using the same refresh token:
 * n8n locks only its own OAuth2 refresh. Info, not a warning, because nothing here knows whether n8n runs in queue
 * mode; the editor shows it as a warning hint (MANUAL_ROTATION_CODE).
 */
export const MANUAL_ROTATION_CODE = 'manual_rotation_shared';
const MANUAL_ROTATION_FINDING: Finding = {
	code: MANUAL_ROTATION_CODE,
	severity: 'info',
	message:
		'This manual refresh-token credential talks to a provider that rotates refresh tokens. Where several processes refresh it at once (n8n queue-mode workers, or another system with the same refresh token), a provider with reuse detection revokes the grant: in the queue-mode test, 20 executions over 2 workers lost it.',
	remediation:
		'In queue mode, use a Connect-button credential (a Token Guard preset or the generic Token Guard OAuth2 API): n8n locks its refreshes across workers. In one n8n process this credential is safe.',
};

export function refreshFindings(input: HealthInput, findings: Finding[]): void {
	const refresh = input.refresh;
	if (!refresh) return;
	if (refresh.ok) {
		const rotated = refresh.refreshTokenRotated
			? ' The provider rotated the refresh token; n8n stored the new one.'
			: '';
		findings.push(
			info(
				'refresh_ok',
				`Refreshing the token worked (${refresh.attempts} attempt${refresh.attempts === 1 ? '' : 's'}, ${refresh.durationMs} ms).${rotated}`,
			),
		);
		if (refresh.refreshTokenRotated && input.family === 'manual') findings.push(MANUAL_ROTATION_FINDING);
		return;
	}
	const { classification } = refresh;
	findings.push(
		problem(
			'refresh_failed',
			classification.category,
			`Refreshing the token now failed. ${classification.reason}`,
			input.provider,
		),
	);
}

export function probeFindings(input: HealthInput, findings: Finding[], leftMs: number | null): void {
	const probe = input.probe;
	if (!probe) return;
	if (probe.kind === 'skipped') {
		findings.push(info('probe_skipped', `The probe URL was not called: ${probe.reason}`));
		return;
	}
	if (probe.kind === 'failed') {
		findings.push(
			problem(
				'probe_failed',
				probe.classification.category,
				`The probe request failed: ${probe.classification.reason}`,
				input.provider,
			),
		);
		return;
	}
	const { classification, status } = probe;
	if (classification.category === 'not_auth_related') {
		findings.push(
			info('probe_ok', `The probe URL answered HTTP ${status} to the stored access token (${probe.durationMs} ms).`),
		);
		return;
	}
	if (
		classification.category === 'access_token_rejected' &&
		leftMs !== null &&
		leftMs <= 0 &&
		input.token.refreshTokenPresent
	) {
		findings.push(
			info(
				'probe_token_expired',
				`The probe URL refused the stored access token (HTTP ${status}) because it has expired; n8n refreshes it on the next request.`,
				'Enable "Refresh Now" to probe with a fresh token.',
			),
		);
		return;
	}
	findings.push(
		problem(
			'probe_rejected',
			classification.category,
			`The probe URL refused the stored access token: ${classification.reason}`,
			input.provider,
		),
	);
}

export function introspectionFindings(input: HealthInput, findings: Finding[], leftMs: number | null): void {
	const introspection = input.introspection;
	if (!introspection) return;
	if (introspection.kind === 'skipped') {
		findings.push(info('introspection_skipped', `Token introspection was not called: ${introspection.reason}`));
		return;
	}
	if (introspection.kind === 'failed') {
		findings.push({
			code: 'introspection_failed',
			severity: 'warning',
			message: `Token introspection failed: ${introspection.classification.reason}`,
			remediation: 'Check the introspection endpoint URL and that this client may call it.',
			category: introspection.classification.category,
		});
		return;
	}
	const what = introspection.tokenKind === 'refresh_token' ? 'refresh token' : 'access token';
	if (introspection.active) {
		findings.push(info('introspection_active', `The authorization server reports the ${what} as active.`));
		return;
	}
	if (introspection.tokenKind === 'refresh_token') {
		findings.push(
			problem(
				'refresh_token_inactive',
				'refresh_token_invalid',
				'The authorization server reports the refresh token as inactive: it was revoked or expired.',
				input.provider,
			),
		);
	} else if (leftMs !== null && leftMs <= 0) {
		findings.push(
			info('access_token_inactive', 'The authorization server reports the access token as inactive; it has expired.'),
		);
	} else {
		findings.push(
			problem(
				'access_token_inactive',
				'access_token_rejected',
				'The authorization server reports the access token as inactive although it has not expired: it was revoked.',
				input.provider,
			),
		);
	}
}

export function advisoryFindings(input: HealthInput, findings: Finding[]): void {
	const advisory = PROVIDER_ADVISORIES[input.provider];
	if (advisory)
		findings.push(
			info(
				'provider_advisory',
				advisory,
				`See the ${PROVIDER_LABELS[input.provider]} notes in the Token Guard README.`,
			),
		);
}
