/**
 * Live probes of a credential for Check Credential: a GET of an API URL signed with the stored token,
 * and RFC 7662 introspection at the credential's own endpoint. Both send the stored token as it is: n8n's authenticated helpers would
 * refresh it on a 401 and hide the very state the check reports.
 */
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { classifyApiResponse } from '../classify/classifier';
import { clockSkewFromDateHeader } from '../oauth/clock';
import type { CredentialToken, SelectedCredential } from '../refresh/tokenState';
import { credentialEndpointBoundaryFor, typedUrlBoundaryFor } from '../security/domainRestriction.adapter';
import type { IntrospectionProbe, UrlProbe } from '../diagnose/healthCheck';
import {
	buildIntrospectionRequest,
	introspectionEndpointFromMetadata,
	metadataUrls,
	parseIntrospectionResponse,
} from '../oauth/introspection';
import { classifyError } from '../errors/classification';
import type { OAuthClient } from '../oauth/refreshGrant';
import { readHeader } from '../errors/facts';
import type { HttpResponseLike, Result } from '../types';
import { isSecureEndpoint } from '../security/urls';
import { err, ok } from '../types';

/** A probe that takes longer than this says more about the network than about the token. */
export const PROBE_TIMEOUT_MS = 10_000;

export interface ProbeRun<T> {
	probe: T;
	/** Server clock minus ours, from the answer's Date header; null without an answer or header. */
	clockSkewMs: number | null;
}

interface TimedResponse {
	response: HttpResponseLike;
	startedMs: number;
	endedMs: number;
}

async function timedRequest(ctx: IExecuteFunctions, options: IHttpRequestOptions): Promise<TimedResponse> {
	const startedMs = Date.now();
	const raw = (await ctx.helpers.httpRequest({
		...options,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: PROBE_TIMEOUT_MS,
	})) as { statusCode?: number; headers?: HttpResponseLike['headers']; body?: unknown } | undefined;
	const response: HttpResponseLike = { status: raw?.statusCode ?? 0, headers: raw?.headers, body: raw?.body };
	return { response, startedMs, endedMs: Date.now() };
}

const skewOf = ({ response, startedMs, endedMs }: TimedResponse): number | null =>
	clockSkewFromDateHeader(readHeader(response.headers, 'date'), startedMs, endedMs);

/**
 * A GET of the typed Probe URL with the stored access token. The URL must be inside the credential's
 * Allowed HTTP Request Domains (a refusal throws, as the HTTP Request node does) and the token never
 * follows a redirect to another origin.
 */
export async function probeUrl(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	url: string,
	token: CredentialToken,
): Promise<ProbeRun<UrlProbe>> {
	if (token.accessToken === '')
		return { probe: { kind: 'skipped', reason: 'no access token is stored yet.' }, clockSkewMs: null };
	const boundary = typedUrlBoundaryFor(ctx.getNode(), selected, token.data, url);
	try {
		const timed = await timedRequest(ctx, {
			...boundary,
			method: 'GET',
			url,
			headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/json' },
		});
		const { response, startedMs, endedMs } = timed;
		return {
			probe: {
				kind: 'answered',
				status: response.status,
				classification: classifyApiResponse(response, url),
				durationMs: endedMs - startedMs,
			},
			clockSkewMs: skewOf(timed),
		};
	} catch (error) {
		return {
			probe: { kind: 'failed', classification: classifyError(error, { url, phase: 'api' }) },
			clockSkewMs: null,
		};
	}
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The OAuth client as the credential stores it (Connect types: `authentication`; the manual type: `clientAuthentication`). */
function oauthClientOf(token: CredentialToken): OAuthClient {
	const inBody = (token.data.authentication ?? token.data.clientAuthentication) === 'body';
	return {
		clientId: text(token.data.clientId),
		clientSecret: text(token.data.clientSecret),
		clientAuth: inBody ? 'body' : 'basic',
	};
}

/** The token URL the credential declares: `accessTokenUrl` on Connect types, `tokenUrl` on the manual type. */
const tokenUrlOf = (token: CredentialToken): string =>
	(text(token.data.accessTokenUrl) || text(token.data.tokenUrl)).trim();

/**
 * The introspection endpoint the credential itself stands for — never a URL typed into a node: its own
 * Introspection URL field, else the `introspection_endpoint` its authorization server publishes (RFC 8414
 * or OpenID discovery) on the token URL's origin.
 */
async function credentialIntrospectionEndpoint(
	ctx: IExecuteFunctions,
	token: CredentialToken,
): Promise<Result<string, string>> {
	const declared = text(token.data.introspectionUrl).trim();
	if (declared !== '') return ok(declared);
	const tokenUrl = tokenUrlOf(token);
	const candidates = metadataUrls(tokenUrl);
	if (candidates.length === 0) return err('the credential has no token URL to find its authorization server from.');
	let reason =
		"the authorization server publishes no metadata on the token URL's origin, and the credential has no Introspection URL.";
	for (const metadataUrl of candidates) {
		try {
			// No credential travels with a metadata read; redirects stay off all the same.
			const { response } = await timedRequest(ctx, {
				method: 'GET',
				url: metadataUrl,
				json: false,
				disableFollowRedirect: true,
				headers: { accept: 'application/json' },
			});
			if (response.status < 200 || response.status >= 300) continue;
			const endpoint = introspectionEndpointFromMetadata(response.body, tokenUrl);
			if (endpoint.ok) return endpoint;
			reason = `${endpoint.error}.`;
		} catch {
			// An unreachable metadata address is the same as none: the next candidate, then skipped.
		}
	}
	return err(reason);
}

/**
 * Introspects the refresh token (or, without one, the access token) with the credential's own client,
 * at the credential's own endpoint, inside its boundary, over https (plain http only on loopback).
 */
export async function probeIntrospection(
	ctx: IExecuteFunctions,
	selected: SelectedCredential,
	token: CredentialToken,
): Promise<ProbeRun<IntrospectionProbe>> {
	const tokenKind = token.refreshToken !== '' ? 'refresh_token' : 'access_token';
	const subject = tokenKind === 'refresh_token' ? token.refreshToken : token.accessToken;
	if (subject === '')
		return { probe: { kind: 'skipped', reason: 'no token is stored to introspect.' }, clockSkewMs: null };
	const endpoint = await credentialIntrospectionEndpoint(ctx, token);
	if (!endpoint.ok) return { probe: { kind: 'skipped', reason: endpoint.error }, clockSkewMs: null };
	const url = endpoint.value;
	if (!isSecureEndpoint(url)) {
		return {
			probe: {
				kind: 'skipped',
				reason:
					'the introspection endpoint does not use https:// (plain http is allowed only on this machine), so the client secret is not sent to it.',
			},
			clockSkewMs: null,
		};
	}
	const boundary = credentialEndpointBoundaryFor(ctx.getNode(), selected, token.data, url);
	const request = buildIntrospectionRequest(url, subject, tokenKind, oauthClientOf(token));
	try {
		const timed = await timedRequest(ctx, { ...request, ...boundary, json: false });
		const { response } = timed;
		const parsed = parseIntrospectionResponse(response);
		if (!parsed.ok) {
			// A 2xx that is not an introspection answer is a broken endpoint, not a healthy token.
			const status = response.status >= 200 && response.status < 300 ? 502 : response.status;
			return {
				probe: { kind: 'failed', classification: classifyApiResponse({ ...response, status }, url) },
				clockSkewMs: skewOf(timed),
			};
		}
		return { probe: { kind: 'answered', tokenKind, ...parsed.value }, clockSkewMs: skewOf(timed) };
	} catch (error) {
		return {
			probe: { kind: 'failed', classification: classifyError(error, { url, phase: 'api' }) },
			clockSkewMs: null,
		};
	}
}
