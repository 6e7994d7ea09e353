// Untyped input (a YAML document or an admin request body) → typed, defaulted configuration.
// The same readers serve the file and the admin API, so both accept exactly the same shapes.
import { ConfigError } from '../errors.ts';
import {
  bool,
  fields,
  list,
  num,
  oneOf,
  optNum,
  optStr,
  str,
  stringItem,
  stringMap,
  strOr,
  type Fields,
} from './read.ts';
import {
  CERTIFICATE_FAULTS,
  DEFAULT_DIALECT,
  FAULT_KINDS,
  TOKEN_ERROR_SHAPES,
  GRANTS,
  REFRESH_TOKEN_ROTATIONS,
  type ApplicationConfig,
  type CustomerConfig,
  type CustomValue,
  type Dialect,
  type DocumentConfig,
  type FaultConfig,
  type FolderConfig,
  type HostConfig,
  type LibraryConfig,
  type PendingRedirectUri,
  type SimulatorConfig,
  type UserConfig,
  type WorkspaceConfig,
} from './types.ts';
import { customFieldKind, CUSTOM_FIELD_NAMES } from '../work/custom-fields.ts';

export function parseConfig(raw: unknown): SimulatorConfig {
  const o = fields(raw ?? {}, 'config', ['hosts', 'customers', 'tokens', 'faults']);
  const tokens = fields(o['tokens'] ?? {}, 'config.tokens', ['authorizationCodeSeconds']);
  return {
    hosts: list(o, 'hosts', 'config', readHost),
    customers: list(o, 'customers', 'config', readCustomer),
    tokens: { authorizationCodeSeconds: num(tokens, 'authorizationCodeSeconds', 'config.tokens', 60, 1) },
    faults: list(o, 'faults', 'config', readFault),
  };
}

export function readHost(raw: unknown, path: string): HostConfig {
  const o = fields(raw, path, ['name', 'customers', 'versions', 'dmsVersion', 'dialect']);
  const versions = Array.isArray(o['versions'])
    ? list(o, 'versions', path, stringItem)
    : stringMap(o, 'versions', path);
  const dmsVersion = optStr(o, 'dmsVersion', path);
  const customers = list(o, 'customers', path, stringItem);
  if (customers.length === 0) throw new ConfigError(`${path}.customers`, 'must name at least one customer');
  const dialect = readDialect(o['dialect'], `${path}.dialect`);
  // assumption: discovery-user — customer_id as a number needs ids that are numbers.
  const notNumeric = customers.findIndex((id) => !/^[0-9]{1,15}$/.test(id));
  if (dialect.customerIdAs === 'number' && notNumeric >= 0) {
    const message = `customerIdAs number needs a numeric id, not '${customers[notNumeric]}'`;
    throw new ConfigError(`${path}.customers[${notNumeric}]`, message);
  }
  return {
    name: str(o, 'name', path).toLowerCase(),
    customers,
    ...(versions ? { versions } : {}),
    ...(dmsVersion === undefined ? {} : { dmsVersion }),
    dialect,
  };
}

function readDialect(raw: unknown, path: string): Dialect {
  const o = fields(raw ?? {}, path, ['tokenErrors', 'tokenType', 'unknownParameters', 'customerIdAs']);
  const d = DEFAULT_DIALECT;
  return {
    tokenErrors: oneOf(strOr(o, 'tokenErrors', path, d.tokenErrors), TOKEN_ERROR_SHAPES, `${path}.tokenErrors`),
    tokenType: oneOf(strOr(o, 'tokenType', path, d.tokenType), ['Bearer', 'omit'], `${path}.tokenType`),
    unknownParameters: oneOf(
      strOr(o, 'unknownParameters', path, d.unknownParameters),
      ['ignore', 'reject'],
      `${path}.unknownParameters`,
    ),
    customerIdAs: oneOf(strOr(o, 'customerIdAs', path, d.customerIdAs), ['string', 'number'], `${path}.customerIdAs`),
  };
}

export function readCustomer(raw: unknown, path: string): CustomerConfig {
  const o = fields(raw, path, ['id', 'name', 'libraries', 'users', 'applications']);
  const id = str(o, 'id', path);
  return {
    id,
    name: strOr(o, 'name', path, `Customer ${id}`),
    libraries: list(o, 'libraries', path, readLibrary),
    users: list(o, 'users', path, readUser),
    applications: list(o, 'applications', path, readApplication),
  };
}

export function readLibrary(raw: unknown, path: string): LibraryConfig {
  const o = fields(raw, path, ['id', 'type', 'isHidden', 'workspaces']);
  return {
    id: str(o, 'id', path),
    type: strOr(o, 'type', path, 'worksite'), // assumption: library-type
    isHidden: bool(o, 'isHidden', path, false),
    workspaces: list(o, 'workspaces', path, readWorkspace),
  };
}

const WORKSPACE_FIELDS = ['id', 'name', 'description', 'owner', 'defaultSecurity', 'folders', ...CUSTOM_FIELD_NAMES];

export function readWorkspace(raw: unknown, path: string): WorkspaceConfig {
  const o = fields(raw, path, WORKSPACE_FIELDS);
  const id = optStr(o, 'id', path);
  return {
    ...(id === undefined ? {} : { id }),
    name: str(o, 'name', path),
    description: strOr(o, 'description', path, ''),
    owner: strOr(o, 'owner', path, 'WSADMIN'),
    defaultSecurity: oneOf(strOr(o, 'defaultSecurity', path, 'inherit'), SECURITY, `${path}.defaultSecurity`),
    custom: readCustomFields(o, path),
    folders: list(o, 'folders', path, readFolder),
  };
}

const SECURITY = ['inherit', 'private', 'view', 'public'] as const;

function readCustomFields(o: Fields, path: string): Record<string, CustomValue> {
  const custom: Record<string, CustomValue> = {};
  for (const name of CUSTOM_FIELD_NAMES) {
    if (o[name] !== undefined) custom[name] = readCustomValue(name, o[name], `${path}.${name}`);
  }
  return custom;
}

function readCustomValue(name: string, v: unknown, path: string): CustomValue {
  switch (customFieldKind(name)) {
    case 'alias':
      if (typeof v === 'string' || typeof v === 'number') return { alias: String(v) };
      return readAlias(v, path);
    case 'number':
      if (typeof v !== 'number') throw new ConfigError(path, 'must be a number');
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new ConfigError(path, 'must be true or false');
      return v;
    case 'date':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new ConfigError(path, 'must be an ISO 8601 date');
      return { date: new Date(v).toISOString() };
  }
}

function readAlias(v: unknown, path: string): CustomValue {
  const o = fields(v, path, ['alias', 'description']);
  const description = optStr(o, 'description', path);
  return { alias: str(o, 'alias', path), ...(description === undefined ? {} : { description }) };
}

export function readFolder(raw: unknown, path: string): FolderConfig {
  const o = fields(raw, path, ['id', 'name', 'description', 'folderType', 'folders', 'documents']);
  const id = optStr(o, 'id', path);
  return {
    ...(id === undefined ? {} : { id }),
    name: str(o, 'name', path),
    description: strOr(o, 'description', path, ''),
    folderType: strOr(o, 'folderType', path, 'regular'),
    folders: list(o, 'folders', path, readFolder),
    documents: list(o, 'documents', path, readDocument),
  };
}

function readDocument(raw: unknown, path: string): DocumentConfig {
  const o = fields(raw, path, ['name', 'extension', 'author', 'content']);
  const author = optStr(o, 'author', path);
  return {
    name: str(o, 'name', path),
    extension: strOr(o, 'extension', path, 'docx'),
    content: typeof o['content'] === 'string' ? o['content'] : '',
    ...(author === undefined ? {} : { author }),
  };
}

export function readUser(raw: unknown, path: string): UserConfig {
  const o = fields(raw, path, ['username', 'password', 'id', 'email', 'fullName', 'preferredLibrary']);
  const username = str(o, 'username', path);
  const preferredLibrary = optStr(o, 'preferredLibrary', path);
  return {
    username,
    password: str(o, 'password', path),
    id: strOr(o, 'id', path, username.toUpperCase()), // assumption: ids
    email: strOr(o, 'email', path, `${username}@example.invalid`),
    fullName: strOr(o, 'fullName', path, username),
    ...(preferredLibrary === undefined ? {} : { preferredLibrary }),
  };
}

const APPLICATION_FIELDS = [
  'clientId',
  'clientSecret',
  'name',
  'redirectUris',
  'pendingRedirectUris',
  'allowRefreshToken',
  'refreshTokenDays',
  'accessTokenMinutes',
  'refreshTokenRotation',
  'grants',
  'scopes',
  'serviceUser',
  'allowedUsers',
];

export function readApplication(raw: unknown, path: string): ApplicationConfig {
  const o = fields(raw, path, APPLICATION_FIELDS);
  const clientId = str(o, 'clientId', path);
  const serviceUser = optStr(o, 'serviceUser', path);
  const allowedUsers = o['allowedUsers'] === undefined ? undefined : list(o, 'allowedUsers', path, stringItem);
  const clientSecret = optStr(o, 'clientSecret', path);
  return {
    clientId,
    ...(clientSecret === undefined ? {} : { clientSecret }),
    name: strOr(o, 'name', path, clientId),
    redirectUris: list(o, 'redirectUris', path, stringItem),
    pendingRedirectUris: list(o, 'pendingRedirectUris', path, readPendingRedirectUri),
    allowRefreshToken: bool(o, 'allowRefreshToken', path, false),
    refreshTokenDays: num(o, 'refreshTokenDays', path, 365, 1),
    accessTokenMinutes: num(o, 'accessTokenMinutes', path, 30, 0),
    refreshTokenRotation: readRotation(o, path),
    grants: readGrants(o, path),
    scopes: o['scopes'] === undefined ? ['user'] : list(o, 'scopes', path, stringItem),
    ...(serviceUser === undefined ? {} : { serviceUser }),
    ...(allowedUsers === undefined ? {} : { allowedUsers }),
  };
}

/** assumption: refresh-rotation (the default), refresh-rotation-grace */
function readRotation(o: Fields, path: string): ApplicationConfig['refreshTokenRotation'] {
  const rotation = strOr(o, 'refreshTokenRotation', path, 'revoke-at-once');
  return oneOf(rotation, REFRESH_TOKEN_ROTATIONS, `${path}.refreshTokenRotation`);
}

function readGrants(o: Fields, path: string): ApplicationConfig['grants'] {
  if (o['grants'] === undefined) return ['authorization_code', 'password'];
  return list(o, 'grants', path, (item, itemPath) => {
    const grant = stringItem(item, itemPath);
    if (grant === 'refresh_token') throw new ConfigError(itemPath, 'refresh_token is governed by allowRefreshToken');
    return oneOf(grant, GRANTS, itemPath);
  });
}

export function readPendingRedirectUri(raw: unknown, path: string): PendingRedirectUri {
  const o = fields(raw, path, ['uri', 'registeredAfterSeconds']);
  return { uri: str(o, 'uri', path), registeredAfterSeconds: num(o, 'registeredAfterSeconds', path, 86_400) };
}

export function readFault(raw: unknown, path: string): FaultConfig {
  const o = fields(raw, path, ['kind', 'host', 'path', 'method', 'status', 'retryAfterSeconds', 'delayMs', 'times']);
  const kind = oneOf(str(o, 'kind', path), FAULT_KINDS, `${path}.kind`);
  const host = optStr(o, 'host', path)?.toLowerCase();
  const faultPath = optStr(o, 'path', path);
  const method = optStr(o, 'method', path)?.toUpperCase();
  const times = optNum(o, 'times', path, 1);
  if (CERTIFICATE_FAULTS.includes(kind) && (faultPath !== undefined || method !== undefined)) {
    throw new ConfigError(`${path}.path`, `a ${kind} fault is chosen during the TLS handshake, per host only`);
  }
  return {
    kind,
    ...(host === undefined ? {} : { host }),
    ...(faultPath === undefined ? {} : { path: faultPath }),
    ...(method === undefined ? {} : { method }),
    status: num(o, 'status', path, 503, 400),
    retryAfterSeconds: num(o, 'retryAfterSeconds', path, 1),
    delayMs: num(o, 'delayMs', path, 10_000),
    ...(times === undefined ? {} : { times }),
  };
}
