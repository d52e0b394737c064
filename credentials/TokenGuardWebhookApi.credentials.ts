import { randomUUID } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import { signWebhookRequest } from '../nodes/shared/webhookSignature';
import { TOKEN_GUARD_ICON } from './common/credentialFields';

/**
 * Monitoring sink (DESIGN.md §4.3): where Token Guard posts its CloudEvents, signed per Standard
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
				'Where Token Guard POSTs its events (CloudEvents JSON): the endpoint URL your receiver shows, e.g. a Svix endpoint, an incident tool\'s webhook or another n8n Webhook node\'s production URL',
		},
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Secret for the webhook-signature header. Paste the receiver\'s Standard Webhooks secret (whsec_… as Svix and similar tools show it; the part after whsec_ is base64-decoded into the key), or choose any long random string and give the receiver the same string as its HMAC key.',
		},
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password -- custom headers usually carry the receiver's API key
		{
			displayName: 'Headers',
			name: 'headers',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: '{"X-Api-Key": "your receiver key"}',
			description:
				'Optional extra HTTP headers as a JSON object of name → value, e.g. an API key your receiver requires. Stored encrypted and masked, because such headers usually carry secrets. webhook-* and Content-Type are set by the signer.',
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
