/** n8n API keys the instance owner creates as Settings → n8n API does (POST /rest/api-keys with scopes). */
import { httpRequest } from '../../servers/httpClient';
import { DEV_OWNER } from './dev';
import { login } from './n8nServer';

/** Creates an API key of the owner with these scopes; resolves to the raw key (shown once, as in the editor). */
export async function createApiKey(baseUrl: string, label: string, scopes: string[]): Promise<string> {
	const cookie = await login(baseUrl, DEV_OWNER.email, DEV_OWNER.password);
	const response = await httpRequest<{ data: { rawApiKey: string } }>(`${baseUrl}/rest/api-keys`, {
		method: 'POST',
		headers: { cookie },
		body: { label, scopes, expiresAt: null },
		timeoutMs: 30_000,
	});
	if (response.status !== 200)
		throw new Error(`creating an API key answered HTTP ${response.status}: ${response.text}`);
	return response.json!.data.rawApiKey;
}
