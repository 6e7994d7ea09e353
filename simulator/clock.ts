// The simulator's notion of "now" is injected so that token lifetimes and pending redirect-URI
// registrations (which take 24–48 hours at iManage) can be tested by moving a clock, not by waiting.
// Only `now()` is needed, so any clock with that method fits (including the operator's FakeClock).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(start: Date | number = Date.UTC(2025, 0, 1)) {
    this.#nowMs = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  advance(ms: number): void {
    this.#nowMs += ms;
  }

  set(at: Date): void {
    this.#nowMs = at.getTime();
  }
}
