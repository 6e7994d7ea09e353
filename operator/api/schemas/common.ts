// Schema fragments shared by both kinds. Everything here is plain JSON Schema in the
// structural subset that Kubernetes accepts (no $ref, no additionalProperties: false — the
// generator adds that for the offline validator only).

import { SharedRegex, celRule } from './cel.ts';

export type Schema = Record<string, unknown>;

export const GROUP = 'imanage.operator.dev';
export const VERSION = 'v1alpha1';

/** Fix hints live beside the schema; the CRD generator strips this keyword. */
export const FIX = 'x-imanage-fix';
/** Names the TypeScript type of a shared fragment; the CRD generator strips this keyword. */
export const TS_TYPE = 'x-imanage-type';

export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A Go duration such as 90s, 5m or 1h30m, as Kubernetes APIs write them. */
export const DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

export function str(description: string, extra: Schema = {}): Schema {
  return { type: 'string', description, ...extra };
}

/**
 * Kubernetes' int-or-string: a structural schema allows no `type` beside it, so the CRD carries
 * the keyword alone; the validator, the TypeScript types and the editors' schemas read it as
 * `type: [integer, string]` (offlineSchema). String keywords apply to strings, number keywords to numbers.
 */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

export function intOrString(description: string, extra: Schema = {}): Schema {
  return { [INT_OR_STRING]: true, description, ...extra };
}

export function bool(description: string, defaultValue: boolean): Schema {
  return { type: 'boolean', description, default: defaultValue };
}

export function obj(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { type: 'object', description, properties, ...extra };
}

export function duration(description: string, defaultValue?: string): Schema {
  return str(description, {
    pattern: DURATION,
    maxLength: 32,
    ...(defaultValue ? { default: defaultValue } : {}),
    [FIX]: 'write a duration such as 30s, 5m or 1h30m',
  });
}

export function localObjectRef(description: string): Schema {
  return obj(
    description,
    {
      name: str('Name of the object, in the same namespace.', {
        minLength: 1,
        maxLength: 253,
        pattern: DNS_SUBDOMAIN,
        [FIX]: 'use a lower-case DNS name such as my-secret',
      }),
    },
    { required: ['name'], [TS_TYPE]: 'LocalObjectReference' },
  );
}

export function secretKeyRef(description: string, defaultKey: string): Schema {
  const ref = localObjectRef(description) as { properties: Record<string, Schema> };
  return {
    ...ref,
    [TS_TYPE]: 'SecretKeySelector',
    properties: {
      ...ref.properties,
      key: str('Key inside the Secret.', {
        default: defaultKey,
        minLength: 1,
        maxLength: 253,
        pattern: '^[-._a-zA-Z0-9]+$',
        [FIX]: 'a Secret key holds only letters, digits, "-", "_" and "."',
      }),
    },
  };
}

// ---- URLs -------------------------------------------------------------------------------------

const HTTPS = new SharedRegex('^https://');
/** Anything but printable ASCII: controls (ESC, BEL) reach status and terminals; other letters belong in xn-- form. */
const NOT_PRINTABLE_ASCII = new SharedRegex('[^!-~]');
const WHITESPACE = new SharedRegex('\\s');
const USERINFO = new SharedRegex('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*@');
const QUERY_OR_FRAGMENT = new SharedRegex('[?#]');
const FRAGMENT = new SharedRegex('#');
const UPPER_CASE_HOST = new SharedRegex('^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*[A-Z]');
/** An authority that names a port (IPv6 literals keep their colons inside brackets). */
export const EXPLICIT_PORT = new SharedRegex('^https://[^/?#]*:[0-9]*([/?#]|$)');
export const PORT_443 = new SharedRegex('^https://[^/?#]*:443([/?#]|$)');

const ok = (v: unknown) => typeof v === 'string';

export const urlRules = {
  printableAscii: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${NOT_PRINTABLE_ASCII.cel()}`,
      message:
        `${what} must hold printable ASCII only: remove control characters (ESC, BEL, …); write an ` +
        'internationalised host name in its xn-- form',
      twin: (s) => ok(s) && !NOT_PRINTABLE_ASCII.test(s),
      jsonSchema: { not: { pattern: NOT_PRINTABLE_ASCII.source } },
      rejects: [{ title: `${what} with an escape sequence`, patch: at('https://app.example.com/\u001b[2Jx') }],
    }),
  https: (what: string, at: CelPatch) =>
    celRule({
      rule: `${HTTPS.cel()}`,
      message: `${what} must start with https:// (iManage accepts only TLS; http:// is a common cause of invalid_redirect_uri)`,
      twin: (s) => ok(s) && HTTPS.test(s),
      jsonSchema: { pattern: HTTPS.source },
      rejects: [{ title: `${what} over http`, patch: at('http://app.example.com/x') }],
    }),
  noWhitespace: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${WHITESPACE.cel()}`,
      message: `${what} must not contain spaces or other whitespace; remove them (redirect URIs must match exactly)`,
      twin: (s) => ok(s) && !WHITESPACE.test(s),
      jsonSchema: { not: { pattern: WHITESPACE.source } },
      rejects: [{ title: `${what} with a space`, patch: at('https://app.example.com/a b') }],
    }),
  noUserinfo: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${USERINFO.cel()}`,
      message: `${what} must not carry credentials (user@host); put credentials in a Secret and reference it`,
      twin: (s) => ok(s) && !USERINFO.test(s),
      jsonSchema: { not: { pattern: USERINFO.source } },
      rejects: [{ title: `${what} with userinfo`, patch: at('https://user:pw@app.example.com/x') }],
    }),
  noQueryOrFragment: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${QUERY_OR_FRAGMENT.cel()}`,
      message: `${what} must not have a query (?) or fragment (#); give the base URL only`,
      twin: (s) => ok(s) && !QUERY_OR_FRAGMENT.test(s),
      jsonSchema: { not: { pattern: QUERY_OR_FRAGMENT.source } },
      rejects: [{ title: `${what} with a query`, patch: at('https://app.example.com/x?y=1') }],
    }),
  noFragment: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${FRAGMENT.cel()}`,
      message: `${what} must not have a fragment (#); OAuth 2.0 forbids fragments in redirect URIs (RFC 6749 §3.1.2)`,
      twin: (s) => ok(s) && !FRAGMENT.test(s),
      jsonSchema: { not: { pattern: FRAGMENT.source } },
      rejects: [{ title: `${what} with a fragment`, patch: at('https://app.example.com/x#y') }],
    }),
  lowerCaseHost: (what: string, at: CelPatch) =>
    celRule({
      rule: `!${UPPER_CASE_HOST.cel()}`,
      message: `${what} must have a lower-case host; iManage compares redirect URIs exactly, so write the host in lower case`,
      twin: (s) => ok(s) && !UPPER_CASE_HOST.test(s),
      jsonSchema: { not: { pattern: UPPER_CASE_HOST.source } },
      rejects: [{ title: `${what} with an upper-case host`, patch: at('https://App.example.com/x') }],
    }),
  noTrailingSlash: (what: string, at: CelPatch) =>
    celRule({
      rule: "!self.endsWith('/')",
      message: `${what} must not end with '/'; iManage compares redirect URIs exactly and a trailing slash is a different URI`,
      twin: (s) => ok(s) && !s.endsWith('/'),
      jsonSchema: { not: { pattern: '/$' } },
      rejects: [{ title: `${what} with a trailing slash`, patch: at('https://app.example.com/x/') }],
    }),
};

/** Builds the merge patch that puts a bad value into the field a rule guards. */
export type CelPatch = (badValue: string) => Record<string, unknown>;

// ---- status -----------------------------------------------------------------------------------

export function conditionsSchema(): Schema {
  return {
    type: 'array',
    description:
      "The latest observations of the object's state. Ready summarises them; Reconciling and Stalled follow kstatus so that kubectl, Argo CD and Flux read health correctly.",
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    items: obj(
      'A metav1.Condition.',
      {
        type: str('Type of condition in PascalCase, for example Ready.', { maxLength: 316 }),
        status: str('Status of the condition.', { enum: ['True', 'False', 'Unknown'] }),
        observedGeneration: {
          type: 'integer',
          format: 'int64',
          minimum: 0,
          description: 'The metadata.generation this condition was set for.',
        },
        lastTransitionTime: str('When the condition last changed status.', { format: 'date-time' }),
        reason: str('A PascalCase reason for the last transition.', { maxLength: 1024, minLength: 1 }),
        message: str('What happened and what to do next.', { maxLength: 32768 }),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'], [TS_TYPE]: 'Condition' },
    ),
  };
}

export function observedGenerationSchema(): Schema {
  return {
    type: 'integer',
    format: 'int64',
    // kstatus reads an object with no status as Current; -1 until the operator has seen it.
    default: -1,
    description:
      'The metadata.generation the operator last acted on; -1 until it has seen the object, so that kstatus (Flux, helm --wait) does not read a new object as finished.',
  };
}

export function metadataSchema(): Schema {
  return { type: 'object' };
}
