// Semantic checks the schema cannot express. Pure: the CLI and the operator both call them.

import type { IManageConnectionSpec, WorkspaceRepositorySpec } from '../generated/types.ts';
import { ResolverSyntaxError, parseResolver } from '../resolver/index.ts';
import type { Problem } from './problems.ts';

export const DEFAULT_REDIRECT_PATH = '/externalServices/replyFrom';
export const MIN_PASSPHRASE_LENGTH = 100;

export interface EffectiveRedirectUri {
  readonly name: string;
  readonly redirectUri: string;
  /** Where it comes from, for error messages: the explicit field or the base URL. */
  readonly source: 'redirectUri' | 'baseUrl';
}

/** Each environment's redirect URI: the explicit one, or else baseUrl + redirectPath. */
export function effectiveRedirectUris(spec: IManageConnectionSpec): EffectiveRedirectUri[] {
  const path = spec.redirectPath ?? DEFAULT_REDIRECT_PATH;
  return listOf(spec.environments)
    .filter((env) => typeof env?.baseUrl === 'string')
    .map((env) =>
      env.redirectUri !== undefined
        ? { name: env.name, redirectUri: env.redirectUri, source: 'redirectUri' }
        : { name: env.name, redirectUri: env.baseUrl + path, source: 'baseUrl' },
    );
}

/** The array, or nothing when the schema check already found it malformed. */
function listOf<T>(value: readonly T[] | undefined): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Semantic checks run even when the schema check failed, so that one pass reports everything;
 * they read defensively and skip what is malformed (the schema check reports that).
 */
export function checkConnection(spec: IManageConnectionSpec): Problem[] {
  return duplicateRedirectUris(spec);
}

function duplicateRedirectUris(spec: IManageConnectionSpec): Problem[] {
  const firstByUri = new Map<string, string>();
  const problems: Problem[] = [];
  effectiveRedirectUris(spec).forEach((env, index) => {
    const first = firstByUri.get(env.redirectUri);
    if (first === undefined) {
      firstByUri.set(env.redirectUri, env.name);
      return;
    }
    problems.push({
      path: `spec.environments[${index}].${env.source}`,
      message: `environments '${first}' and '${env.name}' have the same effective redirect URI ${env.redirectUri}`,
      fix: 'give each environment its own baseUrl, or an explicit redirectUri; iManage registers each environment separately',
      code: 'DuplicateRedirectUri',
    });
  });
  return problems;
}

export function checkRepository(spec: WorkspaceRepositorySpec): Problem[] {
  const problems: Problem[] = [];
  listOf(spec.resolvers).forEach((entry, i) => {
    problems.push(...resolverProblems(entry?.resolver, `spec.resolvers[${i}].resolver`));
    listOf(entry?.fallbacks).forEach((fallback, j) =>
      problems.push(...resolverProblems(fallback, `spec.resolvers[${i}].fallbacks[${j}]`)),
    );
  });
  problems.push(...previewProblems(spec));
  return problems;
}

function resolverProblems(resolver: unknown, path: string): Problem[] {
  if (typeof resolver !== 'string') return [];
  try {
    parseResolver(resolver);
    return [];
  } catch (error) {
    if (!(error instanceof ResolverSyntaxError)) throw error;
    // The parser's message ends with '; <fix>'; keep the two apart.
    const message = error.message.endsWith(`; ${error.fix}`)
      ? error.message.slice(0, -(error.fix.length + 2))
      : error.message;
    return [
      {
        path,
        message: `resolver ${JSON.stringify(resolver)}: ${message}`,
        fix: error.fix,
        code: `Resolver${error.code}`,
      },
    ];
  }
}

function previewProblems(spec: WorkspaceRepositorySpec): Problem[] {
  const workTypes = new Set(listOf(spec.resolvers).map((r) => r?.workType));
  return listOf(spec.preview).flatMap((item, i) =>
    typeof item?.workType !== 'string' || workTypes.has(item.workType) || workTypes.has('*')
      ? []
      : [
          {
            path: `spec.preview[${i}].workType`,
            message: `no resolver for work type '${item.workType}' and no '*' default`,
            fix: `add a resolvers entry with workType '${item.workType}' or '*'`,
            code: 'PreviewWorkTypeUnknown',
          },
        ],
  );
}

/** At least this many different characters, and of 4-character sequences (a passphrase that repeats itself has few). */
export const MIN_PASSPHRASE_CHARACTERS_DISTINCT = 16;
export const MIN_PASSPHRASE_SEQUENCES_DISTINCT = 60;
/** Only the start is examined: a 1 MiB Secret must not cost a 1 MiB set. */
const EXAMINED_CODE_POINTS = 4096;

/** The one wording of a passphrase under MIN_PASSPHRASE_LENGTH, wherever it is found. */
export const PASSPHRASE_TOO_SHORT = `is too short: at least ${MIN_PASSPHRASE_LENGTH} characters are required`;

/** How to make a good one, in every message about a weak passphrase. */
export const PASSPHRASE_ADVICE = "generate one with: openssl rand -base64 96 | tr -d '\\n'";

export const PASSPHRASE_PREDICTABLE =
  `the passphrase is predictable: it has fewer than ${MIN_PASSPHRASE_CHARACTERS_DISTINCT} different characters or ` +
  `repeats itself (fewer than ${MIN_PASSPHRASE_SEQUENCES_DISTINCT} different 4-character sequences)`;

/**
 * Long but predictable ('a' × 100, a phrase repeated): a simple variety rule, no dictionary. What
 * it says about a value is only that it failed, never which part or by how much.
 */
export function passphraseIsPredictable(passphrase: string): boolean {
  // Stops as soon as both counts are reached: a good passphrase is decided within its first few
  // dozen characters, without a set of every sequence (66 MiB of garbage per 1,000 connections).
  // Code points are read by index and a sequence is one slice, not an iterator's strings joined:
  // observe asks this on every reconcile.
  const characters = new Set<number>();
  const sequences = new Set<string>();
  /** Where each of the last four code points starts (UTF-16 units), at examined % 4. */
  const starts = [0, 0, 0, 0];
  for (let at = 0, examined = 0; at < passphrase.length && examined < EXAMINED_CODE_POINTS; examined++) {
    const point = passphrase.codePointAt(at)!;
    const next = at + (point > 0xffff ? 2 : 1);
    if (characters.size < MIN_PASSPHRASE_CHARACTERS_DISTINCT) characters.add(point);
    starts[examined % 4] = at;
    if (examined >= 3 && sequences.size < MIN_PASSPHRASE_SEQUENCES_DISTINCT) {
      sequences.add(passphrase.slice(starts[(examined - 3) % 4], next));
    }
    const decided =
      characters.size >= MIN_PASSPHRASE_CHARACTERS_DISTINCT && sequences.size >= MIN_PASSPHRASE_SEQUENCES_DISTINCT;
    if (decided) return false;
    at = next;
  }
  return true;
}

/**
 * How many code points `text` holds, counted no further than `limit`: a tenant's 1 MiB Secret
 * must not become an array of a million characters on every reconcile.
 */
export function codePointsUpTo(text: string, limit: number): number {
  if (text.length <= limit) return Array.from(text).length; // short: at most `limit` characters
  if (text.length >= 2 * limit) return limit; // a code point is one or two UTF-16 units
  let seen = 0;
  for (const _ of text) if (++seen === limit) break;
  return seen;
}

/**
 * The token-encryption passphrase, once the operator has read it from its Secret. Counted in
 * characters (code points), not bytes. The value itself never appears in the problem.
 */
export function checkPassphrase(passphrase: string | undefined, secretPath: string): Problem | undefined {
  if (passphrase === undefined) {
    return {
      path: secretPath,
      message: 'the passphrase key is missing from the Secret',
      fix: `add the key with a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters; ${PASSPHRASE_ADVICE}`,
      code: 'PassphraseMissing',
    };
  }
  // Its length is not repeated: status would narrow down a value its reader may not see.
  if (codePointsUpTo(passphrase, MIN_PASSPHRASE_LENGTH) < MIN_PASSPHRASE_LENGTH) {
    const message = `the passphrase ${PASSPHRASE_TOO_SHORT}`;
    return { path: secretPath, message, fix: PASSPHRASE_ADVICE, code: 'PassphraseTooShort' };
  }
  if (!passphraseIsPredictable(passphrase)) return undefined;
  return {
    path: secretPath,
    message: PASSPHRASE_PREDICTABLE,
    fix: PASSPHRASE_ADVICE,
    code: 'PassphraseTooWeak',
  };
}
