import { DateTime } from 'luxon';

import {
	buildCloudEvent,
	episodeEventId,
	EVENT_TYPE_PREFIX,
	TOKEN_GUARD_EVENT_TYPES,
	type BuildCloudEventInput,
	type TokenGuardEventData,
} from '../../nodes/shared/events/events';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const baseData: TokenGuardEventData = {
	credential: { type: 'tokenGuardGoogleOAuth2Api', id: '12', name: 'Google (ops)' },
	provider: 'google',
	category: 'refresh_token_invalid',
	action: 'reconnect',
	severity: 'critical',
	attempts: 1,
	durationMs: 180,
	expiresAt: null,
	workflow: { id: 'wf1', name: 'Sync' },
	execution: { id: '99', url: 'https://n8n.example.com/workflow/wf1/executions/99', mode: 'trigger' },
	node: { name: 'Force Refresh', type: 'n8n-nodes-token-guard.forceRefresh' },
	details: { oauthError: 'invalid_grant' },
};

const input = (overrides: Partial<BuildCloudEventInput> = {}): BuildCloudEventInput => ({
	type: 'refresh.failed',
	instanceBaseUrl: 'https://n8n.example.com:5678/',
	workflowId: 'wf1',
	data: baseData,
	id: 'evt-1',
	now: DateTime.fromISO('2026-03-04T05:06:07.089Z', { setZone: true }),
	...overrides,
});

describe('buildCloudEvent', () => {
	it('builds a CloudEvents 1.0 structured envelope', () => {
		expect(buildCloudEvent(input())).toEqual({
			specversion: '1.0',
			id: 'evt-1',
			source: 'n8n://n8n.example.com:5678/workflow/wf1',
			type: 'io.n8n.tokenguard.refresh.failed',
			time: '2026-03-04T05:06:07.089Z',
			datacontenttype: 'application/json',
			data: baseData,
		});
	});

	it.each(TOKEN_GUARD_EVENT_TYPES.map((type) => [type]))('prefixes type %s', (type) => {
		expect(buildCloudEvent(input({ type })).type).toBe(`io.n8n.tokenguard.${type}`);
		expect(EVENT_TYPE_PREFIX).toBe('io.n8n.tokenguard.');
	});

	it.each([
		['missing workflow id', undefined, 'n8n://n8n.example.com:5678/workflow/unknown'],
		['empty workflow id', '', 'n8n://n8n.example.com:5678/workflow/unknown'],
		['workflow id with reserved characters', 'a/b c', 'n8n://n8n.example.com:5678/workflow/a%2Fb%20c'],
	])('source with %s', (_case, workflowId, expected) => {
		expect(buildCloudEvent(input({ workflowId })).source).toBe(expected);
	});

	it.each([
		['a path and query', 'http://localhost:5678/base/path?x=1', 'n8n://localhost:5678/workflow/wf1'],
		['no port', 'https://automation.acme.io', 'n8n://automation.acme.io/workflow/wf1'],
	])('source host from an instance URL with %s', (_case, instanceBaseUrl, expected) => {
		expect(buildCloudEvent(input({ instanceBaseUrl })).source).toBe(expected);
	});

	it('writes time in UTC whatever the zone of `now`', () => {
		const now = DateTime.fromISO('2026-03-04T10:06:07.089+05:00', { setZone: true });
		expect(buildCloudEvent(input({ now })).time).toBe('2026-03-04T05:06:07.089Z');
	});

	it('generates a fresh UUID when no id is given', () => {
		const first = buildCloudEvent(input({ id: undefined }));
		const second = buildCloudEvent(input({ id: undefined }));
		expect(first.id).toMatch(UUID_V4);
		expect(second.id).toMatch(UUID_V4);
		expect(first.id).not.toBe(second.id);
	});

	it('defaults time to now', () => {
		const before = DateTime.utc().toMillis();
		const event = buildCloudEvent(input({ now: undefined }));
		const time = DateTime.fromISO(event.time);
		expect(time.isValid).toBe(true);
		expect(event.time.endsWith('Z')).toBe(true);
		expect(time.toMillis()).toBeGreaterThanOrEqual(before);
	});

	it('survives a JSON round trip unchanged', () => {
		const event = buildCloudEvent(input());
		expect(JSON.parse(JSON.stringify(event))).toEqual(event);
	});

	it('copies data instead of sharing it with the caller', () => {
		const data: TokenGuardEventData = { ...baseData, details: { count: 1 } };
		const event = buildCloudEvent(input({ data }));
		(data.details as Record<string, unknown>).count = 2;
		expect(event.data.details).toEqual({ count: 1 });
	});

	it('redacts token-looking text and known secrets in data', () => {
		const data: TokenGuardEventData = {
			...baseData,
			details: {
				message: 'API answered 401 to Bearer ya29.abcdef123456',
				echoed: 'rt-known-secret',
				access_token: 'at-1',
			},
		};
		const serialized = JSON.stringify(buildCloudEvent(input({ data, secrets: ['rt-known-secret'] })));
		for (const secret of ['ya29.abcdef123456', 'rt-known-secret', '"at-1"']) expect(serialized).not.toContain(secret);
		expect(serialized).toContain('[redacted sha256:');
	});

	it.each<[string, Partial<BuildCloudEventInput>, string]>([
		['an unknown type', { type: 'refresh.done' as never }, '"type"'],
		['a type with the prefix', { type: 'io.n8n.tokenguard.refresh.failed' as never }, '"type"'],
		['an instance URL without scheme', { instanceBaseUrl: 'n8n.example.com' }, '"instanceBaseUrl"'],
		['an empty instance URL', { instanceBaseUrl: '' }, '"instanceBaseUrl"'],
		['an empty id', { id: ' ' }, '"id"'],
		['a non-string workflow id', { workflowId: 12 as never }, '"workflowId"'],
		['an invalid time', { now: DateTime.fromISO('not a date') }, '"now"'],
		['missing data', { data: undefined as never }, '"data"'],
		['missing credential', { data: { ...baseData, credential: undefined as never } }, '"data.credential"'],
		['an empty provider', { data: { ...baseData, provider: '' as never } }, '"data.provider"'],
		['an unknown severity', { data: { ...baseData, severity: 'fatal' as never } }, '"data.severity"'],
		['negative attempts', { data: { ...baseData, attempts: -1 } }, '"data.attempts"'],
		['a non-finite duration', { data: { ...baseData, durationMs: Number.NaN } }, '"data.durationMs"'],
	])('rejects %s with an error naming the field', (_case, overrides, field) => {
		expect(() => buildCloudEvent(input(overrides))).toThrow(field);
	});
});

describe('episodeEventId', () => {
	it('is a UUID (RFC 9562 version 8) that depends only on its parts', () => {
		const id = episodeEventId('error.diagnosed', 'wf-1', 'credential:c1', 'refresh_token_invalid', '481');
		expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(episodeEventId('error.diagnosed', 'wf-1', 'credential:c1', 'refresh_token_invalid', '481')).toBe(id);
		expect(episodeEventId('error.diagnosed', 'wf-1', 'credential:c1', 'refresh_token_invalid', '482')).not.toBe(id);
		expect(episodeEventId('refresh.failed', 'wf-1', 'credential:c1', 'refresh_token_invalid', '481')).not.toBe(id);
		// Length-prefixed parts: moving a boundary changes the id.
		expect(episodeEventId('ab', 'c')).not.toBe(episodeEventId('a', 'bc'));
	});
});
