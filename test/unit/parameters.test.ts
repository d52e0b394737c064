import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	booleanFlag,
	choice,
	describeValue,
	nonNegativeNumber,
	numberAtLeast,
	optionalHttpUrl,
	text,
	textValue,
} from '../../nodes/shared/parameters/parameters';
import { checkedParameter, checkedValue, isParameterError } from '../../nodes/shared/parameters/parameters.adapter';
import { alertSettings, scopeList } from '../../nodes/TokenHealth/actions/common';

const node: INode = {
	id: 'n1',
	name: 'Token Health',
	type: 'n8n-nodes-token-guard.tokenHealth',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** Just enough of IExecuteFunctions for parameter reads: values by name, the fallback when absent. */
function contextWith(parameters: Record<string, unknown>): IExecuteFunctions {
	return {
		getNode: () => node,
		getNodeParameter: (name: string, _itemIndex: number, fallback: unknown) =>
			name in parameters ? parameters[name] : fallback,
	} as unknown as IExecuteFunctions;
}

describe('describeValue', () => {
	it.each([
		['abc', '"abc"'],
		[5, '5'],
		[true, 'true'],
		[null, 'empty (null)'],
		[[], 'a list'],
		[{}, 'an object'],
		[`${'x'.repeat(60)}yyy`, `"${'x'.repeat(60)}…"`],
	])('%p is shown as %s', (value, shown) => {
		expect(describeValue(value)).toBe(shown);
	});
});

describe('nonNegativeNumber', () => {
	const check = nonNegativeNumber('5');

	it.each([
		[0, 0],
		[2.5, 2.5],
		[1e21, 1e21],
		['10', 10],
		[' 3 ', 3],
	])('accepts %p as %p', (value, expected) => {
		expect(check(value)).toEqual({ ok: true, value: expected });
	});

	it.each([
		[-1, 'is negative'],
		[-0.001, 'is negative'],
		[-1e9, 'is negative'],
		[Number.NaN, 'is not a number'],
		[Number.NEGATIVE_INFINITY, 'is not a number'],
		[Number.POSITIVE_INFINITY, 'is not a number'],
		['abc', 'is not a number'],
		['', 'is not a number'],
		['  ', 'is not a number'],
		[null, 'is not a number'],
		[{}, 'is not a number'],
		[[], 'is not a number'],
		[true, 'is not a number'],
	])('rejects %p (%s) and says what to enter', (value, problem) => {
		const result = check(value);
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.error.problem).toContain(problem);
		expect(result.error.fix).toMatch(/^Enter .*e\.g\. 5$/);
	});
});

describe('numberAtLeast', () => {
	it.each([
		[1, 1],
		[2.5, 2.5],
		['3', 3],
	])('accepts %p as %p (minimum 1)', (value, expected) => {
		expect(numberAtLeast(1, '3')(value)).toEqual({ ok: true, value: expected });
	});

	it.each([[0], [0.5], [-1], [Number.NaN], [Number.POSITIVE_INFINITY], ['abc'], [''], [null], [{}], [true]])(
		'rejects %p (minimum 1) and says what to enter',
		(value) => {
			expect(numberAtLeast(1, '3')(value)).toMatchObject({
				ok: false,
				error: {
					problem: expect.stringMatching(/^must be a number of at least 1, not /),
					fix: 'Enter 1 or more, e.g. 3',
				},
			});
		},
	);

	it('names the unit when one is given', () => {
		expect(numberAtLeast(0, '300', 'seconds')(-5)).toEqual({
			ok: false,
			error: { problem: 'must be a number of seconds, 0 or more, not -5', fix: 'Enter 0 or more, e.g. 300' },
		});
	});
});

describe('textValue and choice', () => {
	const fix = 'Enter the text to send';

	it.each([
		['abc', 'abc'],
		[' spaced ', ' spaced '],
		[5, '5'],
		[false, 'false'],
		[null, ''],
		[undefined, ''],
	])('textValue accepts %p as %p', (value, expected) => {
		expect(textValue(fix)(value)).toEqual({ ok: true, value: expected });
	});

	it.each([
		[{}, 'is an object, not text'],
		[[1], 'is a list, not text'],
	])('textValue refuses %p', (value, problem) => {
		expect(textValue(fix)(value)).toEqual({ ok: false, error: { problem, fix } });
	});

	const methods = choice([
		{ name: 'GET', value: 'GET' },
		{ name: 'POST', value: 'POST' },
	]);

	it.each([
		['GET', 'GET'],
		[' post ', 'POST'],
	])('choice accepts %p as %p', (value, expected) => {
		expect(methods(value)).toEqual({ ok: true, value: expected });
	});

	it.each([['BREW'], [''], [5], [null], [{}]])('choice refuses %p and lists the values', (value) => {
		expect(methods(value)).toEqual({
			ok: false,
			error: {
				problem: `${describeValue(value)} is not one of the values this field takes`,
				fix: 'Use one of GET, POST',
			},
		});
	});
});

describe('optionalHttpUrl', () => {
	const check = optionalHttpUrl('https://api.example.com/userinfo');

	it.each([
		['', undefined],
		['   ', undefined],
		['https://api.example.com/userinfo', 'https://api.example.com/userinfo'],
		['  http://127.0.0.1:8080/me ', 'http://127.0.0.1:8080/me'],
		['http://[::1]:3000/x', 'http://[::1]:3000/x'],
	])('accepts %p as %p', (value, expected) => {
		expect(check(value)).toEqual({ ok: true, value: expected });
	});

	it.each([
		['not a url'],
		['/v1/me'],
		['ftp://127.0.0.1/file'],
		['javascript:alert(1)'],
		['http://'],
		['https://'],
		['://127.0.0.1'],
		['http://[::1'],
		['\u0000'],
		['🙂'],
		[5],
		[true],
		[{}],
		[[]],
		[null],
	])('rejects %p and suggests a URL or leaving it empty', (value) => {
		expect(check(value)).toEqual({
			ok: false,
			error: {
				problem: expect.stringMatching(/is not (an absolute http\(s\) )?(a )?URL$/),
				fix: 'Enter a URL like https://api.example.com/userinfo or leave it empty',
			},
		});
	});
});

describe('text, booleanFlag and scopeList', () => {
	it.each([
		['', ''],
		[' body.lastError ', 'body.lastError'],
	])('text accepts %p as %p', (value, expected) => {
		expect(text('body.lastError')(value)).toEqual({ ok: true, value: expected });
	});

	it.each([[0], [1e21], [true], [{}], [[]], [null], [{ nested: { deeper: ['x', 1, null] } }]])(
		'text rejects %p',
		(value) => {
			expect(text('body.lastError')(value)).toMatchObject({
				ok: false,
				error: { fix: 'Enter text such as body.lastError, or leave it empty' },
			});
		},
	);

	it.each([
		[true, true],
		[false, false],
		['true', true],
		[' FALSE ', false],
	])('booleanFlag accepts %p as %p', (value, expected) => {
		expect(booleanFlag(value)).toEqual({ ok: true, value: expected });
	});

	it.each([['yes'], [''], [1], [0], [null], [{}]])(
		'booleanFlag rejects %p instead of reading it as truthy or falsy',
		(value) => {
			expect(booleanFlag(value).ok).toBe(false);
		},
	);

	it.each([
		['openid, email  profile', ['openid', 'email', 'profile']],
		[
			['openid', 'email'],
			['openid', 'email'],
		],
		['', []],
	])('scopeList accepts %p', (value, expected) => {
		expect(scopeList(value)).toEqual({ ok: true, value: expected });
	});

	it.each([[5], [true], [{}], [null], [['openid', 3]]])('scopeList rejects %p', (value) => {
		expect(scopeList(value).ok).toBe(false);
	});
});

describe('checkedParameter', () => {
	const probeUrl = { name: 'probeUrl', displayName: 'Probe URL', fallback: '' };

	it('returns the checked value, and the fallback when the parameter is absent', () => {
		expect(
			checkedParameter(
				contextWith({ probeUrl: ' https://a.example.com/me ' }),
				0,
				probeUrl,
				optionalHttpUrl('https://x.example.com'),
			),
		).toBe('https://a.example.com/me');
		expect(checkedParameter(contextWith({}), 0, probeUrl, optionalHttpUrl('https://x.example.com'))).toBeUndefined();
	});

	it('throws a NodeOperationError "<Field>: <problem>. <fix>." with the item index', () => {
		let thrown: unknown;
		try {
			checkedParameter(
				contextWith({ probeUrl: 'abc' }),
				3,
				probeUrl,
				optionalHttpUrl('https://api.example.com/userinfo'),
			);
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(NodeOperationError);
		expect((thrown as NodeOperationError).message).toBe(
			'Probe URL: "abc" is not an absolute http(s) URL. Enter a URL like https://api.example.com/userinfo or leave it empty.',
		);
		expect((thrown as NodeOperationError).description).toBe(
			'Enter a URL like https://api.example.com/userinfo or leave it empty.',
		);
		expect((thrown as NodeOperationError & { context: { itemIndex?: number } }).context.itemIndex).toBe(3);
		expect(isParameterError(thrown)).toBe(true);
	});

	it('checkedValue checks a value already read, under the given field name', () => {
		const context = contextWith({});
		expect(checkedValue(context, 0, 'Max Attempts', '2', numberAtLeast(1, '3'))).toBe(2);
		expect(() => checkedValue(context, 1, 'Max Attempts', 0, numberAtLeast(1, '3'))).toThrow(
			'Max Attempts: must be a number of at least 1, not 0. Enter 1 or more, e.g. 3.',
		);
	});

	it.each([
		['a NodeOperationError of its own', new NodeOperationError(node, 'Max Attempts: wrong')],
		['a plain Error', new Error('Max Attempts: wrong')],
		['a string', 'Max Attempts: wrong'],
		['nothing', undefined],
	])('isParameterError is false for %s', (_case, error) => {
		expect(isParameterError(error)).toBe(false);
	});
});

describe('alertSettings', () => {
	it.each([
		[{}, { cooldownMs: 60 * 60_000, duplicatesToNeedsAttention: false }],
		[{ alertCooldownMinutes: 0 }, { cooldownMs: 0, duplicatesToNeedsAttention: false }],
		[
			{ alertCooldownMinutes: '2', options: { duplicatesOutput: 'needsAttention' } },
			{ cooldownMs: 120_000, duplicatesToNeedsAttention: true },
		],
		[{ options: null }, { cooldownMs: 60 * 60_000, duplicatesToNeedsAttention: false }],
	])('reads %p', (parameters, expected) => {
		// The harness node is version 1; version 2 routes repeats to their own output.
		expect(alertSettings(contextWith(parameters), 0)).toEqual({ ...expected, alreadyReportedOutput: false });
		const version2 = { ...contextWith(parameters), getNode: () => ({ ...node, typeVersion: 2 }) } as IExecuteFunctions;
		expect(alertSettings(version2, 0).alreadyReportedOutput).toBe(true);
	});

	it.each([
		[{ alertCooldownMinutes: -1 }, /^Alert Cooldown \(Minutes\): -1 is negative\. Enter 0 or more/],
		[{ alertCooldownMinutes: 'soon' }, /^Alert Cooldown \(Minutes\): "soon" is not a number\./],
		[{ alertCooldownMinutes: {} }, /^Alert Cooldown \(Minutes\): an object is not a number\./],
		[{ options: { duplicatesOutput: 'elsewhere' } }, /^Options: Send Duplicates To is "elsewhere"\. Pick/],
		[{ options: 'garbage' }, /^Options: Send Duplicates To is "garbage"\. Pick/],
	])('rejects %p naming the field', (parameters, message) => {
		expect(() => alertSettings(contextWith(parameters), 0)).toThrow(message);
	});
});
