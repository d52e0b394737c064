import {
	diagnose,
	happenedAtTokenEndpoint,
	isOAuthIssue,
	isRefreshFailure,
	needsAttention,
	reconnectUrlFor,
} from '../../nodes/shared/diagnose/diagnosis';
import { resolveField } from '../../nodes/shared/diagnose/errorPayload';
import type { Diagnosis, DiagnoseOptions } from '../../nodes/shared/diagnose/diagnosis';
import { ALL_CATEGORIES, CATEGORY_TRAITS } from '../../nodes/shared/classify/taxonomy';
import type { Category, Classification } from '../../nodes/shared/types';

const BASE = 'https://n8n.example.com';
const options: DiagnoseOptions = { instanceBaseUrl: BASE };

function diagnosed(json: unknown, extra: Partial<DiagnoseOptions> = {}): Diagnosis {
	const result = diagnose(json, { ...options, ...extra });
	if (!result.ok) throw new Error(`expected a diagnosis, got: ${result.error.message}`);
	return result.value;
}

const RECONNECT = 'The credential "Gmail account" needs to be reconnected.';
const gmailNode = {
	name: 'Gmail',
	type: 'n8n-nodes-base.gmail',
	credentials: { gmailOAuth2: { id: 'c1', name: 'Gmail account' } },
};

describe('where the error is found', () => {
	it.each([
		[
			'Error Trigger execution variant',
			{
				execution: { id: '9', url: 'u', mode: 'trigger', error: { message: RECONNECT } },
				workflow: { id: 'w', name: 'W' },
			},
			'execution.error',
		],
		[
			'Error Trigger trigger variant',
			{ trigger: { mode: 'trigger', error: { message: '', cause: { message: RECONNECT } } }, workflow: { id: 'w' } },
			'trigger.error',
		],
		['Continue On Fail text', { error: RECONNECT }, 'error'],
		['error output object', { error: { message: RECONNECT }, other: 1 }, 'error'],
		['the error object itself', { message: RECONNECT, httpCode: null }, '$json'],
	])('%s', (_name, json, path) => {
		const diagnosis = diagnosed(json);
		expect(diagnosis.errorFound).toBe(true);
		expect(diagnosis.errorPath).toBe(path);
		expect(diagnosis.category).toBe('refresh_token_invalid');
	});

	it('an item without an error is not_auth_related, says why, and is not an OAuth issue', () => {
		const diagnosis = diagnosed({ id: 1, name: 'just data' });
		expect(diagnosis).toMatchObject({
			errorFound: false,
			errorPath: null,
			category: 'not_auth_related',
			isOAuthIssue: false,
			severity: 'info',
		});
		expect(diagnosis.reason).toMatch(/execution\.error/);
		expect(diagnosis.remediation[0]).toMatch(/Error Field/);
	});

	it.each([
		['nested path', { body: { lastError: RECONNECT } }, 'body.lastError', 'body.lastError'],
		['$json prefix and array index', { runs: [{ error: RECONNECT }] }, '$json.runs[0].error', 'runs.0.error'],
		[
			'a field holding a whole Error Trigger item',
			{ payload: { execution: { error: { message: RECONNECT } } } },
			'payload',
			'payload.execution.error',
		],
	])('Error Field: %s', (_name, json, field, path) => {
		const diagnosis = diagnosed(json, { errorField: field });
		expect(diagnosis.errorPath).toBe(path);
		expect(diagnosis.category).toBe('refresh_token_invalid');
	});

	it.each([
		['missing leaf', { body: {} }, 'body.lastError', 'body'],
		['missing root', {}, 'result', ''],
		['through a string', { body: 'text' }, 'body.error', 'body'],
		['prototype keys never resolve', {}, '__proto__.constructor', ''],
	])('Error Field that does not exist: %s', (_name, json, field, prefix) => {
		const result = diagnose(json, { ...options, errorField: field });
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.error.field).toBe(field);
			expect(result.error.existingPrefix).toBe(prefix);
			expect(result.error.message).toContain('has no field');
		}
	});

	it('resolveField reads own properties only', () => {
		expect(resolveField({ a: { b: [0, { c: 'x' }] } }, 'a.b.1.c')).toEqual({ ok: true, value: 'x' });
		expect(resolveField({ a: {} }, 'a.toString').ok).toBe(false);
	});
});

describe('credential, node and source', () => {
	it('names the failed node and its credential with a reconnect link', () => {
		const diagnosis = diagnosed({
			execution: { id: '9', error: { message: RECONNECT, failure: { cause: 'credential-invalid' }, node: gmailNode } },
			workflow: { id: 'w1', name: 'CRM' },
		});
		expect(diagnosis.failedNode).toEqual({ name: 'Gmail', type: 'n8n-nodes-base.gmail' });
		expect(diagnosis.credential).toEqual({
			type: 'gmailOAuth2',
			id: 'c1',
			name: 'Gmail account',
			reconnectUrl: `${BASE}/home/credentials/c1`,
		});
		expect(diagnosis.provider).toBe('google');
		expect(diagnosis.summary).toContain('"Gmail account"');
		expect(diagnosis.remediation[0]).toContain(`${BASE}/home/credentials/c1`);
	});

	it('an OAuth failure picks the OAuth credential over an API key on the same node', () => {
		const node = {
			name: 'Agent',
			type: 'x.agent',
			credentials: { openAiApi: { id: 'k1', name: 'Key' }, googleSheetsOAuth2Api: { id: 'o1', name: 'Sheets' } },
		};
		expect(diagnosed({ error: { message: RECONNECT, node } }).credential.id).toBe('o1');
		expect(diagnosed({ error: { message: 'Incorrect API key provided: sk-xx', node } }).credential.id).toBe('k1');
	});

	it('an OAuth failure on a node without OAuth credential blames a tool credential, not the model', () => {
		const diagnosis = diagnosed({
			error: {
				message:
					'Network error during token refresh: 400 Client Error: Bad Request for url: https://oauth2.googleapis.com/token',
				node: {
					name: 'Gemini',
					type: '@n8n/n8n-nodes-langchain.lmChatGoogleGemini',
					credentials: { googlePalmApi: { id: 'g', name: 'Gemini' } },
				},
			},
		});
		expect(diagnosis).toMatchObject({ category: 'refresh_token_invalid', isOAuthIssue: true, provider: 'google' });
		expect(diagnosis.credential.id).toBeNull();
		expect(diagnosis.summary).toMatch(/Google OAuth credential .*not a model API key/);
		expect(diagnosis.remediation[0]).toMatch(/tools and sub-nodes/);
	});

	it("the item's own source wins; a trigger failure has no execution even with a fallback", () => {
		const fallbackSource = {
			executionId: 'current',
			executionUrl: 'u',
			workflowId: 'cw',
			workflowName: 'Current',
			mode: 'error',
		};
		const trigger = diagnosed(
			{ trigger: { mode: 'trigger', error: { message: RECONNECT } }, workflow: { id: 'w2', name: 'Inbox' } },
			{ fallbackSource },
		);
		expect(trigger.source).toEqual({
			executionId: null,
			executionUrl: null,
			workflowId: 'w2',
			workflowName: 'Inbox',
			mode: 'trigger',
		});
		const errorOutput = diagnosed({ error: RECONNECT }, { fallbackSource });
		expect(errorOutput.source).toEqual(fallbackSource);
	});

	it('workflow parameters on the failed node are not evidence', () => {
		const node = {
			name: 'HTTP',
			type: 'n8n-nodes-base.httpRequest',
			parameters: { body: 'too many requests: rate limit, token expired, invalid_grant' },
		};
		expect(diagnosed({ error: { message: 'Cannot read properties of undefined', node } }).category).toBe(
			'not_auth_related',
		);
	});

	it('adopts the verdict a Token Guard node recorded on its own error', () => {
		const diagnosis = diagnosed({
			error: {
				message: 'Something unusual happened',
				context: { tokenGuard: { category: 'scope_insufficient', provider: 'microsoft', oauthError: 'invalid_scope' } },
			},
		});
		expect(diagnosis).toMatchObject({ category: 'scope_insufficient', provider: 'microsoft', action: 'add_scopes' });
		expect(diagnosis.evidence.oauthError).toBe('invalid_scope');
		expect(diagnosis.reason).toMatch(/Token Guard node recorded/);
	});

	it('ignores a recorded verdict with an unknown category', () => {
		expect(diagnosed({ error: { message: 'Example', context: { tokenGuard: { category: 'bogus' } } } }).category).toBe(
			'not_auth_related',
		);
	});

	it('reconnectUrlFor trims slashes, encodes the id and needs both parts', () => {
		expect(reconnectUrlFor('https://n8n.example.com/', 'a b')).toBe('https://n8n.example.com/home/credentials/a%20b');
		expect(reconnectUrlFor('https://n8n.example.com', undefined)).toBeNull();
		expect(reconnectUrlFor('', 'c1')).toBeNull();
	});

	it.each([
		['a lone high surrogate', '\ud800', '%EF%BF%BD'],
		['a lone low surrogate between letters', 'a\udc00b', 'a%EF%BF%BDb'],
		['a high surrogate at the end after a pair', '\ud83d\ude42\ud83d', '%F0%9F%99%82%EF%BF%BD'],
		['a well-formed pair', '\ud83d\ude42', '%F0%9F%99%82'],
	])('reconnectUrlFor never throws on %s in the id', (_label, id, encoded) => {
		expect(reconnectUrlFor(BASE, id)).toBe(`${BASE}/home/credentials/${encoded}`);
	});

	it('a payload whose credential id holds a lone surrogate still gets a diagnosis with a reconnect link', () => {
		const node = { ...gmailNode, credentials: { gmailOAuth2: { id: 'c\ud800', name: 'Gmail account' } } };
		expect(diagnosed({ execution: { error: { message: RECONNECT, node } } }).credential.reconnectUrl).toBe(
			`${BASE}/home/credentials/c%EF%BF%BD`,
		);
	});
});

describe('secrets', () => {
	const canary = 'ya29.CANARY-access-token-1234567890abcdef';
	it.each([
		['Bearer header in the message', `Request failed: Authorization: Bearer ${canary}`],
		['access_token parameter', `GET https://api.example.com/x?access_token=${canary} failed with 401`],
		['JSON refresh_token value', `{"refresh_token":"${canary}","error":"invalid_grant"}`],
	])('%s never reaches the output', (_name, message) => {
		const diagnosis = diagnosed({ error: { message, node: gmailNode } });
		expect(JSON.stringify(diagnosis)).not.toContain(canary);
	});

	it('caps the evidence message', () => {
		expect(diagnosed({ error: `x ${'a'.repeat(5000)}` }).evidence.message?.length).toBeLessThanOrEqual(500);
	});
});

describe('isOAuthIssue, isRefreshFailure and needsAttention', () => {
	const classification = (category: Category, atTokenEndpoint: boolean): Classification => ({
		...CATEGORY_TRAITS[category],
		category,
		provider: 'unknown',
		reason: 'test',
		atTokenEndpoint,
	});

	it.each(ALL_CATEGORIES)('%s follows CATEGORY_TRAITS away from a token endpoint', (category) => {
		expect(isOAuthIssue(classification(category, false))).toBe(CATEGORY_TRAITS[category].isOAuthIssue);
	});

	it.each(['rate_limited', 'provider_unavailable'] as const)('%s at a token endpoint is an OAuth issue', (category) => {
		const atTokenEndpoint = classification(category, true);
		expect(happenedAtTokenEndpoint(atTokenEndpoint)).toBe(true);
		expect(isOAuthIssue(atTokenEndpoint)).toBe(true);
	});

	it('the classifier marks the token endpoint exactly when the failure was there', () => {
		expect(
			happenedAtTokenEndpoint(
				diagnosed({ error: '429 Too Many Requests for url: https://oauth2.googleapis.com/token' }),
			),
		).toBe(true);
		expect(
			happenedAtTokenEndpoint(
				diagnosed({ error: '429 Too Many Requests for url: https://sheets.googleapis.com/v4/x' }),
			),
		).toBe(false);
	});

	it.each([
		[{ category: 'refresh_token_invalid', isOAuthIssue: true, atTokenEndpoint: false }, true],
		[{ category: 'refresh_token_missing', isOAuthIssue: true, atTokenEndpoint: false }, true],
		[{ category: 'rate_limited', isOAuthIssue: true, atTokenEndpoint: true }, true],
		[{ category: 'access_token_rejected', isOAuthIssue: true, atTokenEndpoint: false }, false],
		[{ category: 'scope_insufficient', isOAuthIssue: true, atTokenEndpoint: false }, false],
		[{ category: 'rate_limited', isOAuthIssue: false, atTokenEndpoint: false }, false],
	] as const)('isRefreshFailure(%j) = %s', (diagnosis, expected) => {
		expect(isRefreshFailure(diagnosis)).toBe(expected);
	});

	it.each(ALL_CATEGORIES)('%s: only not_auth_related skips Needs Attention', (category) => {
		const traits = CATEGORY_TRAITS[category];
		expect(needsAttention({ isOAuthIssue: traits.isOAuthIssue, severity: traits.severity })).toBe(
			category !== 'not_auth_related',
		);
	});
});

describe('malformed input never throws', () => {
	it.each([
		['null', null],
		['number', 42],
		['array', [1, 'x', null]],
		['error is a number', { error: 500 }],
		['error is an empty object', { error: {} }],
		['execution.error is null', { execution: { error: null } }],
		['httpCode is garbage', { error: { message: 'x', httpCode: { nested: true } } }],
		['messages is not a list', { error: { message: 'x', messages: 'nope' } }],
		['credentials are strings', { error: { message: RECONNECT, node: { credentials: { gmailOAuth2: 'c1' } } } }],
		['own __proto__ key', JSON.parse('{"error":{"__proto__":{"message":"x"},"message":"y"}}')],
		['deep nesting', { error: JSON.parse(`${'{"cause":'.repeat(200)}{"message":"deep"}${'}'.repeat(200)}`) }],
	])('%s', (_name, json) => {
		const result = diagnose(json, options);
		expect(result.ok).toBe(true);
		if (result.ok) expect(ALL_CATEGORIES).toContain(result.value.category);
	});
});
