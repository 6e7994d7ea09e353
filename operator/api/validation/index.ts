// Validates one resource of either kind: the schema (with the CEL twins), then the semantic
// checks. The CLI's `validate` and the operator call this same function.

import type { IManageConnection, WorkspaceRepository } from '../generated/types.ts';
import { API_VERSION, GROUP, KINDS } from '../schemas/index.ts';
import type { Problem } from './problems.ts';
import { type SchemaValidator, compileSchemaValidator } from './schema-validator.ts';
import { checkConnection, checkRepository } from './semantic.ts';

export { type Problem, formatProblem } from './problems.ts';
export {
  checkPassphrase,
  codePointsUpTo,
  effectiveRedirectUris,
  MIN_PASSPHRASE_LENGTH,
  PASSPHRASE_ADVICE,
  PASSPHRASE_TOO_SHORT,
  PASSPHRASE_PREDICTABLE,
  passphraseIsPredictable,
  type EffectiveRedirectUri,
} from './semantic.ts';

let validators: Map<string, SchemaValidator> | undefined;

function validatorFor(kind: string): SchemaValidator | undefined {
  validators ??= new Map(KINDS.map((k) => [k.kind, compileSchemaValidator(k)]));
  return validators.get(kind);
}

/** True for the kinds this operator owns; `validate` ignores every other document. */
export function isOwnedKind(doc: unknown): boolean {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof d?.apiVersion === 'string' && d.apiVersion.startsWith(`${GROUP}/`) && typeof d.kind === 'string';
}

export interface ValidationResult<T> {
  readonly problems: readonly Problem[];
  /** The object with schema defaults applied, when it is valid. */
  readonly value?: T;
}

export interface ValidateOptions {
  /**
   * `check` (the default, as the CLI's `validate` reads a manifest): a status in the document is
   * checked and defaulted like any other field. `asWritten` (the controllers' spec check): the status
   * is the operator's own output, which the API server has already checked against the same schema
   * on its way in; it is neither checked nor copied again, and the value carries it as it came. In a
   * reconciled repository the status is most of the object: checking and cloning it was two thirds of
   * the check's time (docs/scale.md).
   */
  readonly status?: 'check' | 'asWritten';
}

/** Never throws: any input yields a result. The input is not modified. */
export function validateResource(
  doc: unknown,
  options: ValidateOptions = {},
): ValidationResult<IManageConnection | WorkspaceRepository> {
  const d = doc as { apiVersion?: unknown; kind?: unknown };
  if (d?.apiVersion !== API_VERSION) {
    return {
      problems: [
        {
          path: 'apiVersion',
          message: `unsupported apiVersion ${show(d?.apiVersion)}`,
          fix: `use ${API_VERSION}`,
          code: 'UnsupportedVersion',
        },
      ],
    };
  }
  const validator = typeof d.kind === 'string' ? validatorFor(d.kind) : undefined;
  if (!validator) {
    return {
      problems: [
        {
          path: 'kind',
          message: `unknown kind ${show(d.kind)}`,
          fix: `use one of ${KINDS.map((k) => k.kind).join(', ')}`,
          code: 'UnknownKind',
        },
      ],
    };
  }
  let copy: IManageConnection | WorkspaceRepository;
  let kept: { readonly status: unknown } | undefined;
  try {
    const status = options.status === 'asWritten' ? (doc as { status?: unknown }).status : undefined;
    kept = status === undefined ? undefined : { status };
    copy = structuredClone(kept ? withoutStatus(doc as object) : doc) as IManageConnection | WorkspaceRepository;
  } catch {
    return {
      problems: [
        { path: '', message: 'is not plain data', fix: 'pass the object as parsed from YAML or JSON', code: 'NotData' },
      ],
    };
  }
  const problems = [...validator.validate(copy), ...semanticProblems(copy)];
  if (problems.length > 0) return { problems };
  // Defaulting gave the copy the schema's default status; the one that came goes in its place.
  if (kept) (copy as { status?: unknown }).status = kept.status;
  return { problems: [], value: copy };
}

function withoutStatus(doc: object): object {
  const { status: _taken, ...rest } = doc as { status?: unknown };
  return rest;
}

/** A value for a message: strings quoted, anything else by its type, never throwing. */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === undefined ? '(none)' : `(a ${typeof value})`;
}

function semanticProblems(doc: IManageConnection | WorkspaceRepository): Problem[] {
  const spec = doc.spec as unknown;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return [];
  return doc.kind === 'IManageConnection'
    ? checkConnection(doc.spec)
    : checkRepository((doc as WorkspaceRepository).spec);
}
