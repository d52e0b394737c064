import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';

/**
 * The companion package's event sink: the core's Token Guard Webhook credential (same fields, signing and
 * test) under its own type name, so the two packages install side by side without a credential-type collision.
 */
export class TokenGuardBuiltInWebhookApi extends TokenGuardWebhookApi {
	name = 'tokenGuardBuiltInWebhookApi';

	displayName = 'Token Guard Webhook API (Built-in Companion)';
}
