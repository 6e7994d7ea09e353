// limit / offset / total / paging_mode / cursor, as the iManage doc comments describe them.
import { createHash } from 'node:crypto';
import { ApiError } from '../errors.ts';

export type PagingMode = 'standard' | 'standard_cursor';

export interface PageRequest {
  readonly limit: number;
  readonly offset: number;
  readonly mode: PagingMode;
  readonly total: boolean;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when more items follow (assumption: cursor). */
  readonly nextCursor?: string;
  /** Present for total=true outside cursor mode (assumption: total-count). */
  readonly totalCount?: number;
}

export const PAGING_PARAMS: readonly string[] = ['limit', 'offset', 'total', 'paging_mode', 'cursor'];

// assumption: page-size
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

/**
 * `queryKey` names the query the page belongs to; a cursor from another query is refused rather
 * than silently applied to it.
 */
export function readPageRequest(params: URLSearchParams, queryKey: string, allowCursor = true): PageRequest {
  const mode = readMode(params.get('paging_mode'), allowCursor);
  const limit = Math.min(readCount(params, 'limit', DEFAULT_LIMIT, 1), MAX_LIMIT);
  const total = readBoolean(params, 'total');
  // standard_cursor ignores offset; standard ignores cursor (iManCloudCore doc comments).
  const offset = mode === 'standard' ? readCount(params, 'offset', 0, 0) : cursorOffset(params.get('cursor'), queryKey);
  return { limit, offset, mode, total };
}

export function takePage<T>(all: readonly T[], request: PageRequest, queryKey: string): Page<T> {
  const end = request.offset + request.limit;
  const items = all.slice(request.offset, end); // past the end: empty, not an error
  const more = end < all.length;
  return {
    items,
    ...(more ? { nextCursor: encodeCursor(end, queryKey) } : {}),
    ...(request.total && request.mode === 'standard' ? { totalCount: all.length } : {}),
  };
}

function readMode(value: string | null, allowCursor: boolean): PagingMode {
  if (value === null || value === 'standard') return 'standard';
  if (value === 'standard_cursor' && allowCursor) return 'standard_cursor';
  throw invalid('paging_mode', allowCursor ? 'must be standard or standard_cursor' : 'must be standard here');
}

function readCount(params: URLSearchParams, name: string, fallback: number, min: number): number {
  const value = params.get(name);
  if (value === null) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min) throw invalid(name, `must be an integer ≥ ${min}`);
  return Number(value);
}

export function readBoolean(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw invalid(name, 'must be true or false');
}

interface CursorBody {
  readonly o: number;
  readonly q: string;
}

function encodeCursor(offset: number, queryKey: string): string {
  const body: CursorBody = { o: offset, q: queryHash(queryKey) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function cursorOffset(cursor: string | null, queryKey: string): number {
  if (cursor === null || cursor === '') return 0;
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalid('cursor', 'is not a cursor this server issued');
  }
  if (typeof body.o !== 'number' || body.q !== queryHash(queryKey)) {
    throw invalid('cursor', 'belongs to a different query; send the cursor back with the same parameters');
  }
  return body.o;
}

function queryHash(queryKey: string): string {
  return createHash('sha256').update(queryKey).digest('base64url').slice(0, 16);
}

/** Identifies a query by its path and filters, leaving out the paging parameters. */
export function queryKeyOf(path: string, params: URLSearchParams): string {
  const filters = [...params].filter(([name]) => !PAGING_PARAMS.includes(name)).sort(([a], [b]) => a.localeCompare(b));
  return `${path}?${new URLSearchParams(filters).toString()}`;
}

export function invalid(field: string, message: string): ApiError {
  return new ApiError(400, 'INVALID_PARAMETER', `${field} ${message}`, {
    messages: [{ field, code: 'invalid', code_message: `${field} ${message}` }],
  });
}
