const { cellFor } = require('../../test/e2e/compatibility.cjs') as {
	cellFor(outcomes: Array<{ title: string; status: string }>): string;
};

describe("the README Compatibility table's cells (test/e2e/compatibility.cjs)", () => {
	it.each([
		['every test passed', [{ title: 'a', status: 'passed' }], '✓'],
		[
			'one failed',
			[
				{ title: 'a', status: 'passed' },
				{ title: 'b', status: 'failed' },
			],
			'✗',
		],
		[
			'skipped for a named need',
			[{ title: 'a [needs n8n 2.39+ (error.failure)]', status: 'pending' }],
			'no: needs n8n 2.39+ (error.failure)',
		],
		[
			'part skipped',
			[
				{ title: 'a', status: 'passed' },
				{ title: 'b [needs X]', status: 'pending' },
			],
			'partly: needs X',
		],
		['no test matched', [], 'not run'],
	])('%s', (_name, outcomes, cell) => {
		expect(cellFor(outcomes)).toBe(cell);
	});
});
