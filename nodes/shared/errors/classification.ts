/**
 * The pure half of node errors: finding the engine's own error inside n8n's wrappers, gathering the
 * classifier's evidence from a thrown error's cause chain, and writing the message, the description and
 * n8n's `failure` declaration for a verdict. No n8n value is imported here, so refresh, HTTP and security
 * code can classify without pulling in NodeApiError; nodeErrors.adapter.ts builds the n8n error from this.
 */
import type { ErrorEvidence } from '../classify/classifier';
import { classify } from '../classify/classifier';
import type { CredentialTypeInfo } from '../credentialCatalog';
import { causeChain, httpStatusOfLink, isNetworkCode, messageOf } from './facts';
import { isTokenGuardError, TokenGuardError } from './errors';
import { redactedSnippet, redactText } from '../security/redact';
import { remediationFor, summaryFor } from '../diagnose/remediation';

import type { Classification } from '../types';

/** The credential an error is about; structurally the `SelectedCredential` of refresh/tokenState. */
export interface ErrorCredential {
	type: string;
	info?: Pick<CredentialTypeInfo, 'provider' | 'displayName'>;
	id?: string;
	name?: string;
}

export interface NodeErrorContext {
	credential?: ErrorCredential;
	itemIndex?: number;
	/** Known secrets (from the credential) to redact on top of the pattern-based redaction. */
	secrets?: string[];
}

/** n8n's `error.failure` (n8n-workflow 2.39+): why it failed, readable by error workflows without instanceof. */
export type FailureDeclaration =
	| { cause: 'credential-invalid' | 'configuration-invalid' }
	| { cause: 'rate-limited' | 'temporarily-unavailable'; retryAfterMs?: number };

/** The engine error inside an n8n wrapper: httpRequestWithAuthentication wraps a failed preAuthentication. */
export function findTokenGuardError(error: unknown): TokenGuardError | undefined {
	return causeChain(error).find(isTokenGuardError) as TokenGuardError | undefined;
}

const text = (value: unknown): string | undefined =>
	typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * What the classifier needs, gathered from every link of the chain: messages and descriptions,
 * the first HTTP status, an OAuth error code (client-oauth2 AuthError keeps the body), n8n's
 * `failure.cause`, a connection error code and the response's WWW-Authenticate.
 */
export function evidenceFromError(
	error: unknown,
	hints: { credentialType?: string; url?: string; phase?: ErrorEvidence['phase'] } = {},
): ErrorEvidence {
	const evidence: ErrorEvidence = { messages: [], ...hints };
	for (const link of causeChain(error)) {
		for (const message of [link.message, link.description]) {
			const value = text(message);
			if (value !== undefined && !evidence.messages?.includes(value)) evidence.messages?.push(value);
		}
		evidence.status ??= httpStatusOfLink(link);
		const body = link.body;
		if (evidence.oauthError === undefined && typeof body === 'object' && body !== null) {
			const oauthError = text((body as { error?: unknown }).error);
			if (oauthError !== undefined) evidence.oauthError = oauthError;
			const description = text((body as { error_description?: unknown }).error_description);
			if (description !== undefined) evidence.errorDescription = description;
		}
		const failure = link.failure as { cause?: unknown } | undefined;
		if (evidence.failureCause === undefined && text(failure?.cause) !== undefined)
			evidence.failureCause = failure?.cause as string;
		const code = link.code;
		if (evidence.networkCode === undefined && isNetworkCode(code)) evidence.networkCode = code;
		const headers = (link.response as { headers?: Record<string, unknown> } | undefined)?.headers;
		const challenge = headers?.['www-authenticate'];
		if (evidence.wwwAuthenticate === undefined && (typeof challenge === 'string' || Array.isArray(challenge))) {
			evidence.wwwAuthenticate = challenge as string | string[];
		}
	}
	return evidence;
}

/** The engine's own verdict when there is one, otherwise the classifier's reading of the error. */
export function classifyError(error: unknown, hints: Parameters<typeof evidenceFromError>[1] = {}): Classification {
	return findTokenGuardError(error)?.classification ?? classify(evidenceFromError(error, hints));
}

export function failureFor(classification: Classification, retryAfterMs?: number): FailureDeclaration | undefined {
	switch (classification.category) {
		case 'refresh_token_invalid':
		case 'refresh_token_missing':
		case 'not_connected':
		case 'consent_required':
			return { cause: 'credential-invalid' };
		case 'client_misconfigured':
		case 'scope_insufficient':
			return { cause: 'configuration-invalid' };
		case 'rate_limited':
			return retryAfterMs === undefined ? { cause: 'rate-limited' } : { cause: 'rate-limited', retryAfterMs };
		case 'provider_unavailable':
			return { cause: 'temporarily-unavailable' };
		default:
			return undefined;
	}
}

function ownDescription(error: unknown): string | undefined {
	const description = (error as { description?: unknown } | null)?.description;
	return typeof description === 'string' && description.trim() !== '' ? description.trim() : undefined;
}

/**
 * The failure's own text, quoted in our message: redacted, then cut to MAX_QUOTED_TEXT_LENGTH, so a huge
 * upstream message neither reaches the user whole nor pushes the remediation steps past redaction's cap.
 */
const MAX_QUOTED_TEXT_LENGTH = 2_000;
const quoted = (text: string, secrets: string[]): string =>
	redactedSnippet(text, secrets, MAX_QUOTED_TEXT_LENGTH, { ellipsis: '…' });

/** The provider the credential type stands for wins over "unknown": it picks the remediation steps. */
function withCredentialProvider(classification: Classification, credential?: ErrorCredential): Classification {
	const provider = credential?.info?.provider;
	if (classification.provider !== 'unknown' || provider === undefined || provider === 'unknown') return classification;
	return { ...classification, provider };
}

/**
 * The headline. For an auth failure it is the plain sentence naming the credential ("The Google
 * credential "Gmail" can no longer refresh its access token: …"); for anything else the failure's own
 * (redacted) message says more than "not related to authentication" would.
 */
export function errorMessageFor(
	classification: Classification,
	error: unknown,
	context: NodeErrorContext = {},
): string {
	const secrets = context.secrets ?? [];
	if (classification.category === 'not_auth_related') return quoted(messageOf(error), secrets);
	return redactText(summaryFor(classification, context.credential?.name), secrets);
}

/** Category, action, the reason, the original message and numbered steps; what the error panel shows. */
export function errorDescriptionFor(
	classification: Classification,
	error: unknown,
	context: NodeErrorContext = {},
): string {
	const secrets = context.secrets ?? [];
	const credential = context.credential;
	const credentialLine =
		credential === undefined
			? undefined
			: `Credential: ${credential.name ? `"${credential.name}" ` : ''}(${credential.info?.displayName ?? credential.type})`;
	// Outside authentication the failure's own guidance ("Pick one of the listed credential types…") is the fix.
	const description = ownDescription(error);
	const details =
		classification.category === 'not_auth_related'
			? description === undefined
				? undefined
				: quoted(description, secrets)
			: `Details: ${quoted(messageOf(error), secrets)}`;
	const steps = remediationFor(classification.category, classification.provider).map(
		(step, index) => `${index + 1}. ${step}`,
	);
	const lines = [
		`Category: ${classification.category} · Action: ${classification.action} · Severity: ${classification.severity}`,
		credentialLine,
		`Why: ${classification.reason}`,
		details,
		'What to do:',
		...steps,
	].filter((line): line is string => line !== undefined);
	return redactText(lines.join('\n'), secrets);
}

/** Settles the category once, so the node's message, the error item and the events all agree. */
export function classifyForNode(error: unknown, context: NodeErrorContext = {}): Classification {
	const classification = classifyError(error, { credentialType: context.credential?.type });
	return withCredentialProvider(classification, context.credential);
}
