// The token part's public entry: controllers import operator/tokens only through this file
// (operator/boundaries.test.ts). Observe reads (readTokens), the controller plans (planTokenPass)
// and the executor carries the plan out (executeTokens).

export { type TokenContext, type TokenObserveInputs, type TokenReading, readTokens } from './observe.ts';
export { planTokenPass } from './flow.ts';
export { executeTokens, runTokenPass } from './execute.ts';
