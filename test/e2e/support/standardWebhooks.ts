/**
 * The test's own Standard Webhooks verifier (https://www.standardwebhooks.com, "Verifying webhooks"),
 * written from the spec and sharing no code with the product's signer, so a signing bug cannot verify
 * itself.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Receivers reject timestamps further than this from their clock (the spec suggests 5 minutes). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** The spec's key: the base64 after an optional `whsec_` prefix (what the Standard Webhooks libraries decode). */
function signingKey(secret: string): Buffer {
	return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
	const value = headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** null when the delivery verifies; otherwise why not. */
export function verifyStandardWebhook(
	secret: string,
	headers: Record<string, string | string[] | undefined>,
	rawBody: string,
	nowSeconds: number,
): string | null {
	const id = header(headers, 'webhook-id');
	const timestamp = header(headers, 'webhook-timestamp');
	const signatures = header(headers, 'webhook-signature');
	if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
	if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS) {
		return 'timestamp outside tolerance';
	}
	const expected = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${rawBody}`).digest();
	const matches = signatures.split(' ').some((entry) => {
		const [version, signature] = entry.split(',', 2);
		if (version !== 'v1' || !signature) return false;
		const candidate = Buffer.from(signature, 'base64');
		return candidate.length === expected.length && timingSafeEqual(candidate, expected);
	});
	return matches ? null : 'no matching v1 signature';
}
