import { auditVerdict, blastRadiusSentence } from '../../nodes/shared/diagnose/credentialAudit';
import type { WorkflowRef } from '../../nodes/shared/n8nApi/publicApi';
import {
	checkBaseUrl,
	isOAuthCredentialType,
	readPage,
	readCredential,
	readTestResult,
	readWorkflow,
	refusal,
	unsupportedCall,
	workflowsByCredential,
} from '../../nodes/shared/n8nApi/publicApi';

const BASE = 'http://127.0.0.1:5678';
const gmail = { id: 'c1', name: 'Support Gmail', type: 'gmailOAuth2' };
const ref = (id: string, name: string, active: boolean): WorkflowRef => ({
	id,
	name,
	active,
	url: `${BASE}/workflow/${id}`,
});

describe('public API records', () => {
	it('reads a page and its cursor, skipping records that are not credentials', () => {
		const page = readPage(
			{ data: [{ id: 'a', name: 'A', type: 'oAuth2Api' }, { name: 'no id' }, 'junk'], nextCursor: 'next' },
			readCredential,
		);
		expect(page).toEqual({
			ok: true,
			value: { items: [{ id: 'a', name: 'A', type: 'oAuth2Api' }], nextCursor: 'next' },
		});
		expect(readPage({ data: [], nextCursor: null }, readCredential)).toEqual({
			ok: true,
			value: { items: [], nextCursor: null },
		});
		expect(readPage({ message: 'Forbidden' }, readCredential).ok).toBe(false);
	});

	it('collects credential ids from saved and published nodes', () => {
		const workflow = readWorkflow({
			id: 'w1',
			name: 'Inbox triage',
			active: true,
			nodes: [{ credentials: { gmailOAuth2: { id: 'c1', name: 'Support Gmail' } } }, { name: 'no credentials' }],
			activeVersion: { nodes: [{ credentials: { slackOAuth2Api: { id: 'c2', name: 'Slack' } } }] },
		});
		expect(workflow).toEqual({ id: 'w1', name: 'Inbox triage', active: true, credentialIds: ['c1', 'c2'] });
	});

	it('maps credentials to their workflows, active ones first', () => {
		const map = workflowsByCredential(
			[
				{ id: 'w2', name: 'Archive', active: false, credentialIds: ['c1'] },
				{ id: 'w1', name: 'Inbox triage', active: true, credentialIds: ['c1'] },
			],
			BASE,
		);
		expect(map.get('c1')).toEqual([ref('w1', 'Inbox triage', true), ref('w2', 'Archive', false)]);
		expect(map.get('c9')).toBeUndefined();
	});

	it("finds OAuth2 types by the instance's names, including types this package does not know", () => {
		expect(
			['mcpOAuth2Api', 'gmailOAuth2', 'tokenGuardRefreshTokenApi', 'tokenGuardGoogleOAuth2Api'].map(
				isOAuthCredentialType,
			),
		).toEqual([true, true, true, true]);
		expect(
			['openAiApi', 'tokenGuardWebhookApi', 'tokenGuardN8nApi', 'httpHeaderAuth'].map(isOAuthCredentialType),
		).toEqual([false, false, false, false]);
	});

	it("reads n8n's test answers, telling a type without a test apart", () => {
		expect(readTestResult({ status: 'OK', message: 'Connection successful!' }).kind).toBe('passed');
		expect(readTestResult({ status: 'Error', message: 'No testing function found for this credential.' }).kind).toBe(
			'untestable',
		);
		// n8n's stand-in for OAuth2 types without a test: a stored token is no proof; none stored is a finding.
		expect(readTestResult({ status: 'OK', message: 'Connection Successful!' }).kind).toBe('untestable');
		expect(readTestResult({ status: 'OK', message: 'Connection successful!' }).kind).toBe('passed');
		expect(
			readTestResult({ status: 'Error', message: 'This OAuth2 credential was not connected to an account.' }).kind,
		).toBe('failed');
		expect(readTestResult({ status: 'Error', message: 'The credential "X" needs to be reconnected.' })).toEqual({
			kind: 'failed',
			message: 'The credential "X" needs to be reconnected.',
		});
	});

	it('names the missing scope and role in a refusal', () => {
		expect(refusal('listCredentials', 403).message).toBe(
			'The n8n API key may not list the credentials of the instance (HTTP 403): it needs the scope credential:list',
		);
		expect(refusal('listCredentials', 403).description).toContain('owner or an admin');
		expect(refusal('listWorkflows', 403).message).toContain('workflow:list');
		expect(refusal('testCredential', 403).message).toContain('credential:read');
		expect(refusal('listCredentials', 401).message).toContain('rejected the API key');
	});

	it('names the n8n that can, for a call this n8n does not offer (405)', () => {
		expect(unsupportedCall('listCredentials', 'GET', '/credentials')).toEqual({
			message:
				"This n8n's public API cannot list the credentials of the instance (HTTP 405 to GET /api/v1/credentials): Audit Credentials needs n8n 2.x",
			description:
				"n8n 2.x's public API can list the credentials of the instance (GET /api/v1/credentials, API key scope credential:list); n8n 1.x's cannot. Update n8n to use Audit Credentials.",
		});
	});

	it('accepts only an http(s) Base URL and drops trailing slashes', () => {
		expect(checkBaseUrl('http://127.0.0.1:5678//')).toEqual({ ok: true, value: 'http://127.0.0.1:5678' });
		expect(checkBaseUrl('').ok).toBe(false);
		expect(checkBaseUrl('ftp://host').ok).toBe(false);
		expect(checkBaseUrl('http://host/?q=1').ok).toBe(false);
	});
});

describe('audit verdict', () => {
	it("diagnoses a failed test with Diagnose Error's rules and names the active workflows", () => {
		const verdict = auditVerdict(
			gmail,
			[ref('w1', 'Inbox triage', true), ref('w2', 'Archive', false)],
			{ kind: 'failed', message: 'The credential "Support Gmail" needs to be reconnected.' },
			BASE,
		);
		expect(verdict.status).toBe('needsAttention');
		expect(verdict.diagnosis).toMatchObject({
			category: 'refresh_token_invalid',
			action: 'reconnect',
			provider: 'google',
			credential: { id: 'c1', type: 'gmailOAuth2', reconnectUrl: `${BASE}/home/credentials/c1` },
		});
		expect(verdict.summary).toMatch(/"Support Gmail".* It is used by 1 active workflow: Inbox triage\.$/);
	});

	it('is honest about a type n8n cannot test, and healthy when the test passes', () => {
		expect(auditVerdict(gmail, [], { kind: 'untestable', message: '' }, BASE)).toMatchObject({
			status: 'untestable',
			diagnosis: null,
		});
		expect(auditVerdict(gmail, [], { kind: 'passed', message: 'OK' }, BASE).summary).toBe(
			'The credential "Support Gmail" passed n8n\'s credential test. No workflow uses it.',
		);
	});

	it.each([
		['This OAuth2 credential was not connected to an account.', 'tokenGuardOAuth2Api', 'not_connected'],
		['Unable to sign without access token', 'tokenGuardOAuth2Api', 'not_connected'],
		['The credential "Agent tools" needs to be reconnected.', 'mcpOAuth2Api', 'refresh_token_invalid'],
	])("n8n's test message %p for a %s credential → %s", (message, type, category) => {
		const verdict = auditVerdict({ id: 'c9', name: 'Agent tools', type }, [], { kind: 'failed', message }, BASE);
		expect(verdict.diagnosis).toMatchObject({ category, credential: { type, id: 'c9' } });
	});

	it('lists at most five workflow names', () => {
		const seven = Array.from({ length: 7 }, (_, index) => ref(`w${index}`, `Flow ${index}`, true));
		expect(blastRadiusSentence(seven)).toBe(
			' It is used by 7 active workflows: Flow 0, Flow 1, Flow 2, Flow 3, Flow 4, ….',
		);
		expect(blastRadiusSentence([ref('w', 'Off', false)])).toBe('');
	});
});
