// Cross-references a single field reader cannot see: duplicates and names that must exist.
import { ConfigError } from '../errors.ts';
import type { ApplicationConfig, CustomerConfig, SimulatorConfig } from './types.ts';

export function checkConfig(config: SimulatorConfig): void {
  noDuplicates(
    config.customers.map((c) => c.id),
    'config.customers',
    'id',
  );
  noDuplicates(
    config.hosts.map((h) => h.name),
    'config.hosts',
    'name',
  );
  config.customers.forEach((customer, i) => checkCustomer(customer, `config.customers[${i}]`));
  config.hosts.forEach((host, i) => {
    const path = `config.hosts[${i}]`;
    host.customers.forEach((id, j) => {
      if (!config.customers.some((c) => c.id === id)) {
        throw new ConfigError(`${path}.customers[${j}]`, `no customer with id '${id}'`);
      }
    });
    // One sign-in page serves all of a host's customers, so a user name must say which one.
    const usernames = config.customers.filter((c) => host.customers.includes(c.id)).flatMap((c) => c.users);
    noDuplicates(
      usernames.map((u) => u.username),
      `${path} (users of its customers)`,
      'username',
    );
  });
  config.faults.forEach((fault, i) => {
    if (fault.host !== undefined && !config.hosts.some((h) => h.name === fault.host)) {
      throw new ConfigError(`config.faults[${i}].host`, `no host named '${fault.host}'`);
    }
  });
}

export function checkCustomer(customer: CustomerConfig, path: string): void {
  noDuplicates(
    customer.libraries.map((l) => l.id),
    `${path}.libraries`,
    'id',
  );
  noDuplicates(
    customer.users.map((u) => u.username),
    `${path}.users`,
    'username',
  );
  noDuplicates(
    customer.applications.map((a) => a.clientId),
    `${path}.applications`,
    'clientId',
  );
  customer.users.forEach((user, i) => {
    const lib = user.preferredLibrary;
    if (lib !== undefined && !customer.libraries.some((l) => l.id === lib)) {
      throw new ConfigError(`${path}.users[${i}].preferredLibrary`, `no library '${lib}' in customer ${customer.id}`);
    }
  });
  customer.applications.forEach((app, i) => checkApplication(app, customer, `${path}.applications[${i}]`));
}

export function checkApplication(app: ApplicationConfig, customer: CustomerConfig, path: string): void {
  const known = (username: string): boolean => customer.users.some((u) => u.username === username);
  // assumption: public-client — a client without a secret cannot authenticate as itself.
  if (app.clientSecret === undefined && app.grants.includes('client_credentials')) {
    throw new ConfigError(`${path}.clientSecret`, 'required when grants include client_credentials');
  }
  if (app.grants.includes('client_credentials') && app.serviceUser === undefined) {
    throw new ConfigError(`${path}.serviceUser`, 'required when grants include client_credentials');
  }
  if (app.serviceUser !== undefined && !known(app.serviceUser)) {
    throw new ConfigError(`${path}.serviceUser`, `no user '${app.serviceUser}' in customer ${customer.id}`);
  }
  app.allowedUsers?.forEach((username, j) => {
    if (!known(username)) throw new ConfigError(`${path}.allowedUsers[${j}]`, `no user '${username}'`);
  });
}

function noDuplicates(values: readonly string[], path: string, field: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw new ConfigError(path, `duplicate ${field} '${v}'`);
    seen.add(v);
  }
}
