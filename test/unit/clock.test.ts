import {
	CLOCK_SKEW_NOISE_MS,
	clockSkewFromDateHeader,
	isSignificantSkew,
	parseHttpDate,
} from '../../nodes/shared/oauth/clock';

// Wed, 21 Oct 2015 07:28:00 GMT
const DATE_MS = 1445412480000;

describe('parseHttpDate', () => {
	it.each([
		['IMF-fixdate', 'Wed, 21 Oct 2015 07:28:00 GMT', DATE_MS],
		['RFC 850', 'Wednesday, 21-Oct-15 07:28:00 GMT', DATE_MS],
		['asctime', 'Wed Oct 21 07:28:00 2015', DATE_MS],
		['garbage', 'yesterday', null],
		['a bare number', '1', null],
		['ISO is not an HTTP-date', '2015-10-21T07:28:00Z', null],
	])('%s', (_name, value, expected) => {
		expect(parseHttpDate(value)).toBe(expected);
	});
});

describe('clockSkewFromDateHeader', () => {
	// The Date header truncates to the second, so the estimate takes the middle of that second (+500 ms).
	it.each<[string, string | string[] | undefined, number, number, number | null]>([
		['in sync, instant response', 'Wed, 21 Oct 2015 07:28:00 GMT', DATE_MS + 500, DATE_MS + 500, 0],
		['in sync, 200 ms round trip', 'Wed, 21 Oct 2015 07:28:00 GMT', DATE_MS + 400, DATE_MS + 600, 0],
		['server 5 min ahead', 'Wed, 21 Oct 2015 07:33:00 GMT', DATE_MS + 400, DATE_MS + 600, 300_000],
		['server 90 s behind', 'Wed, 21 Oct 2015 07:26:30 GMT', DATE_MS + 500, DATE_MS + 500, -90_000],
		[
			'array header takes the first value',
			['Wed, 21 Oct 2015 07:28:10 GMT', 'junk'],
			DATE_MS + 500,
			DATE_MS + 500,
			10_000,
		],
		['missing header', undefined, DATE_MS, DATE_MS, null],
		['empty header', '', DATE_MS, DATE_MS, null],
		['invalid header', 'not a date', DATE_MS, DATE_MS, null],
		['empty array', [], DATE_MS, DATE_MS, null],
		['non-finite local time', 'Wed, 21 Oct 2015 07:28:00 GMT', Number.NaN, DATE_MS, null],
	])('%s', (_name, header, startMs, endMs, expected) => {
		expect(clockSkewFromDateHeader(header, startMs, endMs)).toBe(expected);
	});

	it.each<[number | null, boolean]>([
		[null, false],
		[0, false],
		[CLOCK_SKEW_NOISE_MS - 1, false],
		[-(CLOCK_SKEW_NOISE_MS - 1), false],
		[CLOCK_SKEW_NOISE_MS, true],
		[-300_000, true],
	])('isSignificantSkew(%p) = %p', (skew, expected) => {
		expect(isSignificantSkew(skew)).toBe(expected);
	});

	it('noise threshold is one second (the header resolution)', () => {
		expect(CLOCK_SKEW_NOISE_MS).toBe(1000);
	});
});
