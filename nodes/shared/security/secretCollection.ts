/**
 * Which values of decrypted credential data are secrets, so they can be handed to the redaction in
 * redact.ts: secret-named fields at any depth, plus every value of a custom header map.
 */
import { isSecretKey, normalizeKey } from './redact';

const MAX_COLLECT_DEPTH = 6;

/** Custom header maps (the webhook sink's `headers`) carry receiver API keys under arbitrary names. */
const HEADER_MAP_KEYS = new Set(['headers', 'customheaders']);

function collectHeaderValues(value: unknown, into: Set<string>): void {
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			return;
		}
	}
	if (typeof parsed !== 'object' || parsed === null) return;
	for (const headerValue of Object.values(parsed)) {
		if (typeof headerValue === 'string' && headerValue.trim() !== '') into.add(headerValue.trim());
	}
}

/**
 * Every secret value in decrypted credential data (clientSecret, refreshToken, accessToken, signingSecret,
 * oauthTokenData.access_token / refresh_token / id_token, password, apiKey, custom header values…),
 * ready to hand to `redactText` / `redactDeep`.
 */
export function collectSecrets(credentialData: Record<string, unknown>): string[] {
	const found = new Set<string>();

	const walk = (node: unknown, depth: number): void => {
		if (typeof node !== 'object' || node === null || depth > MAX_COLLECT_DEPTH) return;
		for (const [key, value] of Object.entries(node)) {
			if (HEADER_MAP_KEYS.has(normalizeKey(key))) {
				collectHeaderValues(value, found);
			} else if (isSecretKey(key) && typeof value === 'string') {
				if (value !== '') found.add(value);
				// Pasted secrets often carry stray whitespace; the trimmed form is what gets sent.
				if (value.trim() !== '' && value.trim() !== value) found.add(value.trim());
			} else {
				walk(value, depth + 1);
			}
		}
	};

	walk(credentialData, 0);
	return [...found];
}
