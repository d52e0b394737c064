/**
 * Live probes of a credential for Check Credential: a GET of an API URL signed with the stored token,
 * and RFC 7662 introspection. Both send the stored token as it is: n8n's authenticated helpers would
 * refresh it on a 401 and hide the very state the check reports.
 */
import type { IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';

import { classifyApiResponse } from './classifier';
import { clockSkewFromDateHeader } from './clock';
import type { CredentialToken } from './credentialAccess.adapter';
import type { IntrospectionProbe, UrlProbe } from './healthCheck';
import { buildIntrospectionRequest, parseIntrospectionResponse } from './introspection';
import { classifyError } from './nodeErrors';
import type { OAuthClient } from './refreshGrant';
import { readHeader } from './refreshGrant';
import type { HttpResponseLike } from './types';

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

export async function probeUrl(ctx: IExecuteFunctions, url: string, token: CredentialToken): Promise<ProbeRun<UrlProbe>> {
	if (token.accessToken === '') return { probe: { kind: 'skipped', reason: 'no access token is stored yet.' }, clockSkewMs: null };
	try {
		const timed = await timedRequest(ctx, {
			method: 'GET',
			url,
			headers: { authorization: `Bearer ${token.accessToken}`, accept: 'application/json' },
		});
		const { response, startedMs, endedMs } = timed;
		return {
			probe: { kind: 'answered', status: response.status, classification: classifyApiResponse(response, url), durationMs: endedMs - startedMs },
			clockSkewMs: skewOf(timed),
		};
	} catch (error) {
		return { probe: { kind: 'failed', classification: classifyError(error, { url, phase: 'api' }) }, clockSkewMs: null };
	}
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The OAuth client as the credential stores it (Connect types: `authentication`; the manual type: `clientAuthentication`). */
function oauthClientOf(token: CredentialToken): OAuthClient {
	const inBody = (token.data.authentication ?? token.data.clientAuthentication) === 'body';
	return { clientId: text(token.data.clientId), clientSecret: text(token.data.clientSecret), clientAuth: inBody ? 'body' : 'basic' };
}

/** Introspects the refresh token (or, without one, the access token) with the credential's own client. */
export async function probeIntrospection(ctx: IExecuteFunctions, url: string, token: CredentialToken): Promise<ProbeRun<IntrospectionProbe>> {
	const tokenKind = token.refreshToken !== '' ? 'refresh_token' : 'access_token';
	const subject = tokenKind === 'refresh_token' ? token.refreshToken : token.accessToken;
	if (subject === '') return { probe: { kind: 'skipped', reason: 'no token is stored to introspect.' }, clockSkewMs: null };
	const request = buildIntrospectionRequest(url, subject, tokenKind, oauthClientOf(token));
	try {
		const timed = await timedRequest(ctx, { ...request, json: false });
		const { response } = timed;
		const parsed = parseIntrospectionResponse(response);
		if (!parsed.ok) {
			// A 2xx that is not an introspection answer is a broken endpoint, not a healthy token.
			const status = response.status >= 200 && response.status < 300 ? 502 : response.status;
			return { probe: { kind: 'failed', classification: classifyApiResponse({ ...response, status }, url) }, clockSkewMs: skewOf(timed) };
		}
		return { probe: { kind: 'answered', tokenKind, ...parsed.value }, clockSkewMs: skewOf(timed) };
	} catch (error) {
		return { probe: { kind: 'failed', classification: classifyError(error, { url, phase: 'api' }) }, clockSkewMs: null };
	}
}
