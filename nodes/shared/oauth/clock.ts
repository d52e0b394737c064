/**
 * Clock skew between this host and a provider, read from the HTTP `Date` header of its responses.
 * A wrong local clock makes tokens look fresh when the provider already rejects them (or the other
 * way round), and n8n does not account for it (docs/ARCHITECTURE.md#what-n8n-does).
 */
import { DateTime } from 'luxon';

/**
 * The `Date` header has one-second resolution and the request takes time, so an estimated skew
 * smaller than this is measurement noise, not a wrong clock.
 */
export const CLOCK_SKEW_NOISE_MS = 1000;

/** The three HTTP-date forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime), as epoch ms. */
export function parseHttpDate(value: string): number | null {
	const parsed = DateTime.fromHTTP(value.trim(), { zone: 'utc' });
	return parsed.isValid ? parsed.toMillis() : null;
}

/**
 * Server time minus local time, in ms (positive: the server's clock is ahead).
 * The local reference is the midpoint of the exchange, because the server stamped the header
 * somewhere between our request leaving and the response arriving. The header truncates to the
 * whole second, so the server's clock lay in [Date, Date + 1 s); we take the middle of that second.
 * Returns null for a missing or unparsable header.
 */
export function clockSkewFromDateHeader(
	dateHeader: string | string[] | undefined,
	requestStartMs: number,
	responseEndMs: number,
): number | null {
	const raw = Array.isArray(dateHeader) ? dateHeader[0] : dateHeader;
	if (typeof raw !== 'string' || raw.trim() === '') return null;
	if (!Number.isFinite(requestStartMs) || !Number.isFinite(responseEndMs)) return null;
	const serverMs = parseHttpDate(raw);
	if (serverMs === null) return null;
	const localMidpointMs = (requestStartMs + responseEndMs) / 2;
	return Math.round(serverMs + 500 - localMidpointMs);
}

/** True when a measured skew is larger than the header's resolution can explain. */
export const isSignificantSkew = (skewMs: number | null): boolean =>
	skewMs !== null && Math.abs(skewMs) >= CLOCK_SKEW_NOISE_MS;
