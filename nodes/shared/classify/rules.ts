/**
 * The classifier's ordered rules. Each reads the gathered facts and returns a verdict (category, reason,
 * deciding code) or nothing; the first verdict wins, so structured signals (AADSTS numbers, n8n's
 * `failure.cause`, OAuth and provider codes) come before known texts, and texts before bare HTTP
 * statuses. Reasons are built from fixed phrases, validated codes and numbers only.
 */
import { PROVIDER_LABELS } from './providers';
import type { Category } from '../types';
import { CATEGORY_TRAITS } from './taxonomy';
import { shownTypeName } from './credentialKinds';
import type { Facts } from './evidence';
import { AADSTS_MEANINGS, AADSTS_RE, CODE_MEANINGS, FAILURE_CAUSE_CATEGORIES, safeCode } from './codes';
import {
	CLOCK_SKEW_RE,
	firstMatch,
	GRAPH_EXPIRY_RE,
	MODEL_KEY_SIGNATURES,
	NETWORK_CODE_IN_TEXT_RE,
	NETWORK_CODES,
	NETWORK_TEXT_RE,
	PHRASE_SIGNATURES,
	RATE_LIMIT_RE,
} from './signatures';

export interface Verdict {
	category: Category;
	reason: string;
	/** The fact that decided, as `kind: value` from fixed phrases and validated codes (`oauthError: invalid_grant`). */
	matched: string;
	/** The code that decided, when one did. */
	code?: string;
}

export type Rule = (facts: Facts) => Verdict | undefined;

export function source(facts: Facts): string {
	const owner = facts.provider === 'unknown' ? '' : `${PROVIDER_LABELS[facts.provider]}'s `;
	if (facts.atTokenEndpoint) return owner ? `${owner}token endpoint` : 'the token endpoint';
	if (facts.phase === 'api') return owner ? `the ${PROVIDER_LABELS[facts.provider]} API` : 'the API';
	return owner ? PROVIDER_LABELS[facts.provider] : 'the service';
}

function answered(facts: Facts): string {
	return facts.status === undefined ? `${source(facts)} reported` : `${source(facts)} answered HTTP ${facts.status}`;
}

function answeredWith(facts: Facts): string {
	return facts.status === undefined
		? `${source(facts)} reported`
		: `${source(facts)} answered HTTP ${facts.status} with`;
}

/** Where the evidence came from, as a suffix: ` (HTTP 400 from Google's token endpoint)`. */
function origin(facts: Facts): string {
	const from = facts.provider === 'unknown' && !facts.atTokenEndpoint && facts.phase !== 'api' ? '' : source(facts);
	if (facts.status !== undefined) return from ? ` (HTTP ${facts.status} from ${from})` : ` (HTTP ${facts.status})`;
	return from ? ` from ${from}` : '';
}

export function sentence(text: string): string {
	const trimmed = text.trim();
	const capitalised = trimmed.startsWith('n8n') ? trimmed : `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}`;
	return capitalised.endsWith('.') ? capitalised : `${capitalised}.`;
}

const modelKeyRule: Rule = (facts) => {
	const signature = firstMatch(MODEL_KEY_SIGNATURES, facts.text);
	if (!signature) return undefined;
	return {
		category: 'model_api_key',
		reason: `The error${origin(facts)} contains ${signature.evidence}: an API key was rejected, not an OAuth token`,
		matched: `text: ${signature.evidence}`,
	};
};

const microsoftRule: Rule = (facts) => {
	const fromText = AADSTS_RE.exec(facts.text);
	const number = fromText?.[1] ?? facts.secondaryCodes.find((code) => code.startsWith('AADSTS'))?.slice(6);
	const meaning = number === undefined ? undefined : AADSTS_MEANINGS[number];
	if (number === undefined || meaning === undefined) return undefined;
	return {
		category: meaning.category,
		reason: `${answeredWith(facts)} Microsoft code AADSTS${number}: ${meaning.meaning}`,
		matched: `aadsts: AADSTS${number}`,
		code: facts.primaryCodes[0] ?? `AADSTS${number}`,
	};
};

const failureCauseRule: Rule = (facts) => {
	const category = facts.failureCause === undefined ? undefined : FAILURE_CAUSE_CATEGORIES[facts.failureCause];
	if (category === undefined) return undefined;
	return {
		category,
		reason: `n8n marked the failure as "${facts.failureCause}"${origin(facts)}`,
		matched: `failure.cause: ${facts.failureCause}`,
	};
};

const clockSkewRule: Rule = (facts) => {
	if (GRAPH_EXPIRY_RE.test(facts.text) || !CLOCK_SKEW_RE.test(facts.text)) return undefined;
	return {
		category: 'clock_skew',
		reason: `The error${origin(facts)} says a token or assertion is outside its valid time window (iat/nbf/exp versus this host's clock)`,
		matched: 'text: a token or assertion outside its valid time window',
	};
};

const rateLimitRule: Rule = (facts) => {
	if (facts.status === 429) {
		return { category: 'rate_limited', reason: `${answered(facts)} (too many requests)`, matched: 'httpCode: 429' };
	}
	if (!RATE_LIMIT_RE.test(facts.text)) return undefined;
	return {
		category: 'rate_limited',
		reason: `The error${origin(facts)} contains a throttling or quota message`,
		matched: 'text: a throttling or quota message',
	};
};

const codeRule: Rule = (facts) => {
	for (const code of [...facts.primaryCodes, ...facts.secondaryCodes]) {
		const meaning = CODE_MEANINGS[code.toLowerCase()];
		if (meaning === undefined) continue;
		const category = typeof meaning.category === 'function' ? meaning.category(facts) : meaning.category;
		const shown = safeCode(code) ?? code.toLowerCase();
		const via = code === facts.wwwAuthenticateError ? ' in WWW-Authenticate' : '';
		const field = facts.primaryCodes.includes(code) ? 'oauthError' : 'code';
		return {
			category,
			reason: `${answeredWith(facts)} error code "${shown}"${via}: ${meaning.meaning}`,
			matched: `${field}: ${shown}`,
			code: shown,
		};
	}
	return undefined;
};

const phraseRule: Rule = (facts) => {
	const signature = firstMatch(PHRASE_SIGNATURES, facts.text);
	if (!signature) return undefined;
	return {
		category: signature.category,
		reason: `The error${origin(facts)} contains ${signature.evidence}`,
		matched: `text: ${signature.evidence}`,
	};
};

/**
 * The token endpoint's HTTP status when no code or known text decided. A 400/401 from a refresh is a
 * dead refresh token (Zapier treats any such 4xx as "reconnect"); for n8n's client-credentials fetch
 * there is no refresh token, so it is the client. A non-JSON answer (HTML page, proxy, maintenance
 * screen) is not the authorization server speaking OAuth at all, so it is retried rather than turned
 * into a reconnect request — unless the status shows the token URL itself is wrong (3xx, 404, 405, 410).
 */
const tokenEndpointRule: Rule = (facts) => {
	if (!facts.atTokenEndpoint) return undefined;
	const status = facts.status;
	const where = answered(facts);
	const matched = `token endpoint: HTTP ${status ?? 'none'}`;
	if (status !== undefined && ((status >= 300 && status < 400) || status === 404 || status === 405 || status === 410)) {
		return { category: 'client_misconfigured', reason: `${where}, so the token URL is wrong or redirects`, matched };
	}
	if (facts.nonJsonTokenResponse && (status === undefined || status < 500)) {
		return {
			category: 'provider_unavailable',
			reason: `${where} with a non-JSON body instead of an OAuth response`,
			matched: `${matched} + non-JSON body`,
		};
	}
	if (status !== undefined && status >= 200 && status < 300) {
		return { category: 'provider_unavailable', reason: `${where} without a usable access token`, matched };
	}
	if (status === 400 || status === 401) {
		return facts.clientCredentialsFetch
			? {
					category: 'client_misconfigured',
					reason: `${where} to n8n's client-credentials token request`,
					matched: `${matched} + client-credentials fetch`,
				}
			: {
					category: 'refresh_token_invalid',
					reason: `${where} to the refresh request, with no error code that says otherwise`,
					matched,
				};
	}
	return undefined;
};

const serverStatusRule: Rule = (facts) => {
	const status = facts.status;
	if (status === undefined || !(status >= 500 || status === 408)) return undefined;
	return {
		category: 'provider_unavailable',
		reason: `${answered(facts)} (server error or timeout)`,
		matched: `httpCode: ${status}`,
	};
};

const modelStatusRule: Rule = (facts) => {
	if (!facts.modelContext || (facts.status !== 401 && facts.status !== 403)) return undefined;
	return {
		category: 'model_api_key',
		reason: `${answered(facts)} to a language-model request, an API-key rejection`,
		matched: `httpCode: ${facts.status} + language-model node or credential`,
	};
};

const unauthorizedRule: Rule = (facts) => {
	if (facts.status !== 401) return undefined;
	const challenge = facts.wwwAuthenticateError === undefined ? '' : ' with a Bearer challenge';
	return {
		category: 'access_token_rejected',
		reason: `${answered(facts)}${challenge}: the access token was refused`,
		matched: `httpCode: 401${challenge === '' ? '' : ' + WWW-Authenticate Bearer'}`,
	};
};

const networkRule: Rule = (facts) => {
	const explicit = facts.networkCode?.toUpperCase();
	if (explicit !== undefined && NETWORK_CODES.has(explicit)) {
		return {
			category: 'provider_unavailable',
			reason: `The connection to ${source(facts)} failed (${explicit})`,
			matched: `networkCode: ${explicit}`,
		};
	}
	if (facts.status !== undefined) return undefined;
	const codeInText = NETWORK_CODE_IN_TEXT_RE.exec(facts.text);
	if (codeInText) {
		return {
			category: 'provider_unavailable',
			reason: `The connection to ${source(facts)} failed (${codeInText[1]})`,
			matched: `networkCode: ${codeInText[1]}`,
		};
	}
	if (!NETWORK_TEXT_RE.test(facts.text)) return undefined;
	return {
		category: 'provider_unavailable',
		reason: `The connection to ${source(facts)} failed or timed out`,
		matched: 'text: a connection failure or timeout',
	};
};

export const RULES: readonly Rule[] = [
	modelKeyRule,
	microsoftRule,
	failureCauseRule,
	clockSkewRule,
	rateLimitRule,
	codeRule,
	phraseRule,
	tokenEndpointRule,
	serverStatusRule,
	modelStatusRule,
	unauthorizedRule,
	networkRule,
];

/**
 * The failing node's credential decides before any text. When it is not OAuth (API key, header, basic
 * auth), an OAuth-looking verdict from an API call, or a generic "invalid API key" outside a language-model
 * request, is that key or login being refused: nothing to refresh or reconnect. A failure at a token
 * endpoint stays an OAuth verdict: something there did speak OAuth. When the credential is OAuth2, a generic
 * "invalid API key or access token" outside a language-model request is its access token being refused.
 */
export function withCredentialKind(facts: Facts, verdict: Verdict): Verdict {
	if (facts.credentialType === undefined || facts.atTokenEndpoint) return verdict;
	const typeName = shownTypeName(facts.credentialType);
	const genericKeyText = verdict.category === 'model_api_key' && !facts.modelContext;
	if (facts.credentialKind === 'not_oauth' && (CATEGORY_TRAITS[verdict.category].isOAuthIssue || genericKeyText)) {
		return {
			category: 'not_auth_related',
			reason: `The failing node's credential (${typeName}) is not OAuth2, so its refusal${origin(facts)} is about that key or login, not a token Token Guard can refresh`,
			matched: `credentialType: ${typeName} is not OAuth`,
		};
	}
	if (facts.credentialKind === 'oauth' && genericKeyText) {
		return {
			category: 'access_token_rejected',
			reason: `The failing node's credential (${typeName}) is OAuth2 and no language model was involved, so the refused "key"${origin(facts)} is its access token`,
			matched: `credentialType: ${typeName} is OAuth + ${verdict.matched}`,
		};
	}
	return verdict;
}
