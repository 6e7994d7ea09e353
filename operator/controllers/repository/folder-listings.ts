// Folder listings shared within an interval, as SearchLoad shares searches (imanage/resolve.ts):
// a thousand repositories that name folders in one workspace list its children once per interval
// and per connection, not once each. Concurrent walks share the listing in flight. A write through
// the same client (ensureFolders, the access check) forgets the connection's listings at once, so
// that the walk after a creation sees the new folder and a second run never creates it twice.

import type { Clock } from '../../runtime/clock.ts';
import {
  type AccessTokenSource,
  type ContainerRef,
  type FolderSummary,
  type Listing,
  MAX_LISTED_RESULTS,
  WorkClient,
  type WorkClientOptions,
  type WorkTarget,
} from '../../imanage/work.ts';
import type { OAuthNetwork } from '../../imanage/oauth.ts';

interface Entry {
  readonly at: number;
  readonly intervalMs: number;
  readonly listing: Promise<Listing<FolderSummary>>;
}

/** Above this many listings, expired ones are swept on the next read: memory follows what is asked. */
const SWEEP_ABOVE = 1_024;

export class FolderListings {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  /** Listings actually requested from iManage, for the bench and tests. */
  sent = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The listing under `key`, fresh within `intervalMs`; a failed listing is not kept. */
  get(key: string, intervalMs: number, list: () => Promise<Listing<FolderSummary>>): Promise<Listing<FolderSummary>> {
    const now = this.#clock.now().getTime();
    if (this.#entries.size > SWEEP_ABOVE) this.#sweep(now);
    const held = this.#entries.get(key);
    if (held && now - held.at < held.intervalMs) return held.listing;
    this.sent++;
    const listing = list();
    this.#entries.set(key, { at: now, intervalMs, listing });
    listing.catch(() => {
      if (this.#entries.get(key)?.listing === listing) this.#entries.delete(key);
    });
    return listing;
  }

  /** Forgets every listing whose key starts with `scope` (one connection's). */
  forget(scope: string): void {
    const prefix = `${scope}\n`;
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#entries) if (now - entry.at >= entry.intervalMs) this.#entries.delete(key);
  }
}

export interface SharedListing {
  readonly listings: FolderListings;
  /** The connection the listings belong to (its token and customer): the cache key's prefix. */
  readonly scope: string;
  readonly intervalMs: number;
}

/** A WorkClient whose folder listings come from FolderListings, and whose folder writes forget them. */
export class SharedListingWorkClient extends WorkClient {
  readonly #shared: SharedListing;

  constructor(
    target: WorkTarget,
    network: OAuthNetwork,
    token: AccessTokenSource,
    shared: SharedListing,
    options: WorkClientOptions = {},
  ) {
    super(target, network, token, options);
    this.#shared = shared;
  }

  override subfolders(library: string, parent: ContainerRef, bound = MAX_LISTED_RESULTS) {
    const { listings, scope, intervalMs } = this.#shared;
    const key = `${scope}\n${this.host}\n${library}\n${parent.kind}/${parent.id}\n${bound}`;
    return listings.get(key, intervalMs, () => super.subfolders(library, parent, bound));
  }

  override async createFolder(library: string, parent: ContainerRef, name: string, description = '') {
    try {
      return await super.createFolder(library, parent, name, description);
    } finally {
      this.#shared.listings.forget(this.#shared.scope);
    }
  }

  override async deleteFolder(library: string, folderId: string) {
    try {
      return await super.deleteFolder(library, folderId);
    } finally {
      this.#shared.listings.forget(this.#shared.scope);
    }
  }
}
