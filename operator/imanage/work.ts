// The Work API v2 client: workspace search in a library, children and folder paths, folder
// creation, document upload, and deletion of what the operator itself created. Paths and shapes
// follow shared/imanage-api.md; where the record is silent (deletion, the upload's parts) the
// simulator labels its choice as an assumption, and so does this file.
//
// Transport: the OAuth client's pinned fetch (oauth.ts), not a second one, so that every call
// goes through the same SSRF guard, host overrides and CA bundle, and connects to the address the
// guard approved. The access token is sent as X-Auth-Token [C]. Failures become the typed errors of
// work-errors.ts. Load control (shared searches, per-host backoff, a concurrency limit) sits one
// level up, in resolve.ts, so that this client stays a plain mapping of calls to requests.

import type { OAuthNetwork } from './oauth.ts';
import { pinnedFetch } from './oauth.ts';
import {
  errorFromResponse,
  errorFromTransport,
  type PathKind,
  ServerError,
  type WorkApiError,
  type WorkFailure,
} from './work-errors.ts';

/** Where the Work API is: the API base (Legatics' apiUrl may differ from the sign-in base) and the customer. */
export interface WorkTarget {
  readonly apiBase: URL;
  readonly customerId: string;
  /** PEM bundle to trust instead of the system's roots (the connection's caBundleSecretRef). */
  readonly ca?: string;
}

/** The current access token; called before every request, so a refreshed token is used at once. */
export type AccessTokenSource = () => string | Promise<string>;

/** Results asked per page: iManage's default page (the simulator's, assumption page-size). */
export const SEARCH_PAGE_SIZE = 100;
/**
 * The most results one search or children list reads, in pages of SEARCH_PAGE_SIZE: beyond it a
 * search is too broad to resolve anything, and a folder with more subfolders is not one a
 * resolver names. The count then comes from total_count, which iManage sends with total=true.
 */
export const MAX_LISTED_RESULTS = 1_000;

export interface WorkspaceSummary {
  readonly id: string;
  readonly name: string;
  readonly library: string;
  /** custom1…custom30 as the server sent them (aliases as strings, numbers, booleans, dates). */
  readonly custom: Readonly<Record<string, string | number | boolean>>;
  readonly defaultSecurity?: string;
  readonly isExternalAsNormal?: boolean;
  readonly isHipaa?: boolean;
  readonly iwl?: string;
  readonly fileCreateDate?: string;
  readonly fileEditDate?: string;
}

export interface FolderSummary {
  readonly id: string;
  readonly name: string;
  readonly parentId?: string;
}

export interface DocumentSummary {
  readonly id: string;
  readonly name: string;
}

export interface Listing<T> {
  readonly items: readonly T[];
  /** total_count when the server sent it, else the number read when the list was read to its end. */
  readonly totalCount: number | undefined;
  /** Every result was read (false: the MAX_LISTED_RESULTS bound stopped the read). */
  readonly complete: boolean;
}

export type ContainerRef = {
  readonly kind: 'workspace' | 'folder';
  readonly id: string;
};

export interface NewDocument {
  readonly name: string;
  readonly extension: string;
  readonly content: Uint8Array;
}

export interface WorkClientOptions {
  readonly now?: () => Date;
  /** Called for every request sent (method and path without the query), for metrics, tests and benches. */
  readonly onRequest?: (method: string, path: string) => void;
  /** Called once per request with how it ended: `success`, or the failure (RateLimited, Unreachable, …). */
  readonly onAnswer?: (result: 'success' | WorkFailure) => void;
  readonly pageSize?: number;
}

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Below /work/api/v2/customers/{cid}; each segment already encoded. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: { readonly contentType: string; readonly bytes: Uint8Array };
  readonly pathKind: PathKind;
  readonly operation: string;
}

export class WorkClient {
  readonly #target: WorkTarget;
  readonly #network: OAuthNetwork;
  readonly #token: AccessTokenSource;
  readonly #options: WorkClientOptions;
  readonly #fetch: ReturnType<typeof pinnedFetch>;

  constructor(target: WorkTarget, network: OAuthNetwork, token: AccessTokenSource, options: WorkClientOptions = {}) {
    this.#target = target;
    this.#network = network;
    this.#token = token;
    this.#options = options;
    this.#fetch = pinnedFetch(network, target.ca);
  }

  /** The host requests go to: the key for per-host backoff, shared with the probes. */
  get host(): string {
    return this.#target.apiBase.host;
  }

  /**
   * Workspaces of `library` matching `filters` (name, custom1…custom30 as workspaceSearchParams
   * builds them), in the server's order, read page by page to the end or to `bound`.
   */
  async searchWorkspaces(
    library: string,
    filters: URLSearchParams,
    bound = MAX_LISTED_RESULTS,
  ): Promise<Listing<WorkspaceSummary>> {
    const path = `/libraries/${seg(library)}/workspaces`;
    const operation = `searching workspaces in library ${library}`;
    return this.#readList(path, filters, bound, 'library-collection', operation, (page) =>
      arrayAt(objectAt(page, 'data', operation), 'results', operation).map(toWorkspace),
    );
  }

  async getWorkspace(library: string, id: string): Promise<WorkspaceSummary> {
    const operation = `reading workspace ${id}`;
    const page = await this.#send({
      method: 'GET',
      path: `${libPath(library)}/workspaces/${seg(id)}`,
      pathKind: 'object',
      operation,
    });
    return toWorkspace(objectAt(page, 'data', operation));
  }

  /** The folders directly under a workspace or folder (documents left out). */
  async subfolders(library: string, parent: ContainerRef, bound = MAX_LISTED_RESULTS): Promise<Listing<FolderSummary>> {
    const path = `${libPath(library)}/${parent.kind}s/${seg(parent.id)}/children`;
    const operation = `listing the folders of ${parent.kind} ${parent.id}`;
    const query = new URLSearchParams({ exclude_docs: 'true' });
    return this.#readList(path, query, bound, 'object', operation, (page) =>
      arrayAt(page, 'data', operation)
        .filter((item) => isObject(item) && item['wstype'] !== 'document')
        .map(toFolder),
    );
  }

  /** Creates a folder in a workspace (…/workspaces/{id}/folders) or a folder (…/folders/{id}/subfolders). */
  async createFolder(library: string, parent: ContainerRef, name: string, description = ''): Promise<FolderSummary> {
    const collection = parent.kind === 'workspace' ? 'folders' : 'subfolders';
    const operation = `creating folder '${name}' in ${parent.kind} ${parent.id}`;
    const bytes = new TextEncoder().encode(JSON.stringify({ name, description }));
    const answer = await this.#send({
      method: 'POST',
      path: `${libPath(library)}/${parent.kind}s/${seg(parent.id)}/${collection}`,
      body: { contentType: 'application/json', bytes },
      pathKind: 'object',
      operation,
    });
    return toFolder(objectAt(answer, 'data', operation));
  }

  /** Uploads a document into a folder: multipart with a `profile` (JSON) part and a `file` part [C, paths]. */
  async uploadDocument(library: string, folderId: string, doc: NewDocument): Promise<DocumentSummary> {
    const operation = `uploading a document into folder ${folderId}`;
    const answer = await this.#send({
      method: 'POST',
      path: `${libPath(library)}/folders/${seg(folderId)}/documents`,
      body: multipart(doc),
      pathKind: 'object',
      operation,
    });
    const data = objectAt(answer, 'data', operation);
    return {
      id: stringAt(data, 'id', operation),
      name: typeof data['name'] === 'string' ? data['name'] : doc.name,
    };
  }

  /** Deletes a folder the caller created (assumption: DELETE …/folders/{id}, as the simulator labels it). */
  async deleteFolder(library: string, folderId: string): Promise<void> {
    const path = `${libPath(library)}/folders/${seg(folderId)}`;
    await this.#send({
      method: 'DELETE',
      path,
      pathKind: 'object',
      operation: `deleting folder ${folderId}`,
    });
  }

  /** Deletes a document the caller uploaded (assumption: DELETE …/documents/{id}, as the simulator labels it). */
  async deleteDocument(library: string, documentId: string): Promise<void> {
    const path = `${libPath(library)}/documents/${seg(documentId)}`;
    await this.#send({
      method: 'DELETE',
      path,
      pathKind: 'object',
      operation: `deleting document ${documentId}`,
    });
  }

  async #readList<T>(
    path: string,
    filters: URLSearchParams,
    bound: number,
    pathKind: PathKind,
    operation: string,
    itemsOf: (page: Record<string, unknown>) => T[],
  ): Promise<Listing<T>> {
    const pageSize = this.#options.pageSize ?? SEARCH_PAGE_SIZE;
    const items: T[] = [];
    let totalCount: number | undefined;
    for (;;) {
      const limit = Math.min(pageSize, bound - items.length);
      const query = new URLSearchParams([...filters, ['limit', String(limit)], ['offset', String(items.length)]]);
      query.set('total', 'true');
      const page = await this.#send({
        method: 'GET',
        path,
        query,
        pathKind,
        operation,
      });
      const read = itemsOf(page);
      items.push(...read);
      totalCount ??= typeof page['total_count'] === 'number' ? page['total_count'] : undefined;
      // A short page is the last; so is reaching total_count (offset past the end would answer empty).
      const ended = read.length < limit || (totalCount !== undefined && items.length >= totalCount);
      if (ended)
        return {
          items,
          totalCount: totalCount ?? items.length,
          complete: true,
        };
      if (items.length >= bound) return { items, totalCount, complete: false };
    }
  }

  async #send(call: Call): Promise<Record<string, unknown>> {
    const url = new URL(`${this.#target.apiBase.href.replace(/\/$/, '')}/work/api/v2/customers/`);
    url.pathname += `${seg(this.#target.customerId)}${call.path}`;
    if (call.query) url.search = call.query.toString();
    const operation = `${call.operation} at ${this.host}`;
    const token = await this.#token();
    const headers: Record<string, string> = {
      'x-auth-token': token,
      accept: 'application/json',
    };
    if (call.body) headers['content-type'] = call.body.contentType;
    this.#options.onRequest?.(call.method, url.pathname);
    let response: Response;
    try {
      response = await this.#fetch(url.href, {
        method: call.method,
        headers,
        body: call.body?.bytes,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#network.timeoutMs),
      });
    } catch (error) {
      throw this.#failed(errorFromTransport(error, operation));
    }
    const text = await response.text();
    const now = (this.#options.now ?? (() => new Date()))();
    if (!response.ok) {
      const { status, headers: answered } = response;
      throw this.#failed(errorFromResponse(status, answered, text, operation, call.pathKind, now, [token]));
    }
    let answer: Record<string, unknown> = {};
    try {
      if (call.method !== 'DELETE' && text.trim() !== '') answer = parseObject(text, operation);
    } catch (error) {
      throw error instanceof ServerError ? this.#failed(error) : error;
    }
    this.#options.onAnswer?.('success');
    return answer;
  }

  /** Reports a failed request (the Work API request metric counts by result) and hands the error back. */
  #failed(error: WorkApiError): WorkApiError {
    this.#options.onAnswer?.(error.failure);
    return error;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function libPath(library: string): string {
  return `/libraries/${seg(library)}`;
}

const CRLF = '\r\n';

/** multipart/form-data by hand: the shared transport sends bytes, and the body is two small parts. */
function multipart(doc: NewDocument): {
  contentType: string;
  bytes: Uint8Array;
} {
  const boundary = `imanage-operator-${crypto.randomUUID()}`;
  const fileName = `${doc.name}.${doc.extension}`.replace(/["\r\n]/g, '_');
  const profile = JSON.stringify({ name: doc.name, extension: doc.extension });
  const head =
    `--${boundary}${CRLF}Content-Disposition: form-data; name="profile"${CRLF}` +
    `Content-Type: application/json${CRLF}${CRLF}${profile}${CRLF}` +
    `--${boundary}${CRLF}Content-Disposition: form-data; name="file"; filename="${fileName}"${CRLF}` +
    `Content-Type: application/octet-stream${CRLF}${CRLF}`;
  const tail = `${CRLF}--${boundary}--${CRLF}`;
  const encoder = new TextEncoder();
  const bytes = Buffer.concat([encoder.encode(head), doc.content, encoder.encode(tail)]);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    bytes: new Uint8Array(bytes),
  };
}

// ---- Reading answers: every field checked, a wrong shape is the server's error ----------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string, operation: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ServerError(`${operation}: the answer is not JSON`);
  }
  if (!isObject(value)) throw new ServerError(`${operation}: the answer is not a JSON object`);
  return value;
}

function objectAt(value: Record<string, unknown>, key: string, operation: string): Record<string, unknown> {
  const found = value[key];
  if (!isObject(found)) throw new ServerError(`${operation}: the answer has no '${key}' object`);
  return found;
}

function arrayAt(value: Record<string, unknown>, key: string, operation: string): unknown[] {
  const found = value[key];
  if (!Array.isArray(found)) throw new ServerError(`${operation}: the answer has no '${key}' list`);
  return found;
}

function stringAt(value: Record<string, unknown>, key: string, operation: string): string {
  const found = value[key];
  if (typeof found !== 'string' || found === '') throw new ServerError(`${operation}: the answer has no '${key}'`);
  return found;
}

const CUSTOM_FIELD = /^custom([1-9]|[12][0-9]|30)$/;

function toWorkspace(item: unknown): WorkspaceSummary {
  const operation = 'reading a workspace';
  if (!isObject(item)) throw new ServerError(`${operation}: a result is not an object`);
  const custom: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(item)) {
    const scalar = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
    if (CUSTOM_FIELD.test(key) && scalar) custom[key] = value;
  }
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : undefined);
  const flag = (key: string) => (typeof item[key] === 'boolean' ? (item[key] as boolean) : undefined);
  return {
    id: stringAt(item, 'id', operation),
    name: text('name') ?? '',
    library: text('database') ?? '',
    custom,
    ...withoutUndefined({
      defaultSecurity: text('default_security'),
      isExternalAsNormal: flag('is_external_as_normal'),
      isHipaa: flag('is_hipaa'),
      iwl: text('iwl'),
      fileCreateDate: text('file_create_date'),
      fileEditDate: text('file_edit_date'),
    }),
  };
}

/** Optional fields stay absent rather than undefined (exactOptionalPropertyTypes). */
function withoutUndefined<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

function toFolder(item: unknown): FolderSummary {
  const operation = 'reading a folder';
  if (!isObject(item)) throw new ServerError(`${operation}: an entry is not an object`);
  const parentId = item['parent_id'];
  return {
    id: stringAt(item, 'id', operation),
    name: typeof item['name'] === 'string' ? item['name'] : '',
    ...(typeof parentId === 'string' ? { parentId } : {}),
  };
}
