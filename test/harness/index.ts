/** The real-execution test harness: see README.md in this folder. */
export * from './credentialsHelper';
export * from './runNode';
export { BUILT_IN_CREDENTIAL_TYPES } from './builtInCredentialTypes';
export type { CapturedLogLevel } from './logCapture';
