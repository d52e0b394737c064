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
 * Two shapes of n8n-workflow, told apart by what it exports, not by its version: 2.x (2.40) has the
 * `credential-domain-restrictions` functions with options objects; 1.x (n8n 1.123, n8n-workflow 1.120) has only
 * `isDomainAllowed(url, { allowedDomains })`, around which the same rules are applied here exactly as n8n 1.x's
 * HTTP Request node applies them (`none` refuses, `domains` needs a non-empty list). n8n-core honours the
 * `allowedDomains` request option on every redirect hop in both. On an n8n-workflow with neither the checks
 * cannot run, so credential-bearing requests follow no redirect and n8n's log says once that the list is not
 * applied.
 */
import * as n8nWorkflow from 'n8n-workflow';
import { NodeOperationError, UserError } from 'n8n-workflow';
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

/** n8n-workflow 1.x's matcher: positional URL, then options (2.x takes one options object). */
type PositionalIsDomainAllowed = (url: string, options: { allowedDomains: string }) => boolean;

/** What an n8n-workflow may export; tests stand in for the older shapes with these. */
type DomainExports = Partial<DomainFunctions> & { isDomainAllowed?: unknown };

/** The request options that carry the boundary to n8n's HTTP client. */
export type BoundaryOptions = Pick<
	IHttpRequestOptions,
	'allowedDomains' | 'sendCredentialsOnCrossOriginRedirect' | 'disableFollowRedirect'
>;

let overriddenFunctions: DomainExports | undefined;

/** Tests stand in for an n8n-workflow of another shape (1.x, or one that predates the domain functions). */
export function useDomainFunctionsForTesting(functions: DomainExports | undefined): void {
	overriddenFunctions = functions;
	warnedMissing = false;
}

function domainFunctions(): DomainFunctions | undefined {
	const source: DomainExports = overriddenFunctions ?? n8nWorkflow;
	const { getCredentialAllowedDomains, getCredentialOwnRequestAllowedDomains, assertUrlAllowed } = source;
	if (
		typeof getCredentialAllowedDomains === 'function' &&
		typeof getCredentialOwnRequestAllowedDomains === 'function' &&
		typeof assertUrlAllowed === 'function'
	) {
		return { getCredentialAllowedDomains, getCredentialOwnRequestAllowedDomains, assertUrlAllowed };
	}
	return isPositionalMatcher(source.isDomainAllowed) ? positionalDomainFunctions(source.isDomainAllowed) : undefined;
}

/**
 * The 1.x shape, recognised by behaviour: given a list that names one host, it allows that host and refuses
 * another. (The 2.x function called this way reads no list from its string argument and allows both.)
 */
function isPositionalMatcher(candidate: unknown): candidate is PositionalIsDomainAllowed {
	if (typeof candidate !== 'function') return false;
	try {
		const matcher = candidate as PositionalIsDomainAllowed;
		const list = { allowedDomains: 'listed.invalid' };
		return matcher('https://listed.invalid/', list) === true && matcher('https://other.invalid/', list) === false;
	} catch {
		return false;
	}
}

const NO_DOMAINS_MESSAGE = 'No allowed domains specified. Configure allowed domains or change restriction setting.';

/** The three functions of the 2.x shape, with n8n 1.x's matcher and n8n's own wording. */
function positionalDomainFunctions(isDomainAllowed: PositionalIsDomainAllowed): DomainFunctions {
	const listOf = (credentialData: ICredentialDataDecryptedObject): string | undefined => {
		const list = credentialData.allowedDomains;
		return typeof list === 'string' && list.trim() !== '' ? list.trim() : undefined;
	};
	const getCredentialAllowedDomains: DomainFunctions['getCredentialAllowedDomains'] = ({
		node,
		credentialData,
		surface = 'HTTP Request',
	}) => {
		const mode = credentialData.allowedHttpRequestDomains;
		if (mode === 'none') {
			throw new NodeOperationError(node, `This credential is configured to prevent use within an ${surface} node`);
		}
		if (mode !== 'domains') return undefined;
		const list = listOf(credentialData);
		if (list === undefined) throw new NodeOperationError(node, NO_DOMAINS_MESSAGE);
		return list;
	};
	const getCredentialOwnRequestAllowedDomains: DomainFunctions['getCredentialOwnRequestAllowedDomains'] = (
		credentialData,
	) => {
		if (credentialData.allowedHttpRequestDomains !== 'domains') return undefined;
		const list = listOf(credentialData);
		if (list === undefined) throw new UserError(NO_DOMAINS_MESSAGE);
		return list;
	};
	const assertUrlAllowed: DomainFunctions['assertUrlAllowed'] = ({ url, allowedDomains, node }) => {
		if (!allowedDomains || isDomainAllowed(url, { allowedDomains })) return;
		const message = `Domain not allowed: This credential is restricted from accessing ${displayHost(url)}. Only the following domains are allowed: ${allowedDomains}`;
		throw node ? new NodeOperationError(node, message) : new UserError(message);
	};
	return { getCredentialAllowedDomains, getCredentialOwnRequestAllowedDomains, assertUrlAllowed };
}

/** The host alone, as n8n 2.x names it: a URL's path and query may carry per-request values. */
function displayHost(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return '(an unparsable URL)';
	}
}

let warnedMissing = false;

const MISSING_FUNCTIONS_WARNING =
	'Token Guard: this n8n has no credential domain restriction functions (n8n 1.123 or newer has them), so "Allowed HTTP Request Domains" cannot be applied to Token Guard requests. Requests that carry a credential follow no redirects. Update n8n to have the list enforced.';

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
