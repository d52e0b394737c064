/**
 * docs/ARCHITECTURE.md#secrets end to end: canary secrets planted in every secret field of every Token Guard
 * credential type, driven through the success and failure flows of the manual and Connect-button
 * credentials (real oidc-provider, and a fault server whose answers echo the secrets back), with
 * refresh.failed events sent through the real event sink to a webhook receiver. Every node output,
 * every error n8n records (message, description, stack, the whole run data), every captured log line
 * and every request a receiver or API saw is searched for the secrets: zero hits.
 * Requests are held to what their protocol needs: a token request carries its refresh token and
 * client secret, an API call its bearer token, a webhook delivery its custom header, and nothing more.
 */
import { randomBytes } from 'node:crypto';
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { TokenGuardOAuth2Api } from '../../credentials/TokenGuardOAuth2Api.credentials';
import { TokenGuardRefreshTokenApi } from '../../credentials/TokenGuardRefreshTokenApi.credentials';
import { TokenGuardWebhookApi } from '../../credentials/TokenGuardWebhookApi.credentials';
import { HarnessCredentialsHelper, capturedLogs, runNode } from '../harness';
import type { RunResult } from '../harness';
import { CredentialErrorProbeNode, TokenGuardProbeNode } from '../harness/foundationNodes';
import { startFaultServer } from '../servers/faultServer';
import type { Fault, FaultServerHandle, RecordedRequest } from '../servers/faultServer';
import { startOidcServer } from '../servers/oidcServer';
import type { OidcServerHandle } from '../servers/oidcServer';

const MANUAL = 'tokenGuardRefreshTokenApi';
const CONNECT = 'tokenGuardOAuth2Api';
const WEBHOOK = 'tokenGuardWebhookApi';
const MARKER = 'CANARY';
const TOKEN_PATH = '/token';
const API_PATH = '/api/me';
const HOOK_PATH = '/hooks/token-guard';
const API_KEY_HEADER = 'x-api-key';

const canary = (field: string): string => `${MARKER}-${field}-${randomBytes(12).toString('hex')}`;

/** The oidc-provider client secret is a canary too, so both oidc-backed credentials carry it. */
const OIDC_CLIENT_SECRET = canary('oidc-client-secret');
/** The webhook key is a canary too; the credential holds it as a Standard Webhooks secret (whsec_ + base64). */
const WEBHOOK_SIGNING_KEY = canary('signing-key');
const WEBHOOK_SIGNING_SECRET = `whsec_${Buffer.from(WEBHOOK_SIGNING_KEY).toString('base64')}`;
const WEBHOOK_API_KEY = canary('webhook-header');

// ---- the secret registry and the surfaces searched ----

/** value → label; labels (never values) are what a failing assertion prints. The first label wins. */
const secrets = new Map<string, string>();
/** Values that may be sent only in a receiver's own header (the webhook's custom header). */
const PROTOCOL_HEADER_VALUES = new Map<string, string>([[API_KEY_HEADER, WEBHOOK_API_KEY]]);

function plant(label: string, value: string): string {
	if (!secrets.has(value)) secrets.set(value, label);
	return value;
}
plant('oidc clientSecret', OIDC_CLIENT_SECRET);
plant('webhook signingSecret', WEBHOOK_SIGNING_SECRET);
plant('webhook signing key', WEBHOOK_SIGNING_KEY);
plant('webhook header value', WEBHOOK_API_KEY);

/** Every token the store ever held for a credential (planted, minted, rotated in, issued by a refresh). */
function registerStoredSecrets(helper: HarnessCredentialsHelper, id: string, label: string): void {
	const snapshots: ICredentialDataDecryptedObject[] = [
		helper.storedData(id),
		...helper.writes.filter((write) => write.id === id).map((write) => write.data),
	];
	snapshots.forEach((data, index) => {
		const tokenData = (data.oauthTokenData ?? {}) as IDataObject;
		const candidates: Record<string, unknown> = {
			accessToken: data.accessToken,
			refreshToken: data.refreshToken,
			clientSecret: data.clientSecret,
			'oauthTokenData.access_token': tokenData.access_token,
			'oauthTokenData.refresh_token': tokenData.refresh_token,
			'oauthTokenData.id_token': tokenData.id_token,
		};
		for (const [field, value] of Object.entries(candidates)) {
			if (typeof value === 'string' && value !== '') plant(`${label} ${field} (#${index})`, value);
		}
	});
}

/**
 * A secret counts as leaked whole, or as a 16-character head or tail (a truncated snippet); any
 * leftover canary marker counts too. `allowed` values (what the protocol sends there) are cut out first.
 */
function leakedLabels(text: string, allowed: string[] = []): string[] {
	const searched = allowed.reduce((remaining, value) => remaining.split(value).join(''), text);
	const found: string[] = [];
	for (const [value, label] of secrets) {
		const pieces = value.length > 24 ? [value, value.slice(0, 16), value.slice(-16)] : [value];
		if (pieces.some((piece) => searched.includes(piece))) found.push(label);
	}
	if (searched.includes(MARKER) && found.length === 0) found.push('a planted canary (marker found)');
	return found;
}

interface Surface {
	where: string;
	text: string;
}

/** Everything n8n keeps or shows from one execution. */
function runSurfaces(flow: string, result: RunResult): Surface[] {
	const error = result.error as (IDataObject & { message?: string; description?: string; stack?: string }) | undefined;
	return [
		{ where: `${flow}: node output`, text: JSON.stringify(result.outputs) },
		{ where: `${flow}: error message`, text: String(error?.message ?? '') },
		{ where: `${flow}: error description`, text: String(error?.description ?? '') },
		{ where: `${flow}: error stack`, text: String(error?.stack ?? '') },
		{ where: `${flow}: error (serialised)`, text: JSON.stringify(error ?? null) },
		{ where: `${flow}: run data`, text: JSON.stringify(result.run.data) },
		...result.logs.map((line, index) => ({ where: `${flow}: log line ${index} (${line.level})`, text: line.text })),
	];
}

function expectNoLeaks(surfaces: Surface[]): void {
	const leaks = surfaces.flatMap((surface) => leakedLabels(surface.text).map((label) => `${surface.where} → ${label}`));
	expect(leaks).toEqual([]);
}

/**
 * What a request must not carry: any secret beyond what its protocol sends there. A token request
 * sends the refresh token (and with body auth the client secret) as form fields — the Basic header is
 * base64, so it never matches — an API call sends its bearer token, a webhook delivery its custom header.
 */
function requestLeaks(request: RecordedRequest, role: 'token' | 'api' | 'webhook'): string[] {
	const where = `${role} request ${request.method} ${request.path}`;
	const formSecrets = role === 'token' ? [request.form?.refresh_token, request.form?.client_secret] : [];
	const leaks = leakedLabels(request.path).map((label) => `${where} URL → ${label}`);
	for (const [name, value] of Object.entries(request.headers)) {
		const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
		const bearer = role === 'api' && name === 'authorization' ? text.replace(/^Bearer /, '') : undefined;
		const allowed = [PROTOCOL_HEADER_VALUES.get(name), bearer].filter((item): item is string => item !== undefined);
		leaks.push(...leakedLabels(text, allowed).map((label) => `${where} header ${name} → ${label}`));
	}
	const allowedInBody = formSecrets.filter((item): item is string => item !== undefined && item !== '');
	leaks.push(...leakedLabels(request.body, allowedInBody).map((label) => `${where} body → ${label}`));
	return leaks;
}

// ---- servers and credentials ----

let oidc: OidcServerHandle;
let tokenEndpoint: FaultServerHandle;
/** A protected API that refuses the first call (the stored access token) and accepts every later one. */
let api: FaultServerHandle;
let receiver: FaultServerHandle;
let credentialCount = 0;

beforeAll(async () => {
	[oidc, tokenEndpoint, api, receiver] = await Promise.all([
		startOidcServer({ clientSecret: OIDC_CLIENT_SECRET, accessTokenTtlSeconds: 60 }),
		startFaultServer(),
		startFaultServer(),
		startFaultServer(),
	]);
});
afterAll(async () => {
	await Promise.all([oidc?.stop(), tokenEndpoint?.stop(), api?.stop(), receiver?.stop()]);
});
beforeEach(() => {
	tokenEndpoint.reset();
	receiver.reset();
	api.reset();
});

/** The API call that makes n8n run preAuthentication: 401 for the stored token, then 200 for a refreshed one. */
function apiRejectingStoredToken(): string {
	api.enqueue({
		kind: 'json',
		status: 401,
		body: { error: 'invalid_token' },
		headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
	});
	return `${api.url}${API_PATH}`;
}

const allRequestLeaks = (): string[] => [
	...tokenEndpoint.requests.flatMap((request) => requestLeaks(request, 'token')),
	...api.requests.flatMap((request) => requestLeaks(request, 'api')),
	...receiver.requests.flatMap((request) => requestLeaks(request, 'webhook')),
];

function newHelper(): HarnessCredentialsHelper {
	return new HarnessCredentialsHelper()
		.registerCredentialType(new TokenGuardRefreshTokenApi())
		.registerCredentialType(new TokenGuardOAuth2Api())
		.registerCredentialType(new TokenGuardWebhookApi());
}

interface Setup {
	helper: HarnessCredentialsHelper;
	credentials: Record<string, { id: string; name: string }>;
	id: string;
	label: string;
}

function withWebhook(helper: HarnessCredentialsHelper, credentials: Setup['credentials']): void {
	credentials[WEBHOOK] = helper.addCredential({
		id: `webhook-${credentialCount}`,
		name: 'Alerts webhook',
		type: WEBHOOK,
		data: {
			url: `${receiver.url}${HOOK_PATH}`,
			signingSecret: WEBHOOK_SIGNING_SECRET,
			headers: JSON.stringify({ 'X-Api-Key': WEBHOOK_API_KEY }),
		},
	});
}

/** A manual credential with canaries in clientSecret, refreshToken and accessToken (or real values where a real server needs them). */
function manualSetup(
	target: { tokenUrl: string; clientId: string; clientSecret: string },
	refreshToken: string,
): Setup {
	const label = `manual#${++credentialCount}`;
	const helper = newHelper();
	const id = `manual-${credentialCount}`;
	const credentials = {
		[MANUAL]: helper.addCredential({
			id,
			name: `Manual credential ${credentialCount}`,
			type: MANUAL,
			data: {
				tokenUrl: target.tokenUrl,
				clientId: target.clientId,
				clientSecret: plant(`${label} clientSecret`, target.clientSecret),
				clientAuthentication: 'header',
				refreshToken: plant(`${label} refreshToken`, refreshToken),
				accessToken: plant(`${label} accessToken`, canary('manual-access-token')),
			},
		}),
	};
	withWebhook(helper, credentials);
	return { helper, credentials, id, label };
}

/** A Connect-button credential with canaries in clientSecret and oauthTokenData's access, refresh and id tokens. */
function connectSetup(refreshToken: string): Setup {
	const label = `connect#${++credentialCount}`;
	const helper = newHelper();
	const id = `connect-${credentialCount}`;
	const credentials = {
		[CONNECT]: helper.addCredential({
			id,
			name: `Connect credential ${credentialCount}`,
			type: CONNECT,
			data: {
				authUrl: `${oidc.issuer}/auth`,
				accessTokenUrl: oidc.tokenUrl,
				clientId: oidc.clientId,
				clientSecret: OIDC_CLIENT_SECRET,
				authentication: 'header',
				oauthTokenData: {
					access_token: plant(`${label} access_token`, canary('connect-access-token')),
					refresh_token: plant(`${label} refresh_token`, refreshToken),
					id_token: plant(`${label} id_token`, canary('connect-id-token')),
					token_type: 'Bearer',
				},
			},
		}),
	};
	withWebhook(helper, credentials);
	return { helper, credentials, id, label };
}

const oidcTarget = () => ({ tokenUrl: oidc.tokenUrl, clientId: oidc.clientId, clientSecret: OIDC_CLIENT_SECRET });
const faultTarget = () => ({
	tokenUrl: `${tokenEndpoint.url}${TOKEN_PATH}`,
	clientId: 'fault-client',
	clientSecret: canary('fault-client-secret'),
});

type Mode = 'throw' | 'report' | 'n8nOnly';

/** Runs the flow, registers every secret the store ended up with, and returns the run. */
async function flow(setup: Setup, credentialType: string, url: string, mode: Mode): Promise<RunResult> {
	const parameters: INodeParameters =
		mode === 'n8nOnly'
			? { mode: 'authRequest', credentialType, url }
			: { credentialType, url, onFailure: mode, sendEvents: true };
	const result = await runNode({
		nodeType: mode === 'n8nOnly' ? new TokenGuardProbeNode() : new CredentialErrorProbeNode(),
		helper: setup.helper,
		parameters,
		credentials: setup.credentials,
	});
	registerStoredSecrets(setup.helper, setup.id, setup.label);
	return result;
}

/** Answers that quote the secrets back, the way careless token endpoints echo what they were sent. */
const ECHOING_ANSWERS: Array<[string, (refreshToken: string, clientSecret: string) => Fault]> = [
	[
		'invalid_grant quoting both',
		(rt, cs) => ({
			kind: 'oauthError',
			error: 'invalid_grant',
			description: `Refresh token ${rt} is invalid (client secret ${cs})`,
		}),
	],
	[
		'an HTML page quoting both',
		(rt, cs) => ({
			kind: 'html',
			status: 200,
			body: `<html><body><h1>Sign in</h1><p>refresh_token=${rt} client_secret=${cs}</p></body></html>`,
		}),
	],
	[
		'JSON without access_token echoing the request',
		(rt, cs) => ({ kind: 'json', status: 200, body: { refresh_token: rt, client_secret: cs, note: `${rt}:${cs}` } }),
	],
	[
		'a GitHub-style 200 error body quoting the token',
		(rt) => ({
			kind: 'json',
			status: 200,
			body: { error: 'bad_refresh_token', error_description: `The refresh token ${rt} is incorrect or expired.` },
		}),
	],
	[
		'plain text 400 quoting both',
		(rt, cs) => ({ kind: 'text', status: 400, body: `bad request: ${rt} ${cs}`, contentType: 'text/plain' }),
	],
];

// ---- the flows ----

describe('manual credential (tokenGuardRefreshTokenApi)', () => {
	it('oidc success: 401 → refresh → replay leaves no secret anywhere', async () => {
		const grant = await oidc.mintGrant();
		const setup = manualSetup(oidcTarget(), grant.refreshToken);
		plant(`${setup.label} minted access token`, grant.accessToken);
		const result = await flow(setup, MANUAL, oidc.apiUrl('me'), 'report');

		expect(result.outputs[0][0].json).toMatchObject({ failed: false });
		expect(setup.helper.storedData(setup.id).refreshToken).not.toBe(grant.refreshToken); // the flow really refreshed
		expectNoLeaks(runSurfaces('manual success', result));
	});

	it.each<[Mode]>([['throw'], ['report'], ['n8nOnly']])(
		'oidc revoked grant (%s): the failure leaves no secret anywhere',
		async (mode) => {
			const grant = await oidc.mintGrant();
			await oidc.revokeGrant(grant.grantId);
			const setup = manualSetup(oidcTarget(), grant.refreshToken);
			const result = await flow(setup, MANUAL, oidc.apiUrl('me'), mode);

			if (mode === 'report') {
				expect(result.outputs[0][0].json).toMatchObject({
					failed: true,
					category: 'refresh_token_invalid',
					delivery: { status: 'delivered' },
				});
				expect(receiver.requests).toHaveLength(1);
			} else {
				expect(result.error).toBeDefined();
			}
			expectNoLeaks(runSurfaces(`manual revoked (${mode})`, result));
			expect(allRequestLeaks()).toEqual([]);
		},
	);

	it.each(ECHOING_ANSWERS)(
		'token endpoint answering with %s: reported, thrown and wrapped by n8n without the secrets',
		async (name, answer) => {
			const target = faultTarget();
			const refreshToken = canary('manual-refresh-token');
			const surfaces: Surface[] = [];
			for (const mode of ['report', 'throw', 'n8nOnly'] as Mode[]) {
				tokenEndpoint.enqueue(answer(refreshToken, target.clientSecret));
				const result = await flow(manualSetup(target, refreshToken), MANUAL, apiRejectingStoredToken(), mode);
				if (mode === 'report')
					expect(result.outputs[0][0].json).toMatchObject({ failed: true, delivery: { status: 'delivered' } });
				else expect(result.error).toBeDefined();
				surfaces.push(...runSurfaces(`${name} (${mode})`, result));
			}
			expect(tokenEndpoint.requests).toHaveLength(3); // one refresh per run, each refused
			expectNoLeaks(surfaces);
			expect(allRequestLeaks()).toEqual([]);
		},
	);

	it('throttled on every attempt with the secrets in the body: rate_limited, nothing leaked', async () => {
		const target = faultTarget();
		const refreshToken = canary('manual-refresh-token');
		const throttled: Fault = {
			kind: 'retryAfterSeconds',
			status: 429,
			seconds: 0,
			body: { error: 'rate_limited', echo: `${refreshToken} ${target.clientSecret}` },
		};
		tokenEndpoint.enqueue(throttled, throttled, throttled, throttled);
		const setup = manualSetup(target, refreshToken);
		const result = await flow(setup, MANUAL, apiRejectingStoredToken(), 'report');

		expect(result.outputs[0][0].json).toMatchObject({ failed: true, category: 'rate_limited', attempts: 4 });
		expectNoLeaks(runSurfaces('throttled', result));
		expect(allRequestLeaks()).toEqual([]);
	});

	it('reset, then a rotated token from the fault server: success without a leak, API sees only the bearer token', async () => {
		const target = faultTarget();
		tokenEndpoint.enqueue(
			{ kind: 'reset' },
			{ kind: 'token', accessToken: canary('issued-access-token'), refreshToken: canary('issued-refresh-token') },
		);
		const setup = manualSetup(target, canary('manual-refresh-token'));
		const result = await flow(setup, MANUAL, apiRejectingStoredToken(), 'report');

		expect(result.outputs[0][0].json).toEqual({ failed: false, response: { ok: true } });
		expect(api.requests).toHaveLength(2); // the refused stored token, then the replay
		expectNoLeaks(runSurfaces('reset then token', result));
		expect(allRequestLeaks()).toEqual([]);
	});
});

describe("Connect-button credential (tokenGuardOAuth2Api, n8n's OAuth2 path)", () => {
	it('oidc success: 401 → n8n refresh → replay leaves no secret anywhere', async () => {
		const grant = await oidc.mintGrant();
		const setup = connectSetup(grant.refreshToken);
		const result = await flow(setup, CONNECT, oidc.apiUrl('me'), 'report');

		expect(result.outputs[0][0].json).toMatchObject({ failed: false });
		const tokenData = setup.helper.storedData(setup.id).oauthTokenData as IDataObject;
		expect(tokenData.refresh_token).not.toBe(grant.refreshToken);
		expectNoLeaks(runSurfaces('connect success', result));
	});

	it.each<[Mode]>([['throw'], ['report'], ['n8nOnly']])(
		"oidc revoked grant (%s): n8n's reconnect error leaves no secret anywhere",
		async (mode) => {
			const grant = await oidc.mintGrant();
			await oidc.revokeGrant(grant.grantId);
			const setup = connectSetup(grant.refreshToken);
			const result = await flow(setup, CONNECT, oidc.apiUrl('me'), mode);

			if (mode === 'report')
				expect(result.outputs[0][0].json).toMatchObject({ failed: true, delivery: { status: 'delivered' } });
			else expect(result.error).toBeDefined();
			expectNoLeaks(runSurfaces(`connect revoked (${mode})`, result));
			expect(allRequestLeaks()).toEqual([]);
		},
	);
});

describe('webhook credential (tokenGuardWebhookApi) when delivery fails', () => {
	it.each<[string, Fault[]]>([
		[
			'401 quoting the headers it got',
			[
				{
					kind: 'json',
					status: 401,
					body: { error: 'bad signature', got: { [API_KEY_HEADER]: WEBHOOK_API_KEY, secret: WEBHOOK_SIGNING_SECRET } },
				},
			],
		],
		[
			'500 three times',
			Array.from({ length: 3 }, (): Fault => ({ kind: 'html', status: 500, body: `<p>${WEBHOOK_API_KEY}</p>` })),
		],
		['reset three times', Array.from({ length: 3 }, (): Fault => ({ kind: 'reset' }))],
	])('receiver answering %s: the failed delivery is reported without a secret', async (_name, answers) => {
		receiver.enqueue(...answers);
		tokenEndpoint.enqueue({ kind: 'oauthError', error: 'invalid_grant' });
		const setup = manualSetup(faultTarget(), canary('manual-refresh-token'));
		const result = await flow(setup, MANUAL, apiRejectingStoredToken(), 'report');

		expect(result.outputs[0][0].json).toMatchObject({ failed: true, delivery: { status: 'failed' } });
		expect(receiver.requests.length).toBeGreaterThan(0);
		expectNoLeaks(runSurfaces('webhook failure', result));
		expect(allRequestLeaks()).toEqual([]);
	});
});

describe('all captured logs', () => {
	it('hold none of the secrets planted, minted or rotated in during this file', () => {
		const lines = capturedLogs();
		expect(lines.length).toBeGreaterThan(0);
		expectNoLeaks(lines.map((line, index) => ({ where: `log line ${index} (${line.level})`, text: line.text })));
	});
});
