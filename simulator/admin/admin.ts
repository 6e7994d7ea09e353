// The admin API in process. The HTTP admin API (routes.ts) is a thin JSON layer over this class,
// so tests and the admin port change the world the same way and get the same validation.
import type {
  ApplicationSpec,
  CustomerSpec,
  FaultSpec,
  HostSpec,
  PendingRedirectUriSpec,
  UserSpec,
  WorkspaceSpec,
} from '../config/spec.ts';
import {
  readApplication,
  readCustomer,
  readFault,
  readHost,
  readPendingRedirectUri,
  readUser,
  readWorkspace,
} from '../config/parse.ts';
import { ConfigError } from '../errors.ts';
import type { ActiveFault, FaultSet } from '../faults/faults.ts';
import type { RequestLog, RequestLogEntry, RequestLogFilter } from '../http/request-log.ts';
import type { World } from '../state/world.ts';

export interface WorldSummary {
  readonly hosts: readonly { name: string; customers: readonly string[] }[];
  readonly customers: readonly CustomerSummary[];
  readonly tokens: { accessTokens: number; refreshTokens: number; codes: number };
  readonly faults: readonly ActiveFault[];
}

/** Secrets and passwords are left out: a summary is safe to print or log. */
export interface CustomerSummary {
  readonly id: string;
  readonly name: string;
  readonly libraries: readonly { id: string; workspaces: number; folders: number; documents: number }[];
  readonly users: readonly string[];
  readonly applications: readonly {
    clientId: string;
    redirectUris: readonly string[];
    pendingRedirectUris: readonly { uri: string; registeredAt: string }[];
    allowRefreshToken: boolean;
    grants: readonly string[];
  }[];
}

export class Admin {
  readonly #world: World;
  readonly #faults: FaultSet;
  readonly #log: RequestLog;

  constructor(world: World, faults: FaultSet, log: RequestLog) {
    this.#world = world;
    this.#faults = faults;
    this.#log = log;
  }

  addFault(spec: FaultSpec): ActiveFault {
    const fault = readFault(spec, 'fault');
    if (fault.host !== undefined && !this.#world.host(fault.host)) {
      throw new ConfigError('fault.host', `no host named '${fault.host}'`);
    }
    return this.#faults.add(fault);
  }

  removeFault(id: string): boolean {
    return this.#faults.remove(id);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  faults(): ActiveFault[] {
    return this.#faults.list();
  }

  requestLog(filter?: RequestLogFilter): RequestLogEntry[] {
    return this.#log.entries(filter);
  }

  clearRequestLog(): void {
    this.#log.clear();
  }

  /** Adds a virtual host, or replaces one (e.g. to onboard another customer onto cloudimanage.com). */
  putHost(spec: HostSpec): void {
    this.#world.addHost(readHost(spec, 'host'));
  }

  addCustomer(spec: CustomerSpec): void {
    this.#world.addCustomer(readCustomer(spec, 'customer'));
  }

  addUser(customerId: string, spec: UserSpec): void {
    this.#world.addUser(customerId, readUser(spec, 'user'));
  }

  /** Creates or replaces the application; its pending redirect URIs count from now. */
  putApplication(customerId: string, spec: ApplicationSpec): void {
    this.#world.putApplication(customerId, readApplication(spec, 'application'));
  }

  /** Asks for a redirect URI to be registered after `registeredAfterSeconds` (default one day). */
  requestRedirectUri(customerId: string, clientId: string, spec: PendingRedirectUriSpec): void {
    this.#world.requestRedirectUri(customerId, clientId, readPendingRedirectUri(spec, 'pendingRedirectUri'));
  }

  addWorkspace(customerId: string, libraryId: string, spec: WorkspaceSpec): { id: string } {
    const workspace = this.#world.addWorkspace(customerId, libraryId, readWorkspace(spec, 'workspace'));
    return { id: workspace.id };
  }

  /** Every access token, refresh token and code stops working (as after a server-side revocation). */
  revokeAllTokens(): void {
    this.#world.tokens.revokeAll();
  }

  summary(): WorldSummary {
    const world = this.#world;
    const hosts = world.hostNames().flatMap((name) => {
      const host = world.host(name);
      return host ? [{ name: host.name, customers: host.customers }] : [];
    });
    const customers = world.customerIds().flatMap((id) => {
      const c = world.customer(id);
      return c ? [summarizeCustomer(c)] : [];
    });
    return { hosts, customers, tokens: world.tokens.counts(), faults: this.#faults.list() };
  }
}

function summarizeCustomer(c: NonNullable<ReturnType<World['customer']>>): CustomerSummary {
  return {
    id: c.id,
    name: c.name,
    libraries: [...c.libraries.values()].map((l) => ({
      id: l.id,
      workspaces: l.workspaces.size,
      folders: l.folders.size,
      documents: l.documents.size,
    })),
    users: [...c.users.keys()],
    applications: [...c.applications.values()].map((a) => ({
      clientId: a.config.clientId,
      redirectUris: a.config.redirectUris,
      pendingRedirectUris: a.pending.map((p) => ({
        uri: p.uri,
        registeredAt: new Date(p.effectiveAtMs).toISOString(),
      })),
      allowRefreshToken: a.config.allowRefreshToken,
      grants: a.config.grants,
    })),
  };
}
