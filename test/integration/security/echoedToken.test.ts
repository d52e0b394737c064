/**
 * An API that echoes the access token in its error body: the error the item fails with quotes a
 * snippet of that body, redacted before it is cut to length, in whatever spelling the body uses
 * (verbatim, JSON-escaped with `\/`, percent-encoded). Neither the token nor its head may show.
 */
import { forgetRefreshMemory } from '../../../nodes/shared/refresh/sharedRefresh.adapter';
import { forgetRecentRefreshes } from '../../../nodes/shared/refresh/manualGrant';
import type { FaultServerHandle } from '../../servers/faultServer';
import { startFaultServer } from '../../servers/faultServer';
import type { OidcServerHandle } from '../../servers/oidcServer';
import type { StoredRef } from '../forceRefreshSupport';
import { addConnectCredential, addManualCredential, newHelper, runForceRefresh } from '../forceRefreshSupport';

/** Google access tokens carry `/`, which JSON encoders may write as `\/` and forms as `%2F`. */
const ACCESS_TOKEN = 'ya29.a0/CANARY/echo/7d1f3b9e5a2c8f4e6b0d';
const REFRESH_TOKEN = '1//0gCANARY-refresh-4e8a2c6f';
const SPELLINGS = {
	verbatim: ACCESS_TOKEN,
	jsonEscaped: ACCESS_TOKEN.split('/').join('\\/'),
	percentEncoded: encodeURIComponent(ACCESS_TOKEN),
};

let fault: FaultServerHandle;

beforeAll(async () => {
	fault = await startFaultServer();
});

afterAll(async () => {
	await fault.stop();
});

afterEach(() => {
	fault.reset();
	forgetRefreshMemory();
	forgetRecentRefreshes();
});

/** The credentials' authorization server is never called: the token is valid and a 400 is not an expiry signal. */
const idp = (): OidcServerHandle =>
	({
		issuer: fault.url,
		tokenUrl: `${fault.url}/token`,
		clientId: 'client-1',
		clientSecret: 'client-secret-CANARY-2b7e',
	}) as unknown as OidcServerHandle;

const credentialOf = (family: 'connect' | 'manual', helper: ReturnType<typeof newHelper>): StoredRef =>
	family === 'connect'
		? addConnectCredential(helper, idp(), { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN })
		: addManualCredential(helper, idp(), { accessToken: ACCESS_TOKEN, refreshToken: REFRESH_TOKEN });

describe.each(['connect', 'manual'] as const)('%s family: a 400 text body that echoes the access token', (family) => {
	it.each<[string, string]>([
		// Where the 300-character snippet limit cuts through the token.
		['verbatim, cut by the snippet limit', `${'x'.repeat(280)} token ${SPELLINGS.verbatim} was rejected`],
		['JSON-escaped inside a non-JSON body', `Rejected. Upstream said {"token":"${SPELLINGS.jsonEscaped}"} near line 1`],
		['JSON-escaped, cut by the snippet limit', `${'x'.repeat(275)} "${SPELLINGS.jsonEscaped}" was rejected`],
		['percent-encoded in an echoed URL', `GET /callback?state=1&t=${SPELLINGS.percentEncoded} failed`],
	])('%s', async (_case, body) => {
		fault.setDefault({ kind: 'text', status: 400, body, contentType: 'text/plain; charset=utf-8' });
		const helper = newHelper();
		const result = await runForceRefresh(helper, credentialOf(family, helper), {
			operation: 'request',
			url: `${fault.url}/v1/items`,
		});

		expect(fault.requests.map((request) => request.path)).toEqual(['/v1/items']);
		const error = result.error as (Error & { description?: string }) | undefined;
		expect(error?.message).toContain('answered HTTP 400');
		const shown = [
			error?.message,
			error?.description,
			JSON.stringify(result.outputs),
			...result.logs.map((line) => line.text),
		].join('\n');
		for (const spelling of Object.values(SPELLINGS)) {
			expect(shown).not.toContain(spelling.slice(0, 12));
		}
	});
});
