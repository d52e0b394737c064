import { randomUUID } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import { signWebhookRequest } from '../nodes/shared/events/webhookSignature';
import { TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Monitoring sink (docs/ARCHITECTURE.md#credential-families): where Token Guard posts its CloudEvents, signed per Standard
 * Webhooks. Signing lives in `authenticate`, so every request made with this credential — the nodes'
 * deliveries and n8n's credential test alike — carries a signature the receiver can verify.
 */
export class TokenGuardWebhookApi implements ICredentialType {
	name = 'tokenGuardWebhookApi';

	displayName = 'Token Guard Webhook API';

	icon = TOKEN_GUARD_ICON;

	documentationUrl = 'https://github.com/token-guard/n8n-nodes-token-guard#token-guard-webhook-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Webhook URL',
			name: 'url',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://alerts.example.com/hooks/token-guard',
			description:
				"Where Token Guard POSTs its events (CloudEvents JSON): the endpoint URL your receiver shows, e.g. a Svix endpoint, an incident tool's webhook or another n8n Webhook node's production URL",
		},
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
			description:
				"Optional. The receiver's Standard Webhooks secret (whsec_… as Svix and similar tools show it, 24 to 64 bytes once base64-decoded): every event then carries a webhook-signature the receiver can verify. Leave empty for a receiver that verifies nothing (a chat or incident webhook): events go unsigned, still with webhook-id for de-duplication. To create one: `openssl rand -base64 32`, prefixed with whsec_.",
		},
		{
			displayName: 'Secret Format',
			name: 'keyFormat',
			type: 'options',
			default: 'standard',
			options: [
				{
					name: 'Standard Webhooks (base64, whsec_ optional)',
					value: 'standard',
					description:
						'The key is the base64 after an optional whsec_, as the Standard Webhooks and Svix libraries read it',
				},
				{
					name: 'Raw Text',
					value: 'raw',
					description:
						'The key is the text itself (UTF-8, at least 24 bytes), for receivers whose own code uses a plain string as the HMAC key',
				},
			],
			description:
				"How the receiver turns the Signing Secret into its HMAC key. Keep Standard Webhooks unless the receiver's own code uses the secret text as the key.",
			displayOptions: { hide: { signingSecret: [''] } },
		},
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: '',
			placeholder: 'e.g. X-Api-Key',
			description: 'Optional. A header your receiver requires, usually its API key; its value goes below',
		},
		{
			displayName: 'Header Value',
			name: 'headerSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { hide: { headerName: [''] } },
			description: 'The value of that header. Stored encrypted and masked, because it usually is a secret.',
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- custom headers usually carry the receiver's API key
		{
			displayName: 'More Headers (JSON)',
			name: 'headers',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: '{"X-Team": "ops", "X-Api-Key": "…"}',
			description:
				'Optional, only when the receiver needs more than one extra header: a JSON object of name → value. Stored encrypted and masked. webhook-* and Content-Type are set by Token Guard.',
		},
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		// The Standard Webhooks timestamp is wall-clock seconds; receivers reject ones too far from theirs.
		return signWebhookRequest(requestOptions, credentials, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000));
	}

	// A signed POST of a harmless health.checked event marked as a credential test: passes only when
	// the receiver accepts both the URL and the signature (receivers answer 401/403 to a bad signature).
	test: ICredentialTestRequest = {
		request: {
			method: 'POST',
			url: '={{ $credentials.url }}',
			body: {
				specversion: '1.0',
				id: 'token-guard-credential-test',
				source: 'n8n://credential-test',
				type: 'io.n8n.tokenguard.health.checked',
				datacontenttype: 'application/json',
				data: {
					credential: { type: 'tokenGuardWebhookApi' },
					provider: 'unknown',
					severity: 'info',
					details: { credentialTest: true },
				},
			},
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'The receiver rejected the request (401): check that it verifies with the same Signing Secret',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The receiver refused the request (403): check the Signing Secret and any API key in Headers',
				},
			},
			{
				type: 'responseCode',
				properties: { value: 404, message: 'Nothing answers at this Webhook URL (404): check the URL' },
			},
		],
	};
}
