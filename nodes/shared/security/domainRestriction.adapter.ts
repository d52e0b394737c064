/**
 * The credential's own boundary (the Security model in the README): every request that carries a
 * credential's token or secret goes only where the credential's *Allowed HTTP Request Domains*
 * (`all` | `domains` | `none`) lets n8n's HTTP Request node go, checked with n8n-workflow's own functions
 * on the first URL and — through the request options n8n's HTTP client reads — on every redirect hop.
 *
 * Two kinds of destination:
 * - a URL typed into a node (Request With Auto-Refresh, Check Credential's Probe URL): treated exactly as
 *   the HTTP Request node treats it (`none` refuses, `domains` must match), and no credential follows a
 *   redirect to another origin;
 * - an endpoint the credential itself declares (the manual credential's token URL, an introspection
 *   endpoint of the credential's issuer, the webhook sink's URL): n8n's rule for a credential's own
 *   requests (only an explicit `domains` list applies), and no redirect is followed at all, because a 307
 *   would re-send a body that holds the refresh token or client secret.
 *
 * The package's peer range is `*`: on an n8n-workflow without these functions the checks cannot run, so
 * credential-bearing requests follow no redirect and n8n's log says once that the list is not applied.
 */
import * as n8nWorkflow from 'n8n-workflow';
import type { ICredentialDataDecryptedObject, IHttpRequestOptions, INode } from 'n8n-workflow';

import { messageOf } from '../errors/facts';
import { TokenGuardError } from '../errors/errors';
import { classificationFor } from '../classify/taxonomy';
import type { Provider } from '../types';

/** Named in n8n's own refusal: "This credential is configured to prevent use within an <surface> node". */
export const RESTRICTION_SURFACE = 'HTTP Request or Token Guard';

type DomainFunctions = Pick<
	typeof n8nWorkflow,
	'getCredentialAllowedDomains' | 'getCredentialOwnRequestAllowedDomains' | 'assertUrlAllowed'
>;

/** The request options that carry the boundary to n8n's HTTP client. */
export type BoundaryOptions = Pick<
	IHttpRequestOptions,
	'allowedDomains' | 'sendCredentialsOnCrossOriginRedirect' | 'disableFollowRedirect'
>;

let overriddenFunctions: Partial<DomainFunctions> | undefined;

/** Tests stand in for an n8n-workflow that predates the domain functions. */
export function useDomainFunctionsForTesting(functions: Partial<DomainFunctions> | undefined): void {
	overriddenFunctions = functions;
	warnedMissing = false;
}

function domainFunctions(): DomainFunctions | undefined {
	const source: Partial<DomainFunctions> = overriddenFunctions ?? n8nWorkflow;
	const { getCredentialAllowedDomains, getCredentialOwnRequestAllowedDomains, assertUrlAllowed } = source;
	if (
		typeof getCredentialAllowedDomains !== 'function' ||
		typeof getCredentialOwnRequestAllowedDomains !== 'function' ||
		typeof assertUrlAllowed !== 'function'
	) {
		return undefined;
	}
	return { getCredentialAllowedDomains, getCredentialOwnRequestAllowedDomains, assertUrlAllowed };
}

let warnedMissing = false;

const MISSING_FUNCTIONS_WARNING =
	'Token Guard: this n8n has no credential domain restriction functions (n8n-workflow 2.40 or newer has them), so "Allowed HTTP Request Domains" cannot be applied to Token Guard requests. Requests that carry a credential follow no redirects. Update n8n to have the list enforced.';

function warnOnceMissing(): void {
	if (warnedMissing) return;
	warnedMissing = true;
	n8nWorkflow.LoggerProxy.warn(MISSING_FUNCTIONS_WARNING);
}

/** A request without any credential-owned redirect: what an n8n without the domain functions gets. */
const NO_REDIRECTS: BoundaryOptions = { disableFollowRedirect: true };

/**
 * For a URL typed into a node. Throws n8n's own NodeOperationError ("This credential is configured to
 * prevent use within…", "Domain not allowed: This credential is restricted from accessing <host>…").
 */
export function typedUrlBoundary(
	node: INode,
	credentialData: ICredentialDataDecryptedObject,
	url: string,
): BoundaryOptions {
	const functions = domainFunctions();
	if (functions === undefined) {
		warnOnceMissing();
		return NO_REDIRECTS;
	}
	const allowedDomains = functions.getCredentialAllowedDomains({ node, credentialData, surface: RESTRICTION_SURFACE });
	functions.assertUrlAllowed({ url, allowedDomains, node });
	return {
		...(allowedDomains === undefined ? {} : { allowedDomains }),
		sendCredentialsOnCrossOriginRedirect: false,
	};
}

/**
 * For an endpoint the credential declares. `node` is absent inside a credential's preAuthentication,
 * where n8n throws a plain UserError with the same wording.
 */
export function credentialEndpointBoundary(
	credentialData: ICredentialDataDecryptedObject,
	url: string,
	node?: INode,
): BoundaryOptions {
	const functions = domainFunctions();
	if (functions === undefined) {
		warnOnceMissing();
		return NO_REDIRECTS;
	}
	const allowedDomains = functions.getCredentialOwnRequestAllowedDomains(credentialData);
	functions.assertUrlAllowed({ url, allowedDomains, ...(node === undefined ? {} : { node }) });
	return { ...(allowedDomains === undefined ? {} : { allowedDomains }), ...NO_REDIRECTS };
}

/**
 * A refusal as the engine's own error: not an authentication failure (nothing was sent), with n8n's
 * wording kept as the message so a user recognises it from the HTTP Request node.
 */
export function boundaryRefusal(error: unknown, provider: Provider): TokenGuardError {
	return new TokenGuardError(
		classificationFor(
			'not_auth_related',
			provider,
			"The credential's Allowed HTTP Request Domains do not allow this URL; nothing was sent.",
		),
		messageOf(error),
		{ attempts: 0, waitedMs: 0 },
	);
}

/** Runs a boundary check for a node operation: a refusal becomes a TokenGuardError for the node's error handling. */
function boundaryForNode(provider: Provider, check: () => BoundaryOptions): BoundaryOptions {
	try {
		return check();
	} catch (error) {
		throw boundaryRefusal(error, provider);
	}
}

/** `typedUrlBoundary` for a node operation, refusals as TokenGuardError. */
export function typedUrlBoundaryFor(
	node: INode,
	credential: { info: { provider: Provider } },
	credentialData: ICredentialDataDecryptedObject,
	url: string,
): BoundaryOptions {
	return boundaryForNode(credential.info.provider, () => typedUrlBoundary(node, credentialData, url));
}

/** `credentialEndpointBoundary` for a node operation, refusals as TokenGuardError. */
export function credentialEndpointBoundaryFor(
	node: INode,
	credential: { info: { provider: Provider } },
	credentialData: ICredentialDataDecryptedObject,
	url: string,
): BoundaryOptions {
	return boundaryForNode(credential.info.provider, () => credentialEndpointBoundary(credentialData, url, node));
}
