/** n8n API keys the instance owner creates as Settings → n8n API does (POST /rest/api-keys with scopes). */
import { httpRequest } from '../../servers/httpClient';
import { DEV_OWNER } from './dev';
import { login } from './n8nServer';

/**
 * Creates an API key of the owner with these scopes; resolves to the raw key (shown once, as in the editor).
 * n8n 1.x signs a key as a JWT stamped to the second, so a second key of one user in the same second is the same text
 * and refused ("There is already an entry with this name"): that one is asked for again in the next second.
 */
export async function createApiKey(baseUrl: string, label: string, scopes: string[]): Promise<string> {
	const cookie = await login(baseUrl, DEV_OWNER.email, DEV_OWNER.password);
	for (let attempt = 1; ; attempt++) {
		const response = await httpRequest<{ data: { rawApiKey: string } }>(`${baseUrl}/rest/api-keys`, {
			method: 'POST',
			headers: { cookie },
			body: { label, scopes, expiresAt: null },
			timeoutMs: 30_000,
		});
		if (response.status === 200) return response.json!.data.rawApiKey;
		if (attempt === 1 && response.text.includes('already an entry')) {
			await new Promise((resolve) => setTimeout(resolve, 1100));
			continue;
		}
		throw new Error(`creating an API key answered HTTP ${response.status}: ${response.text}`);
	}
}
