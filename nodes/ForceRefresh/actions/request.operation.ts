/**
 * Request With Auto-Refresh: the parts of n8n's HTTP Request node people use, signed with the
 * credential's access token, surviving token expiry. The UI is in request/description.ts, the
 * parameters in request/parameters.ts, one item's run in request/execute.ts, the run's summary line in
 * request/summary.ts.
 */
export { DEFAULT_CONCURRENCY, description } from './request/description';
export { concurrency, execute, prepare } from './request/execute';
export type { RequestRun } from './request/execute';
export { summarize } from './request/summary';
