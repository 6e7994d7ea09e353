// CEL validation rules, each defined once with a JavaScript twin.
//
// The API server evaluates the CEL expression; the offline validator (`imanage-operator
// validate`) and the operator evaluate the twin. Both come from the same definition, and
// test/cel-rules.test.ts feeds the same bad inputs to the real API server and to the twin, so
// the two cannot drift apart unnoticed.

/** One `x-kubernetes-validations` entry, exactly as it goes into the CRD. */
export interface CelValidation {
  readonly rule: string;
  readonly message: string;
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

/** The twin: `true` when the value satisfies the rule. `oldSelf` is given only on updates. */
export type CelTwin = (self: any, oldSelf?: any) => boolean;

export interface CelRuleDefinition extends CelValidation {
  /** A transition rule reads `oldSelf`; it is checked only on update, never offline. */
  readonly transition: boolean;
  readonly twin: CelTwin;
  /** Inputs the rule must reject, used by the conformance tests on both sides. */
  readonly rejects: readonly CelExample[];
  /**
   * The same rule in plain JSON Schema, where it can be written so, for the schemas published to
   * editors (schemas/*.json), which know no CEL.
   */
  readonly jsonSchema?: Record<string, unknown>;
}

export interface CelExample {
  readonly title: string;
  /** The kind the patch applies to; IManageConnection when absent. */
  readonly kind?: 'IManageConnection' | 'WorkspaceRepository';
  /** A JSON merge patch applied to a valid base object (see operator/api/validation/fixtures.ts). */
  readonly patch: Record<string, unknown>;
}

// Keyed by rule and message: one expression may guard several fields with messages of its own.
const registry = new Map<string, CelRuleDefinition>();
const definitions: CelRuleDefinition[] = [];
const keyOf = (v: CelValidation) => `${v.rule}\u0000${v.message}`;

/** Declares a rule and returns the entry to place under `x-kubernetes-validations`. */
export function celRule(def: Omit<CelRuleDefinition, 'transition'> & { transition?: boolean }): CelValidation {
  const full: CelRuleDefinition = { ...def, transition: def.transition ?? false };
  registry.set(keyOf(full), full);
  definitions.push(full);
  const entry: CelValidation = { rule: def.rule, message: def.message };
  return {
    ...entry,
    ...(def.fieldPath ? { fieldPath: def.fieldPath } : {}),
    ...(def.reason ? { reason: def.reason } : {}),
  };
}

export function celTwin(validation: CelValidation): CelRuleDefinition | undefined {
  return registry.get(keyOf(validation));
}

/** Every declared rule, once per field it guards (for the conformance tests). */
export function allCelRules(): readonly CelRuleDefinition[] {
  return definitions;
}

/** A regular expression usable both as an RE2 literal inside CEL and as a JavaScript RegExp. */
export class SharedRegex {
  readonly source: string;
  readonly js: RegExp;
  constructor(source: string) {
    this.source = source;
    this.js = new RegExp(source);
  }
  /** `<expr>.matches('<source>')`, escaped for a single-quoted CEL string. */
  cel(expr = 'self'): string {
    return `${expr}.matches('${this.source.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}')`;
  }
  test(value: unknown): boolean {
    return typeof value === 'string' && this.js.test(value);
  }
}
