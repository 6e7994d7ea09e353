// The simulator's public surface for tests and demos. Standalone: nothing here imports operator/.
export { startSimulator, type RunningSimulator, type StartOptions } from './server.ts';
export { Admin, type WorldSummary, type CustomerSummary } from './admin/admin.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { configFromYaml, configFromObject, loadConfigFile } from './config/load.ts';
export type * from './config/spec.ts';
export type { FaultKind, Grant } from './config/types.ts';
export type { RequestLogEntry, RequestLogFilter } from './http/request-log.ts';
export { REDACTED, REQUEST_LOG_ENTRIES } from './http/request-log.ts';
export type { ActiveFault } from './faults/faults.ts';
export { ApiError, ConfigError, NotFoundError, OAuthError } from './errors.ts';
export { ASSUMPTIONS, type Assumption, type AssumptionId } from './assumptions.ts';
