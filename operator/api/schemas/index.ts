// The two kinds, assembled into whole-object schemas. Everything generated (CRDs, types, the
// validator) starts here.

import { GROUP, VERSION, type Schema, obj, str } from './common.ts';
import { iManageConnection } from './imanageconnection.ts';
import { workspaceRepository } from './workspacerepository.ts';

export { GROUP, VERSION, FIX, TS_TYPE } from './common.ts';
export { AREAS } from './workspacerepository.ts';
// Import the rules from here, not from cel.ts: this module loads both kinds, which declare them.
export { allCelRules, type CelRuleDefinition } from './cel.ts';

export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly description: string;
  readonly spec: Schema;
  readonly status: Schema;
  readonly printerColumns: readonly PrinterColumn[];
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'date' | 'integer';
  readonly jsonPath: string;
  readonly priority?: number;
}

export const KINDS: readonly KindDefinition[] = [iManageConnection, workspaceRepository];

export const API_VERSION = `${GROUP}/${VERSION}`;

/** The openAPIV3Schema of a kind, in the structural form the API server takes. */
export function objectSchema(k: KindDefinition): Schema {
  return obj(
    k.description,
    {
      apiVersion: str(
        `APIVersion defines the versioned schema of this representation of an object. Always ${API_VERSION}.`,
      ),
      kind: str(`Kind is a string value representing the REST resource this object represents. Always ${k.kind}.`),
      metadata: { type: 'object' },
      spec: k.spec,
      status: { ...k.status, default: { observedGeneration: -1 } },
    },
    { required: ['spec'] },
  );
}

export function kindByName(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}
