// What a connection's annotations say about its interactive link. The callback may run on a
// replica that does not lead, so it cannot write status (the leader owns it): it writes these
// annotations, the leader's watch reconciles on them, and `imanage-operator link` reads them.
// - linked-at, link-generation, linked-account: the last successful link. A sign-in state carries
//   the generation it was issued at; a state older than the connection's generation is refused
//   (issue 18, finding 7: an unused old URL must not replace the account linked since).
// - link-failure: the last sign-in that failed in the browser, named by its state's nonce, so that
//   `link` stops waiting and names it (issue 23).
// - relink-requested-at: `link --relink` asks for a new sign-in URL on a linked connection.

import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';

const group = imanageConnections.group;
export const LINKED_AT_ANNOTATION = `${group}/linked-at`;
export const LINK_GENERATION_ANNOTATION = `${group}/link-generation`;
export const LINKED_ACCOUNT_ANNOTATION = `${group}/linked-account`;
export const LINK_FAILURE_ANNOTATION = `${group}/link-failure`;
export const RELINK_ANNOTATION = `${group}/relink-requested-at`;

/** Longer than anything we write: a longer value is someone else's and is ignored. */
const MAX_VALUE_LENGTH = 2048;

export interface LastLink {
  /** 0 before the first link. */
  readonly generation: number;
  readonly at?: string;
  readonly account?: string;
}

export interface LinkFailureRecord {
  readonly reason: string;
  readonly message: string;
  /** The nonce of the state that failed (base64url): `link` matches it to the URL it showed. */
  readonly nonce: string;
  readonly at: string;
}

type Annotated = Pick<IManageConnection, 'metadata'> | undefined;

function annotation(object: Annotated, key: string): string | undefined {
  const value = object?.metadata?.annotations?.[key];
  return value !== undefined && value.length <= MAX_VALUE_LENGTH ? value : undefined;
}

export function lastLink(object: Annotated): LastLink {
  const generation = Number(annotation(object, LINK_GENERATION_ANNOTATION) ?? '0');
  const at = annotation(object, LINKED_AT_ANNOTATION);
  const account = annotation(object, LINKED_ACCOUNT_ANNOTATION) ?? statusAccount(object);
  return {
    generation: Number.isSafeInteger(generation) && generation >= 0 ? generation : 0,
    ...(at ? { at } : {}),
    ...(account ? { account } : {}),
  };
}

function statusAccount(object: Annotated): string | undefined {
  const account = (object as { status?: { tokens?: { account?: unknown } } } | undefined)?.status?.tokens?.account;
  return typeof account === 'string' && account.length <= 256 ? account : undefined;
}

export function linkFailure(object: Annotated): LinkFailureRecord | undefined {
  const text = annotation(object, LINK_FAILURE_ANNOTATION);
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LinkFailureRecord>;
    const fields = [value.reason, value.message, value.nonce, value.at];
    return fields.every((f) => typeof f === 'string') ? (value as LinkFailureRecord) : undefined;
  } catch {
    return undefined; // not ours: written by hand
  }
}

/** The annotations a successful link writes. */
export function linkedAnnotations(
  previous: LastLink,
  at: Date,
  account: string | undefined,
): Record<string, string | null> {
  return {
    [LINKED_AT_ANNOTATION]: at.toISOString(),
    [LINK_GENERATION_ANNOTATION]: String(previous.generation + 1),
    [LINKED_ACCOUNT_ANNOTATION]: account ?? null,
    [LINK_FAILURE_ANNOTATION]: null,
    [RELINK_ANNOTATION]: null,
  };
}

/** The nonce inside a state, read without the key (what `link` compares; never trusted for access). */
export function nonceOfState(state: string): string | undefined {
  const payload = state.length <= 1024 ? state.split('.')[1] : undefined;
  if (!payload) return undefined;
  try {
    const nonce = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { nonce?: unknown }).nonce;
    return typeof nonce === 'string' && nonce.length <= 64 ? nonce : undefined;
  } catch {
    return undefined;
  }
}
