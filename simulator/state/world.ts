// Everything the simulator knows: hosts, customers with their libraries, users and applications,
// and issued tokens. Built from the configuration, changed by the admin API and the Work API.
import type { Clock } from '../clock.ts';
import { checkApplication, checkCustomer } from '../config/check.ts';
import type {
  ApplicationConfig,
  CustomerConfig,
  HostConfig,
  PendingRedirectUri,
  SimulatorConfig,
  UserConfig,
  WorkspaceConfig,
} from '../config/types.ts';
import { ConfigError, NotFoundError } from '../errors.ts';
import { addWorkspace, newLibrary } from './library.ts';
import type { Application, Customer, Library, Workspace } from './model.ts';
import { TokenStore } from './tokens.ts';

export interface Found<T> {
  readonly customer: Customer;
  readonly item: T;
}

export class World {
  readonly clock: Clock;
  readonly tokens: TokenStore;
  readonly authorizationCodeSeconds: number;
  readonly #hosts = new Map<string, HostConfig>();
  readonly #customers = new Map<string, Customer>();

  constructor(config: SimulatorConfig, clock: Clock) {
    this.clock = clock;
    this.tokens = new TokenStore(clock);
    this.authorizationCodeSeconds = config.tokens.authorizationCodeSeconds;
    config.customers.forEach((c, i) => this.addCustomer(c, `config.customers[${i}]`));
    config.hosts.forEach((h) => this.addHost(h));
  }

  host(name: string): HostConfig | undefined {
    return this.#hosts.get(name.toLowerCase());
  }

  hostNames(): string[] {
    return [...this.#hosts.keys()];
  }

  customerIds(): string[] {
    return [...this.#customers.keys()];
  }

  customer(id: string): Customer | undefined {
    return this.#customers.get(id);
  }

  customersOf(host: HostConfig): Customer[] {
    return host.customers.map((id) => this.#customers.get(id)).filter((c) => c !== undefined);
  }

  /** Adds or replaces a virtual host. */
  addHost(config: HostConfig): void {
    const seen = new Set<string>();
    for (const id of config.customers) {
      const customer = this.#customers.get(id);
      if (!customer) throw new ConfigError('host.customers', `no customer with id '${id}'`);
      // One sign-in page serves all of a host's customers, so a user name must say which one.
      for (const username of customer.users.keys()) {
        if (seen.has(username))
          throw new ConfigError('host.customers', `user name '${username}' is in two of its customers`);
        seen.add(username);
      }
    }
    this.#hosts.set(config.name, config);
  }

  addCustomer(config: CustomerConfig, path = 'customer'): Customer {
    if (this.#customers.has(config.id)) throw new ConfigError(`${path}.id`, `duplicate customer '${config.id}'`);
    checkCustomer(config, path);
    const customer: Customer = {
      id: config.id,
      name: config.name,
      libraries: new Map(),
      users: new Map(config.users.map((u) => [u.username, u])),
      applications: new Map(),
    };
    config.libraries.forEach((libConfig, i) => {
      const library = newLibrary(libConfig);
      customer.libraries.set(library.id, library);
      libConfig.workspaces.forEach((w, j) =>
        addWorkspace(library, w, this.clock.now(), `${path}.libraries[${i}].workspaces[${j}]`),
      );
    });
    config.applications.forEach((app) => this.#putApplication(customer, app));
    this.#customers.set(customer.id, customer);
    return customer;
  }

  addUser(customerId: string, user: UserConfig): void {
    this.#requireCustomer(customerId).users.set(user.username, user);
  }

  /** Creates or replaces an application; pending registrations start counting now. */
  putApplication(customerId: string, app: ApplicationConfig): void {
    const customer = this.#requireCustomer(customerId);
    checkApplication(app, toCustomerShape(customer), 'application');
    this.#putApplication(customer, app);
  }

  #putApplication(customer: Customer, app: ApplicationConfig): void {
    const startMs = this.clock.now().getTime();
    const pending = app.pendingRedirectUris.map((p) => ({
      uri: p.uri,
      effectiveAtMs: startMs + p.registeredAfterSeconds * 1000,
    }));
    customer.applications.set(app.clientId, { config: app, pending });
  }

  /** Models iManage registering a redirect URI on request, some time later (seed 001: 24–48 h). */
  requestRedirectUri(customerId: string, clientId: string, pending: PendingRedirectUri): void {
    const app = this.#requireCustomer(customerId).applications.get(clientId);
    if (!app) throw new NotFoundError(`no application '${clientId}' in customer ${customerId}`);
    const effectiveAtMs = this.clock.now().getTime() + pending.registeredAfterSeconds * 1000;
    app.pending.push({ uri: pending.uri, effectiveAtMs });
  }

  /** Exact string match: scheme, case, trailing slash and spaces all count (seeds 001/002). */
  isRedirectRegistered(app: Application, uri: string): boolean {
    if (app.config.redirectUris.includes(uri)) return true;
    const now = this.clock.now().getTime();
    return app.pending.some((p) => p.uri === uri && now >= p.effectiveAtMs);
  }

  applicationsOn(host: HostConfig, clientId: string): Found<Application>[] {
    return this.customersOf(host).flatMap((customer) => {
      const item = customer.applications.get(clientId);
      return item ? [{ customer, item }] : [];
    });
  }

  userOn(host: HostConfig, username: string): Found<UserConfig> | undefined {
    for (const customer of this.customersOf(host)) {
      const item = customer.users.get(username);
      if (item) return { customer, item };
    }
    return undefined;
  }

  addWorkspace(customerId: string, libraryId: string, config: WorkspaceConfig): Workspace {
    const library = this.library(customerId, libraryId);
    return addWorkspace(library, config, this.clock.now(), 'workspace');
  }

  library(customerId: string, libraryId: string): Library {
    const library = this.#requireCustomer(customerId).libraries.get(libraryId);
    if (!library) throw new NotFoundError(`no library '${libraryId}' in customer ${customerId}`);
    return library;
  }

  #requireCustomer(id: string): Customer {
    const customer = this.#customers.get(id);
    if (!customer) throw new NotFoundError(`no customer '${id}'`);
    return customer;
  }
}

/** The slice of CustomerConfig that application checks read. */
function toCustomerShape(customer: Customer): CustomerConfig {
  return {
    id: customer.id,
    name: customer.name,
    libraries: [],
    users: [...customer.users.values()],
    applications: [],
  };
}
