/**
 * Bad input (issue 7): 1,000 seeded runs of Force Refresh and Token Health through n8n-core, each with
 * one field made bad — a node parameter (literal or produced by an expression), a field of the manual
 * credential, the Connect-button credential's stored token data, or a mutated real-world Error Trigger
 * payload. The verdicts:
 *
 * - 0 crashes. A crash is anything but n8n's own node errors (NodeOperationError / NodeApiError), a
 *   node error that only relays a JavaScript runtime error ("x.trim is not a function"), or an
 *   unhandled rejection / uncaught exception while the runs go on.
 * - Every rejection names the field and says how to fix it. A rejection is a run that failed with a
 *   NodeOperationError before anything reached the API — the node refused the input itself (a server's
 *   answer, a NodeApiError, is not a rejection of the input).
 *   n8n refusing to start a workflow whose required parameter is empty counts when it names it too.
 * - Inputs that can never be right (an empty or non-URL URL, a negative margin, an http:// token URL to
 *   a public host without "Allow Insecure HTTP") must be rejected; with "Allow Insecure HTTP" on, that
 *   token URL must work.
 *
 * tokenHealthDiagnose.test.ts fuzzes 1,000 random payload shapes in one run; this file mutates the
 * real-world table instead and puts the payload next to fuzzed parameters, one run each.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { forgetRefreshMemory } from '../../../nodes/shared/refresh/sharedRefresh.adapter';
import { forgetRecentRefreshes } from '../../../nodes/shared/refresh/manualGrant';
import { ForceRefresh } from '../../../nodes/ForceRefresh/ForceRefresh.node';
import { TokenHealth } from '../../../nodes/TokenHealth/TokenHealth.node';
import { runNode } from '../../harness';
import type { HarnessCredentialsHelper, RunResult } from '../../harness';
import { startFaultServer } from '../../servers/faultServer';
import type { FaultServerHandle } from '../../servers/faultServer';
import { CONNECT_TYPE, MANUAL_TYPE, newHelper } from '../forceRefreshSupport';
import { PAYLOADS } from '../tokenHealthPayloads';
import { SecretScanner, integerBetween, pick, seededRandom } from './reliabilitySupport';

jest.setTimeout(180_000);

const CASES = 1_000;
const SEED = 20_260_707;

const scanner = new SecretScanner();

// ---------------------------------------------------------------------------------------------
// Servers: a loopback API and token endpoint, and a token endpoint on 127.0.0.2 — a host the manual
// credential treats as "not this machine", so plain http:// to it needs "Allow Insecure HTTP".

let api: FaultServerHandle;
let tokenEndpoint: FaultServerHandle;
let otherHost: Server;
let otherHostTokenUrl: string;
let otherHostTokenCalls = 0;

beforeAll(async () => {
	[api, tokenEndpoint] = await Promise.all([startFaultServer(), startFaultServer()]);
	tokenEndpoint.setDefault({ kind: 'token', expiresIn: 3600 });
	otherHost = createServer((request, response) => {
		request.resume();
		request.on('end', () => {
			otherHostTokenCalls++;
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end(
				JSON.stringify({
					access_token: `at-other-host-${otherHostTokenCalls}-0123456789`,
					token_type: 'Bearer',
					expires_in: 3600,
				}),
			);
		});
	});
	await new Promise<void>((resolve) => otherHost.listen(0, '127.0.0.2', resolve));
	otherHostTokenUrl = `http://127.0.0.2:${(otherHost.address() as AddressInfo).port}/token`;
});
afterAll(async () => {
	await Promise.all([
		api?.stop(),
		tokenEndpoint?.stop(),
		new Promise<void>((resolve) => (otherHost ? otherHost.close(() => resolve()) : resolve())),
	]);
});

// ---------------------------------------------------------------------------------------------
// The fields and their bad values

type Target = 'request' | 'refresh' | 'refreshIfExpiring' | 'diagnoseError' | 'checkCredential';

interface BadValue {
	value: unknown;
	/** The value can never be right: the run must be rejected. */
	mustReject?: boolean;
	/** The value is allowed and must work (the opt-in for http:// to another host). */
	mustSucceed?: boolean;
	/** Only as a literal: an expression cannot produce it (or must not, e.g. a host to contact). */
	literalOnly?: boolean;
	/**
	 * Only through an expression: as a literal, n8n replaces it with the parameter's default before the
	 * node runs (a literal null in a string parameter arrives as ''), so the node cannot tell it apart.
	 */
	expressionOnly?: boolean;
}

interface Mutator {
	/** What a rejection must mention: the parameter's display name, or the credential field. */
	field: string;
	names: RegExp;
	targets: Target[];
	values: BadValue[];
	/** Where the value goes. */
	apply: (value: unknown, base: CaseBuild) => void;
}

interface CaseBuild {
	parameters: INodeParameters;
	/** Fields of the manual credential, any value a stored credential could hold. */
	manualData?: Record<string, unknown>;
	connectTokenData?: unknown;
	family: 'connect' | 'manual';
}

const NOT_URLS: BadValue[] = [
	{ value: '', mustReject: true },
	{ value: '   ', mustReject: true },
	{ value: 'not a url', mustReject: true },
	{ value: '/v1/me', mustReject: true },
	{ value: 'ftp://127.0.0.1/file', mustReject: true },
	{ value: 'javascript:alert(1)', mustReject: true },
	{ value: 'http://', mustReject: true },
	{ value: 'https://', mustReject: true },
	{ value: '://127.0.0.1', mustReject: true },
	{ value: 'http://[::1', mustReject: true },
	{ value: '\u0000', mustReject: true },
	{ value: '🙂', mustReject: true },
	{ value: `not-a-url-${'x'.repeat(20_000)}`, mustReject: true },
	{ value: 5, mustReject: true },
	{ value: true, mustReject: true },
	{ value: {}, mustReject: true },
	{ value: [], mustReject: true },
	{ value: null, mustReject: true },
];

const NEGATIVE_OR_NOT_NUMBERS: BadValue[] = [
	{ value: -1, mustReject: true },
	{ value: -0.001, mustReject: true },
	{ value: -1e9, mustReject: true },
	{ value: Number.NaN, mustReject: true },
	{ value: Number.NEGATIVE_INFINITY, mustReject: true },
	{ value: 'abc', mustReject: true },
	{ value: '', mustReject: true },
	{ value: {}, mustReject: true },
];

const BELOW_ONE: BadValue[] = [
	...NEGATIVE_OR_NOT_NUMBERS,
	{ value: 0, mustReject: true },
	{ value: 0.5, mustReject: true },
];

const JUNK: BadValue[] = [
	{ value: '' },
	{ value: ' ' },
	{ value: 'x'.repeat(50_000) },
	{ value: '\u0000\uffff\ud800' },
	{ value: '🙂🔥' },
	{ value: '__proto__' },
	{ value: 'constructor' },
	{ value: 0 },
	{ value: -1 },
	{ value: 1e21 },
	{ value: true },
	{ value: {} },
	{ value: [] },
	{ value: null },
	{ value: { nested: { deeper: ['x', 1, null] } } },
];

const HEADER_OR_QUERY_PAIRS: BadValue[] = [
	{ value: [{ name: 'X-Huge', value: 'a'.repeat(100_000) }] },
	{ value: Array.from({ length: 500 }, (_unused, index) => ({ name: `X-Many-${index}`, value: 'v' })) },
	{ value: [{ name: 'bad name', value: 'x' }] },
	{ value: [{ name: 'X-Split', value: 'a\r\nInjected: yes' }] },
	{ value: [{ name: 'X-Ctl', value: '\u0000' }] },
	{ value: [{ name: '', value: 'no name' }] },
	{ value: [{ name: '__proto__', value: 'x' }] },
	{ value: [null, 5, 'x', { name: 7, value: {} }] },
	{ value: 'garbage' },
];

const parameter = (name: string) => (value: unknown, base: CaseBuild) => {
	base.parameters[name] = value as never;
};

const MUTATORS: Mutator[] = [
	{ field: 'URL', names: /\bURL\b/, targets: ['request'], values: NOT_URLS, apply: parameter('url') },
	{
		field: 'Refresh Before Expiry (Seconds)',
		names: /Refresh Before Expiry \(Seconds\)/,
		targets: ['request'],
		values: NEGATIVE_OR_NOT_NUMBERS,
		apply: parameter('proactiveMarginSeconds'),
	},
	{
		field: 'Max Attempts',
		names: /Max Attempts/,
		targets: ['request'],
		values: BELOW_ONE,
		apply: parameter('maxAttempts'),
	},
	{
		field: 'Max Total Wait (Seconds)',
		names: /Max Total Wait \(Seconds\)/,
		targets: ['request'],
		values: NEGATIVE_OR_NOT_NUMBERS,
		apply: parameter('maxTotalWaitSeconds'),
	},
	{
		field: 'Concurrency',
		names: /Concurrency/,
		targets: ['request'],
		values: BELOW_ONE,
		apply: parameter('concurrency'),
	},
	{
		field: 'Timeout (Ms)',
		names: /Timeout \(Ms\)/,
		targets: ['request'],
		values: [
			{ value: 0, mustReject: true },
			{ value: -5, mustReject: true },
			{ value: 'soon', mustReject: true },
			{ value: Number.NaN, mustReject: true },
		],
		apply: (value, base) => {
			base.parameters.options = { timeout: value as never };
		},
	},
	{
		field: 'Expiry Status Codes',
		names: /Expiry Status Codes/,
		targets: ['request'],
		values: [
			{ value: 'abc', mustReject: true },
			{ value: '401, nope', mustReject: true },
			{ value: '99', mustReject: true },
			{ value: '600', mustReject: true },
			{ value: '401;403' },
			{ value: 12345, mustReject: true },
			...JUNK,
		],
		apply: parameter('expiryStatusCodes'),
	},
	{
		field: 'Expired When (Body Rule)',
		names: /Expired When \(Body Rule\)/,
		targets: ['request'],
		values: [
			{ value: '/(/', mustReject: true },
			{ value: 'error', mustReject: true },
			{ value: '= x', mustReject: true },
			{ value: 'a in', mustReject: true },
			{ value: '[[[' },
			...JUNK,
		],
		apply: parameter('expiredWhen'),
	},
	{
		field: 'JSON Body',
		names: /JSON Body/,
		targets: ['request'],
		values: [
			{ value: '{"a":', mustReject: true },
			{ value: 'nope', mustReject: true },
			{ value: '[1,2', mustReject: true },
			{ value: '{}' },
			...JUNK,
		],
		apply: (value, base) => {
			Object.assign(base.parameters, { method: 'POST', bodyType: 'json', jsonBody: value as never });
		},
	},
	{
		field: 'Header Parameters',
		names: /Header|header/,
		targets: ['request'],
		values: HEADER_OR_QUERY_PAIRS.map((pairs) => ({ ...pairs, literalOnly: true })),
		apply: (value, base) => {
			Object.assign(base.parameters, { sendHeaders: true, headerParameters: { parameters: value as never } });
		},
	},
	{
		field: 'Query Parameters',
		names: /Query|query/,
		targets: ['request'],
		values: HEADER_OR_QUERY_PAIRS.map((pairs) => ({ ...pairs, literalOnly: true })),
		apply: (value, base) => {
			Object.assign(base.parameters, { sendQuery: true, queryParameters: { parameters: value as never } });
		},
	},
	{
		field: 'Response Format',
		names: /Response Format/,
		targets: ['request'],
		values: JUNK,
		apply: parameter('responseFormat'),
	},
	{
		field: 'Method',
		names: /Method|method/,
		targets: ['request'],
		values: [{ value: 'BREW' }, { value: 'get' }, ...JUNK],
		apply: parameter('method'),
	},
	{
		field: 'Body Content Type',
		names: /Body Content Type|body/,
		targets: ['request'],
		values: JUNK,
		apply: parameter('bodyType'),
	},
	{
		field: 'Credential Type',
		names: /Credential Type/,
		targets: ['request', 'refresh', 'refreshIfExpiring', 'checkCredential'],
		values: [
			{ value: 'nope', mustReject: true },
			{ value: 'oAuth1Api', mustReject: true },
			{ value: 5, mustReject: true },
			{ value: {}, mustReject: true },
		],
		apply: parameter('credentialType'),
	},
	{
		field: 'Margin (Seconds)',
		names: /Margin \(Seconds\)/,
		targets: ['refreshIfExpiring'],
		values: NEGATIVE_OR_NOT_NUMBERS,
		apply: parameter('marginSeconds'),
	},
	{
		field: 'Refresh When Expiry Is Unknown',
		names: /Refresh When Expiry Is Unknown/,
		targets: ['refreshIfExpiring'],
		values: JUNK,
		apply: parameter('refreshWhenUnknown'),
	},
	{
		field: 'Error Field',
		names: /Error Field/,
		targets: ['diagnoseError'],
		values: [{ value: 'a..b' }, { value: '[' }, { value: 'execution.error.nope' }, { value: '$json.' }, ...JUNK],
		apply: parameter('errorField'),
	},
	{
		field: 'Alert Cooldown (Minutes)',
		names: /Alert Cooldown \(Minutes\)/,
		targets: ['diagnoseError', 'checkCredential'],
		values: JUNK,
		apply: parameter('alertCooldownMinutes'),
	},
	{
		field: 'Expiry Margin (Minutes)',
		names: /Expiry Margin \(Minutes\)/,
		targets: ['checkCredential'],
		values: NEGATIVE_OR_NOT_NUMBERS,
		apply: parameter('expiryMarginMinutes'),
	},
	{
		field: 'Probe URL',
		names: /Probe URL/,
		targets: ['checkCredential'],
		// Empty means "no probe"; a literal null reaches the node as that same empty default.
		values: NOT_URLS.filter((bad) => !(typeof bad.value === 'string' && bad.value.trim() === '')).map((bad) =>
			bad.value === null ? { ...bad, expressionOnly: true } : bad,
		),
		apply: parameter('probeUrl'),
	},
	{
		field: 'Introspect Token',
		names: /Introspect Token/,
		targets: ['checkCredential'],
		values: [
			{ value: 'yes', mustReject: true },
			{ value: 5, mustReject: true },
			{ value: {}, mustReject: true },
		],
		apply: parameter('introspect'),
	},
	{
		field: 'Find Affected Workflows',
		names: /Find Affected Workflows/,
		targets: ['diagnoseError'],
		values: [
			{ value: 'yes', mustReject: true },
			{ value: 5, mustReject: true },
			{ value: {}, mustReject: true },
		],
		apply: parameter('findAffectedWorkflows'),
	},
	// A typed endpoint saved by an older version only switches introspection on; it is never called.
	{
		field: 'Introspection Endpoint (saved workflows)',
		names: /Introspection/,
		targets: ['checkCredential'],
		values: JUNK,
		apply: parameter('introspectionUrl'),
	},
	{
		field: 'Required Scopes',
		names: /Required Scopes/,
		targets: ['checkCredential'],
		values: JUNK,
		apply: parameter('requiredScopes'),
	},
	{
		field: 'tokenUrl',
		names: /tokenUrl|Token URL/,
		targets: ['request', 'refresh'],
		values: [
			{ value: '', mustReject: true, literalOnly: true },
			{ value: 'nope', mustReject: true, literalOnly: true },
			{ value: 'ftp://127.0.0.1/token', mustReject: true, literalOnly: true },
			// A public host over plain http: refused before anything is sent (.invalid never resolves anyway).
			{ value: 'http://auth.example.invalid/oauth/token', mustReject: true, literalOnly: true },
			{ value: 'http://10.20.30.40.invalid/token', mustReject: true, literalOnly: true },
			{ value: 5, mustReject: true, literalOnly: true },
		],
		apply: (value, base) => {
			base.family = 'manual';
			base.manualData = { ...base.manualData, tokenUrl: value };
		},
	},
	{
		field: 'allowInsecureHttp',
		names: /tokenUrl|Token URL/,
		targets: ['request', 'refresh'],
		values: [{ value: true, mustSucceed: true, literalOnly: true }],
		apply: (value, base) => {
			base.family = 'manual';
			base.manualData = { ...base.manualData, tokenUrl: otherHostTokenUrl, allowInsecureHttp: value };
		},
	},
	...(
		[
			[
				'clientId',
				/clientId|Client ID/,
				[
					{ value: '', mustReject: true },
					{ value: '   ', mustReject: true },
					{ value: 5, mustReject: true },
				],
			],
			[
				'refreshToken',
				/refreshToken|Refresh Token/,
				[
					{ value: '', mustReject: true },
					{ value: '\n', mustReject: true },
					{ value: {}, mustReject: true },
				],
			],
			[
				'clientAuthentication',
				/clientAuthentication|Client Authentication/,
				[
					{ value: 'weird', mustReject: true },
					{ value: 'Basic', mustReject: true },
				],
			],
			[
				'extraParameters',
				/extraParameters|Extra Parameters/,
				[
					{ value: 'grant_type=password', mustReject: true },
					{ value: '=x', mustReject: true },
					{ value: 'refresh_token=x', mustReject: true },
					{ value: 'scope=x', mustReject: true },
					{ value: '&&&' },
				],
			],
		] as Array<[string, RegExp, BadValue[]]>
	).map(([field, names, values]): Mutator => ({
		field,
		names,
		targets: ['request', 'refresh'],
		values: values.map((bad) => ({ ...bad, literalOnly: true })),
		apply: (value, base) => {
			base.family = 'manual';
			base.manualData = { ...base.manualData, [field]: value };
		},
	})),
	{
		field: 'oauthTokenData',
		names: /credential "[^"]+"/,
		targets: ['request', 'refresh', 'refreshIfExpiring', 'checkCredential'],
		values: [
			{ value: null },
			{ value: 'not json' },
			{ value: '{"access_token":' },
			{ value: 5 },
			{ value: [] },
			{ value: { access_token: 5, refresh_token: {} } },
			{
				value: {
					access_token: 'at-ok-0123456789',
					refresh_token: 'rt-ok-0123456789',
					expires_in: 'soon',
					n8n_expires_at: 'later',
				},
			},
			{ value: { access_token: 'eyJ.eyJ.x', refresh_token: 'rt-jwtish-0123456789', expires_in: -5 } },
			{ value: { access_token: 'at-scope-0123456789', refresh_token: 'rt-scope-0123456789', scope: [5, null, 'x'] } },
			{ value: { refresh_token: 'rt-only-0123456789' } },
		].map((bad) => ({ ...bad, literalOnly: true })),
		apply: (value, base) => {
			base.family = 'connect';
			base.connectTokenData = value;
		},
	},
];

// ---------------------------------------------------------------------------------------------
// Error Trigger payloads, mutated from the real-world table

const PAYLOAD_JUNK: unknown[] = [
	'',
	null,
	0,
	-1,
	true,
	'x'.repeat(50_000),
	'\u0000\ud800',
	'🙂',
	{},
	[],
	{ error: { error: { error: 'deep' } } },
	1e21,
];

function nestedDeep(depth: number): unknown {
	let value: unknown = 'bottom';
	for (let level = 0; level < depth; level++) value = level % 2 === 0 ? { error: value } : [value];
	return value;
}

/** Replaces, deletes, retypes or wraps 1–4 values somewhere inside a real payload. */
function mutatedPayload(random: () => number, fuzzCase: FuzzCase): IDataObject {
	const source = pick(random, PAYLOADS);
	fuzzCase.payloadName = source.name;
	const payload = structuredClone(source.json) as IDataObject;
	const mutations = integerBetween(random, 1, 4);
	for (let index = 0; index < mutations; index++) {
		let holder: Record<string, unknown> = payload;
		for (let depth = 0; depth < 6; depth++) {
			const keys = Object.keys(holder);
			if (keys.length === 0) break;
			const key = pick(random, keys);
			const next = holder[key];
			if (typeof next !== 'object' || next === null || random() < 0.3) {
				const roll = random();
				if (roll < 0.25) delete holder[key];
				else if (roll < 0.5) holder[key] = pick(random, PAYLOAD_JUNK);
				else if (roll < 0.65) holder[key] = typeof next === 'string' ? Number(next.length) : String(next);
				else if (roll < 0.8) holder[key] = [next, next];
				else if (roll < 0.9) holder[key] = nestedDeep(integerBetween(random, 50, 400));
				else
					Object.defineProperty(holder, pick(random, ['__proto__', 'constructor', 'toString']), {
						value: next,
						enumerable: true,
						configurable: true,
						writable: true,
					});
				break;
			}
			holder = next as Record<string, unknown>;
		}
	}
	return payload;
}

// ---------------------------------------------------------------------------------------------
// Building and judging one case

interface FuzzCase {
	index: number;
	/** The real-world payload a Diagnose Error case started from, once mutated. */
	payloadName?: string;
	mutator: Mutator;
	bad: BadValue;
	target: Target;
	viaExpression: boolean;
}

/** `={{ … }}` that evaluates to the value (numbers like NaN included; never a `}}` inside). */
function asExpression(value: unknown): string {
	if (typeof value === 'number' && !Number.isFinite(value)) return `={{ ${String(value)} }}`;
	return `={{ ${JSON.stringify(value, null, 1)} }}`;
}

function baseFor(target: Target): CaseBuild {
	switch (target) {
		case 'request':
			return {
				family: 'connect',
				parameters: {
					operation: 'request',
					url: `${api.url}/v1/items`,
					maxAttempts: 1,
					maxTotalWaitSeconds: 0,
					options: { timeout: 2_000 },
				},
			};
		case 'refresh':
			return { family: 'connect', parameters: { operation: 'refresh' } };
		case 'refreshIfExpiring':
			return { family: 'connect', parameters: { operation: 'refreshIfExpiring', marginSeconds: 300 } };
		case 'diagnoseError':
			return { family: 'connect', parameters: { operation: 'diagnoseError' } };
		case 'checkCredential':
			return { family: 'connect', parameters: { operation: 'checkCredential' } };
	}
}

let credentialCount = 0;

function addCredential(
	helper: HarnessCredentialsHelper,
	build: CaseBuild,
): { type: string; ref: { id: string; name: string } } {
	const row = ++credentialCount;
	const clientSecret = scanner.canary(`case${row}-client-secret`);
	if (build.family === 'manual') {
		const ref = helper.addCredential({
			id: `fuzz-manual-${row}`,
			name: `Fuzz manual ${row}`,
			type: MANUAL_TYPE,
			data: {
				tokenUrl: `${tokenEndpoint.url}/token`,
				clientId: 'fuzz-client',
				clientSecret,
				clientAuthentication: 'header',
				refreshToken: scanner.canary(`case${row}-refresh-token`),
				// Empty: the run has to refresh, so the credential's fields are read and checked.
				accessToken: '',
				expiresAt: '',
				...(build.manualData as IDataObject),
			},
		});
		return { type: MANUAL_TYPE, ref };
	}
	const tokenData =
		build.connectTokenData !== undefined
			? build.connectTokenData
			: {
					access_token: scanner.canary(`case${row}-access-token`),
					refresh_token: scanner.canary(`case${row}-refresh-token`),
					token_type: 'Bearer',
					expires_in: 3600,
					n8n_expires_at: String(Date.now() + 3_600_000),
				};
	const ref = helper.addCredential({
		id: `fuzz-connect-${row}`,
		name: `Fuzz connect ${row}`,
		type: CONNECT_TYPE,
		data: {
			grantType: 'authorizationCode',
			authUrl: `${tokenEndpoint.url}/auth`,
			accessTokenUrl: `${tokenEndpoint.url}/token`,
			clientId: 'fuzz-client',
			clientSecret,
			authentication: 'header',
			oauthTokenData: tokenData as IDataObject,
		},
	});
	return { type: CONNECT_TYPE, ref };
}

type Outcome =
	| { kind: 'ok' }
	| { kind: 'rejected'; message: string; description: string }
	/** A server answered (NodeApiError), or the request reached the API: the input itself was accepted. */
	| { kind: 'failed-at-server'; message: string }
	| { kind: 'crash'; message: string };

/** Runtime errors a node should never let through as its answer. */
const RUNTIME_ERROR =
	/is not a function|Cannot read propert|Cannot set propert|is not defined|is not iterable|Maximum call stack|Invalid array length|Cannot convert|of undefined|of null|URI malformed/;
const NODE_ERRORS = new Set(['NodeOperationError', 'NodeApiError']);
/** Words of an instruction: what to enter, use, set, pick, turn on, remove… */
const FIX =
	/\b(must|enter|use|set|pick|choose|turn on|turn off|remove|add|write|leave|copy|paste|re-select|reconnect|connect|check|update|e\.g\.)\b/i;

async function runCase(fuzzCase: FuzzCase, random: () => number): Promise<Outcome> {
	const build = baseFor(fuzzCase.target);
	fuzzCase.mutator.apply(fuzzCase.viaExpression ? asExpression(fuzzCase.bad.value) : fuzzCase.bad.value, build);
	const helper = newHelper();
	const credential = addCredential(helper, build);
	const isTokenHealth = fuzzCase.target === 'diagnoseError' || fuzzCase.target === 'checkCredential';
	const parameters: INodeParameters = { credentialType: credential.type, ...build.parameters };
	const apiCallsBefore = api.requests.length;
	let result: RunResult;
	try {
		result = await runNode({
			nodeType: isTokenHealth ? new TokenHealth() : new ForceRefresh(),
			helper,
			mode: isTokenHealth && fuzzCase.target === 'diagnoseError' ? 'error' : 'trigger',
			parameters,
			credentials: { [credential.type]: credential.ref },
			items: [
				{ json: fuzzCase.target === 'diagnoseError' ? mutatedPayload(random, fuzzCase) : { index: fuzzCase.index } },
			],
			executionId: `fuzz-${fuzzCase.index}`,
		});
	} catch (error) {
		scanner.recordThrown(`case ${fuzzCase.index}`, error);
		// n8n itself refuses to start a workflow whose required parameter is empty, naming it.
		const message = error instanceof Error ? error.message : String(error);
		if (error instanceof Error && error.name === 'WorkflowHasIssuesError')
			return { kind: 'rejected', message, description: 'Parameter is required: enter a value' };
		return { kind: 'crash', message: `${(error as Error)?.name}: ${message}` };
	} finally {
		scanner.watchCredentials(helper, [credential.ref.id]);
	}
	scanner.recordRun(`case ${fuzzCase.index}`, result);
	const error = result.error as (Error & { description?: string }) | undefined;
	if (error === undefined) {
		// Continue On Fail is off, so an error item here would be a node swallowing its own failure.
		return result.outputs.flat().length > 0
			? { kind: 'ok' }
			: { kind: 'crash', message: 'no error and no output item' };
	}
	const message = String(error.message);
	if (!NODE_ERRORS.has(error.name) || RUNTIME_ERROR.test(message))
		return { kind: 'crash', message: `${error.name}: ${message.slice(0, 200)}` };
	if (error.name === 'NodeApiError' || (fuzzCase.target === 'request' && api.requests.length > apiCallsBefore))
		return { kind: 'failed-at-server', message };
	return { kind: 'rejected', message, description: String(error.description ?? '') };
}

/**
 * Every listed bad value once on every operation it applies to (as a literal, and through an
 * expression where one can produce it), then cases drawn by the PRNG up to CASES.
 */
function planCases(random: () => number): FuzzCase[] {
	const planned: FuzzCase[] = [];
	const add = (mutator: Mutator, bad: BadValue, target: Target, viaExpression: boolean) =>
		planned.push({ index: planned.length, mutator, bad, target, viaExpression });
	for (const mutator of MUTATORS) {
		for (const bad of mutator.values) {
			for (const target of mutator.targets) {
				if (!bad.expressionOnly) add(mutator, bad, target, false);
				if (!bad.literalOnly) add(mutator, bad, target, true);
			}
		}
	}
	while (planned.length < CASES) {
		const mutator = pick(random, MUTATORS);
		const bad = pick(random, mutator.values);
		add(
			mutator,
			bad,
			pick(random, mutator.targets),
			bad.expressionOnly === true || (!bad.literalOnly && random() < 0.5),
		);
	}
	return planned.slice(0, CASES);
}

const describeCase = (fuzzCase: FuzzCase): string => {
	const shown =
		JSON.stringify(fuzzCase.bad.value === undefined ? null : fuzzCase.bad.value) ?? String(fuzzCase.bad.value);
	const payload = fuzzCase.payloadName === undefined ? '' : ` + mutated payload "${fuzzCase.payloadName.slice(0, 40)}"`;
	return `#${fuzzCase.index} ${fuzzCase.target} ${fuzzCase.mutator.field}=${fuzzCase.viaExpression ? 'expr:' : ''}${shown.slice(0, 60)}${payload}`;
};

// ---------------------------------------------------------------------------------------------

describe(`${CASES} fuzzed parameter values, credential fields and Error Trigger payloads (seed ${SEED})`, () => {
	const crashes: string[] = [];
	const unnamedRejections: string[] = [];
	const notRejected: string[] = [];
	const notSucceeded: string[] = [];
	const tally: Record<Outcome['kind'], number> = { ok: 0, rejected: 0, 'failed-at-server': 0, crash: 0 };
	const processFaults: string[] = [];
	const onProcessFault = (fault: unknown) =>
		processFaults.push(fault instanceof Error ? `${fault.name}: ${fault.message}` : String(fault));

	beforeAll(async () => {
		process.on('unhandledRejection', onProcessFault);
		process.on('uncaughtException', onProcessFault);
		const random = seededRandom(SEED);
		for (const fuzzCase of planCases(random)) {
			forgetRecentRefreshes();
			forgetRefreshMemory();
			const outcome = await runCase(fuzzCase, random);
			tally[outcome.kind]++;
			const label = describeCase(fuzzCase);
			if (outcome.kind === 'crash') crashes.push(`${label} → ${outcome.message}`);
			if (outcome.kind === 'rejected') {
				const shown = `${outcome.message}\n${outcome.description}`;
				if (!fuzzCase.mutator.names.test(shown) || !FIX.test(shown))
					unnamedRejections.push(`${label} → ${outcome.message.slice(0, 160)}`);
			}
			if (fuzzCase.bad.mustReject && outcome.kind !== 'rejected' && outcome.kind !== 'crash')
				notRejected.push(`${label} → ${outcome.kind}`);
			if (fuzzCase.bad.mustSucceed && outcome.kind !== 'ok') notSucceeded.push(`${label} → ${outcome.kind}`);
		}
	});
	afterAll(() => {
		process.off('unhandledRejection', onProcessFault);
		process.off('uncaughtException', onProcessFault);
	});

	it('ran every case, and the mix reached every outcome the suite judges', () => {
		expect(planCases(seededRandom(SEED)).filter((fuzzCase) => fuzzCase.index < CASES)).toHaveLength(CASES);
		expect(Object.values(tally).reduce((sum, count) => sum + count, 0)).toBe(CASES);
		expect(tally.ok).toBeGreaterThan(0);
		expect(tally.rejected).toBeGreaterThan(0);
	});

	it('0 crashes: only n8n node errors with a message of their own, no unhandled rejection', () => {
		expect(processFaults).toEqual([]);
		expect(crashes).toEqual([]);
	});

	it('every rejection names the field and says what to do', () => {
		expect(unnamedRejections).toEqual([]);
	});

	it('what can never be right is rejected (empty or non-URL URLs, negative margins, http:// to a public host, …)', () => {
		expect(notRejected).toEqual([]);
	});

	it('http:// to another host works once "Allow Insecure HTTP" is on', () => {
		expect(notSucceeded).toEqual([]);
		expect(otherHostTokenCalls).toBeGreaterThan(0);
	});

	it('no secret planted in any credential shows up in outputs, errors, run data or logs', () => {
		expect(scanner.surfaceCount).toBeGreaterThan(CASES / 2);
		expect(scanner.leaks()).toEqual([]);
	});
});
