/**
 * What kind of credential the failing node used, read from its type name: the first structural fact of a
 * diagnosis. A 401 from an API-key, header-auth or basic-auth credential is a refused key or login,
 * never an OAuth token to refresh or reconnect; a language-model key is its own category.
 */
import { credentialTypeInfo } from '../credentialCatalog';
import { MODEL_CREDENTIAL_RE } from './signatures';

export type CredentialKind = 'oauth' | 'language_model' | 'not_oauth';

// n8n names every OAuth 1/2 type with "OAuth" (gmailOAuth2, oAuth2Api, mcpOAuth2Api, twitterOAuth1Api…).
const OAUTH_NAME_RE = /oauth/i;
// Types that run an OAuth flow without "OAuth" in their names: service-account and JWT-bearer grants, and
// HubSpot's developer credential (it carries the OAuth app's client ID and secret for the trigger).
const TOKEN_GRANT_TYPES: ReadonlySet<string> = new Set(['googleApi', 'salesforceJwtApi', 'hubspotDeveloperApi']);
const TYPE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function credentialKind(typeName: string): CredentialKind {
	if (MODEL_CREDENTIAL_RE.test(typeName)) return 'language_model';
	if (OAUTH_NAME_RE.test(typeName) || TOKEN_GRANT_TYPES.has(typeName) || credentialTypeInfo(typeName) !== undefined) {
		return 'oauth';
	}
	return 'not_oauth';
}

/** The type name when it is an identifier (it comes from an error payload), for `evidence.matched`. */
export function shownTypeName(typeName: string): string {
	return TYPE_NAME_RE.test(typeName) ? typeName : '(unnamed type)';
}
