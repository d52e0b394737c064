import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

import { TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * The n8n instance's own public API (docs/ARCHITECTURE.md#credential-families): Token Health's Audit Credentials
 * lists the instance's credentials and workflows with it, and Diagnose Error finds the workflows a broken credential
 * breaks. A type of this package rather than n8n's `n8nApi`, because a verifiable package's nodes take only its own
 * credential types (docs/ARCHITECTURE.md#packages).
 */
export class TokenGuardN8nApi implements ICredentialType {
	name = 'tokenGuardN8nApi';

	// n8n's scanner ignores inline disables and wants title case, hence "N8n" (the credential search ignores case).
	displayName = 'N8n (Token Guard) API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://github.com/token-guard/n8n-nodes-token-guard#operation-audit-credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. http://127.0.0.1:5678',
			description:
				"This n8n instance's own address, without /api/v1: the URL the editor opens at (behind a proxy, the address n8n itself can reach)",
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				"An API key of the instance owner or an admin (Settings → n8n API → Create an API key) with the scopes credential:list, credential:read and workflow:list. Audit Credentials needs all three; Diagnose Error's affected workflows need workflow:list.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'X-N8N-API-KEY': '={{ $credentials.apiKey }}' } },
	};

	// Lists one credential: passes only with a valid key that may list the instance's credentials.
	test: ICredentialTestRequest = {
		request: {
			// One trailing slash tolerated, as the node's requests do (publicApi.ts).
			baseURL:
				'={{ String($credentials.baseUrl).trim().endsWith("/") ? String($credentials.baseUrl).trim().slice(0, -1) : String($credentials.baseUrl).trim() }}/api/v1',
			url: '/credentials',
			qs: { limit: 1 },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'n8n rejected the API key (401): check the key and that it has not expired',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'The API key may not list credentials (403): create it as the owner or an admin with the scope credential:list',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: "No n8n public API at this Base URL (404): use the instance's address without /api/v1",
				},
			},
		],
	};
}
