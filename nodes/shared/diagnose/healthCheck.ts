/**
 * Check Credential's verdict: the stored token's state and the results of the optional live probes →
 * `healthy | warning | critical` and a list of findings, each with one concrete remediation. Pure: the
 * caller reads the credential and runs the probes, and passes the time in.
 *
 * Routine expiry is not an alarm: an access token that expires soon or has expired while a refresh
 * token is stored is refreshed by n8n on the next request, so it is reported as information. It becomes
 * a warning or worse only when nothing can renew it.
 */
import { DateTime } from 'luxon';

import type { CredentialFamily } from '../credentialCatalog';
import type { ExpiryInfo } from '../oauth/expiry';
import { timeLeftMs } from '../oauth/expiry';
import type { JwtClaims } from '../oauth/jwt';
import type { Category, Classification, Provider, Severity } from '../types';
import {
	advisoryFindings,
	clockFindings,
	duration,
	info,
	introspectionFindings,
	probeFindings,
	problem,
	refreshFindings,
} from './healthFindings';

export { CLOCK_SKEW_FINDING_MS } from './healthFindings';

export type HealthStatus = 'healthy' | 'warning' | 'critical';

export interface Finding {
	code: string;
	severity: Severity;
	message: string;
	remediation: string;
	/** The §5.1 category the finding belongs to, when it is a problem. */
	category?: Category;
}

export interface TokenFacts {
	connected: boolean;
	refreshTokenPresent: boolean;
	expiry: ExpiryInfo;
	/** Granted scopes as the token response stored them (space or comma separated). */
	scope?: string;
	claims: JwtClaims | null;
}

export type RefreshProbe =
	| { ok: true; expiresAtMs: number | null; attempts: number; durationMs: number; refreshTokenRotated?: boolean }
	| { ok: false; classification: Classification };

/** A probe that could not run (nothing to send) says why instead of failing. */
export interface SkippedProbe {
	kind: 'skipped';
	reason: string;
}

export type UrlProbe =
	| { kind: 'answered'; status: number; classification: Classification; durationMs: number }
	| { kind: 'failed'; classification: Classification }
	| SkippedProbe;

export type IntrospectionProbe =
	| { kind: 'answered'; tokenKind: 'refresh_token' | 'access_token'; active: boolean; scope?: string }
	| { kind: 'failed'; classification: Classification }
	| SkippedProbe;

export interface HealthInput {
	nowMs: number;
	provider: Provider;
	/** How the credential refreshes: n8n serialises `connect` refreshes across workers, not `manual` ones. */
	family: CredentialFamily;
	token: TokenFacts;
	/** Expiring inside this margin is reported (and emits token.expiring). */
	marginMs: number;
	requiredScopes: string[];
	/** Server minus local clock, from a probe response's Date header; null when nothing was measured. */
	clockSkewMs: number | null;
	refresh?: RefreshProbe;
	probe?: UrlProbe;
	introspection?: IntrospectionProbe;
}

export interface HealthReport {
	status: HealthStatus;
	findings: Finding[];
	/** The category of the most severe problem, for alerting; undefined when healthy. */
	primaryCategory?: Category;
	expiresAt: string | null;
	expiresInSeconds: number | null;
	expirySource: ExpiryInfo['source'];
	expiring: boolean | 'unknown';
	grantedScopes: string[] | null;
	missingScopes: string[];
	clockSkewMs: number | null;
	jwt: (Pick<JwtClaims, 'exp' | 'iat' | 'nbf' | 'aud' | 'scp' | 'iss'> & { verified: false }) | null;
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { info: 0, warning: 1, critical: 2 };

export function parseScopes(value: unknown): string[] {
	const parts = Array.isArray(value)
		? value.filter((item): item is string => typeof item === 'string')
		: typeof value === 'string'
			? [value]
			: [];
	const scopes = parts.flatMap((part) => part.split(/[\s,]+/)).filter((scope) => scope !== '');
	return [...new Set(scopes)];
}

function grantedScopes(input: HealthInput): string[] | null {
	const sources: unknown[] = [
		input.token.scope,
		input.token.claims?.scp,
		input.token.claims?.scope,
		input.introspection?.kind === 'answered' ? input.introspection.scope : undefined,
	];
	for (const source of sources) {
		const scopes = parseScopes(source);
		if (scopes.length > 0) return scopes;
	}
	return null;
}

function iso(ms: number): string {
	return DateTime.fromMillis(ms, { zone: 'utc' }).toISO() ?? new Date(ms).toISOString();
}

function skewFor(expiry: ExpiryInfo, clockSkewMs: number | null): number {
	return clockSkewMs !== null && (expiry.source === 'jwt_exp' || expiry.source === 'expires_at') ? clockSkewMs : 0;
}

function connectionFindings(input: HealthInput, findings: Finding[]): void {
	const { token, provider } = input;
	if (!token.connected) {
		findings.push(
			problem(
				'not_connected',
				'not_connected',
				'The credential holds no access token and no refresh token: it was never connected.',
				provider,
			),
		);
		return;
	}
	if (token.refreshTokenPresent) {
		findings.push(info('refresh_token_present', 'A refresh token is stored, so the access token can be renewed.'));
		return;
	}
	const expiresKnown = token.expiry.expiresAtMs !== null;
	// Without an expiry, a token may be long-lived (Slack without rotation, some API tokens): say so, don't alarm.
	findings.push(
		problem(
			'refresh_token_missing',
			'refresh_token_missing',
			expiresKnown
				? 'No refresh token is stored: once the access token expires, requests fail until the credential is reconnected.'
				: "No refresh token is stored and the access token's lifetime is unknown: if it expires, requests fail until the credential is reconnected.",
			provider,
			expiresKnown ? 'critical' : 'warning',
		),
	);
}

/** After a successful "Refresh Now" the new expiry is the one that counts. */
function effectiveExpiry(input: HealthInput): ExpiryInfo {
	return input.refresh?.ok && input.refresh.expiresAtMs !== null
		? { expiresAtMs: input.refresh.expiresAtMs, source: 'n8n_expires_at' }
		: input.token.expiry;
}

function expiryFindings(
	input: HealthInput,
	findings: Finding[],
): { leftMs: number | null; expiring: boolean | 'unknown' } {
	const { token, provider, nowMs } = input;
	const expiry = effectiveExpiry(input);
	const leftMs = timeLeftMs(expiry, nowMs, skewFor(expiry, input.clockSkewMs));
	if (!token.connected) return { leftMs, expiring: 'unknown' };
	if (leftMs === null) {
		findings.push(
			info(
				'expiry_unknown',
				'When the access token expires is unknown: the provider sent no lifetime and the token is not a readable JWT.',
			),
		);
		return { leftMs, expiring: 'unknown' };
	}
	const canRenew = token.refreshTokenPresent && !(input.refresh && !input.refresh.ok);
	if (leftMs <= 0) {
		findings.push(
			canRenew
				? info(
						'token_expired',
						`The access token expired ${duration(leftMs)} ago; n8n refreshes it with the stored refresh token on the next request.`,
						'Nothing to do; enable "Refresh Now" to renew it ahead of use.',
					)
				: problem(
						'token_expired',
						'refresh_token_missing',
						`The access token expired ${duration(leftMs)} ago and cannot be renewed.`,
						provider,
						'critical',
					),
		);
		return { leftMs, expiring: true };
	}
	if (leftMs <= input.marginMs) {
		findings.push(
			canRenew
				? info(
						'token_expiring',
						`The access token expires in ${duration(leftMs)} (inside the ${duration(input.marginMs)} margin); n8n refreshes it on the next request.`,
						'Enable "Refresh Now" (or run Force Refresh) to renew it ahead of use.',
					)
				: problem(
						'token_expiring',
						'refresh_token_missing',
						`The access token expires in ${duration(leftMs)} and cannot be renewed.`,
						provider,
						'warning',
					),
		);
		return { leftMs, expiring: true };
	}
	findings.push(info('token_valid', `The access token is valid for ${duration(leftMs)} more.`));
	return { leftMs, expiring: false };
}

function scopeFindings(input: HealthInput, granted: string[] | null, findings: Finding[]): string[] {
	const required = [...new Set(input.requiredScopes.filter((scope) => scope !== ''))];
	if (required.length === 0) return [];
	if (granted === null) {
		findings.push({
			code: 'scopes_unknown',
			severity: 'warning',
			message: `The granted scopes are unknown (the token response did not list them), so the required scopes (${required.join(' ')}) cannot be checked.`,
			remediation:
				'Give an introspection endpoint so the check can ask the authorization server, or remove "Required Scopes".',
			category: 'scope_insufficient',
		});
		return [];
	}
	const missing = required.filter((scope) => !granted.includes(scope));
	if (missing.length > 0) {
		findings.push(
			problem(
				'scope_missing',
				'scope_insufficient',
				`The token lacks required scopes: ${missing.join(' ')}.`,
				input.provider,
			),
		);
	} else {
		findings.push(info('scopes_granted', `Every required scope is granted (${required.join(' ')}).`));
	}
	return missing;
}

function statusOf(findings: Finding[]): { status: HealthStatus; primaryCategory?: Category } {
	let worst: Finding | undefined;
	for (const finding of findings) {
		if (finding.severity === 'info') continue;
		if (worst === undefined || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[worst.severity]) worst = finding;
	}
	if (worst === undefined) return { status: 'healthy' };
	return { status: worst.severity === 'critical' ? 'critical' : 'warning', primaryCategory: worst.category };
}

/** The verdict of one Check Credential run. Findings are ordered: connection, expiry, scopes, clock, probes, advisory. */
export function assessHealth(input: HealthInput): HealthReport {
	const findings: Finding[] = [];
	connectionFindings(input, findings);
	const { leftMs, expiring } = expiryFindings(input, findings);
	const granted = grantedScopes(input);
	const missingScopes = scopeFindings(input, granted, findings);
	clockFindings(input, findings);
	refreshFindings(input, findings);
	probeFindings(input, findings, leftMs);
	introspectionFindings(input, findings, leftMs);
	advisoryFindings(input, findings);

	const claims = input.token.claims;
	const expiry = effectiveExpiry(input);
	return {
		...statusOf(findings),
		findings,
		expiresAt: expiry.expiresAtMs === null ? null : iso(expiry.expiresAtMs),
		expiresInSeconds: leftMs === null ? null : Math.round(leftMs / 1000),
		expirySource: expiry.source,
		expiring,
		grantedScopes: granted,
		missingScopes,
		clockSkewMs: input.clockSkewMs,
		jwt: claims
			? {
					exp: claims.exp,
					iat: claims.iat,
					nbf: claims.nbf,
					aud: claims.aud,
					scp: claims.scp,
					iss: claims.iss,
					verified: false,
				}
			: null,
	};
}
