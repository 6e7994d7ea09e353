// The shape every iManage error shares, whichever endpoint it came from (OAuth, Work API): a kind
// (`failure`) to branch on, whether the same request may succeed later (`retryable`), and what the
// server said in code form. oauth-errors.ts and work-errors.ts each derive their family from it.

export interface ErrorDetails {
  /** RFC 6749 `error` or iManage's `error.code`, when the server sent one. */
  readonly serverCode?: string;
  readonly httpStatus?: number;
  readonly cause?: unknown;
}

export abstract class IManageError<F extends string> extends Error {
  abstract readonly failure: F;
  /** The same request may succeed later without anyone changing anything. */
  abstract readonly retryable: boolean;
  readonly serverCode: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.serverCode = details.serverCode;
    this.httpStatus = details.httpStatus;
  }
}

type FamilyBase<F extends string> = abstract new (message: string, details?: ErrorDetails) => IManageError<F>;

/**
 * One error class per kind of a family: the kind is its name, and whether retrying may help is
 * fixed per kind. Instances are `instanceof` the family's base.
 */
export function errorKind<F extends string, K extends F>(Base: FamilyBase<F>, failure: K, retryable: boolean) {
  abstract class Kind extends Base {}
  return class extends Kind {
    override readonly name: K = failure;
    readonly failure: K = failure;
    readonly retryable = retryable;
  };
}

/** An error and the causes it wraps, outermost first, at most eight deep. */
export function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}
