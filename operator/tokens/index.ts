// The token part's public entry: controllers import operator/tokens only through this file
// (operator/boundaries.test.ts). Observe reads (readTokens), the controller plans (planTokenPass)
// and the executor carries the plan out (executeTokens).

export { type TokenContext, type TokenObserveInputs, type TokenReading, readTokens } from './observe.ts';
export { planTokenPass } from './flow.ts';
export { executeTokens, runTokenPass } from './execute.ts';
export { lostTokenLine } from './lost-tokens.ts';
export { dropFinalizer, ensureFinalizer, releaseTokens, type TokenLifecycle, tokenLifecycle, type TokenOptions } from './lifecycle.ts';
export { apiProblem, serverMatchProblem, tokensStatus, tokensVerdict, type TokensVerdict } from './outcomes.ts';
export type { GrantKind, TokenFailureKind, TokenObservation } from './observation.ts';
export { type AccessTokens, NoAccessToken } from './access.ts';
export { discoverConnection, readApplication, readCaBundle } from './connection-secrets.ts';
export { KeyDerivationPending } from './envelope.ts';
export { earliestRefreshAt } from './schedule.ts';
export { certificateNotAfter, EncryptionKeyError } from './keys.ts';
