// `imanage-operator app-package`: the application package an on-premise iManage registers an
// application from (seed 002): manifest.yaml in a ZIP, with a fresh api_key and api_secret and
// the redirect URI of every environment of the connection. The key and secret go into the
// connection's client Secret (in the cluster, or a manifest file with --secret-out); the secret is
// never printed, and the ZIP, which holds it, is written for its owner only.

import { profileOf } from '../api/connection.ts';
import { randomBytes } from 'node:crypto';
import { access, link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dump, loadAll } from 'js-yaml';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import { effectiveRedirectUris, formatProblem, validateResource } from '../api/validation/index.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import { type Secret, secrets } from '../runtime/kube/resources.ts';
import { KUBE_FLAGS_USAGE, KUBE_OPTIONS, connect, kubeTarget, outputFormat } from './kube-flags.ts';
import {
  APPLICATION_DEFAULTS,
  type AppManifest,
  type ApplicationFields,
  generateCredentials,
  manifestProblems,
  manifestYaml,
  maskedManifest,
} from './manifest.ts';
import { zip } from './zip.ts';

export const APP_PACKAGE_USAGE = `  app-package <connection> [-f file] [--out zip] [--create-secret]
      Build the application package (manifest.yaml in a ZIP) an on-premise iManage uploads under
      Control Center > Settings > Applications > Add Application > Upload package. Generates the
      api_key and api_secret and stores them in the connection's clientSecretRef Secret (keys
      clientId, clientSecret); never prints the secret; writes the ZIP with mode 0600.
        -f, --filename file         read the connection from a file instead of the cluster
        --out file                  the ZIP [<connection>-manifest.zip]
        --force                     overwrite --out and --secret-out when they exist
        --environment name          only this environment's redirect URI; repeatable [all]
        --create-secret             create the client Secret when it does not exist
        --replace-credentials       overwrite a Secret that already holds clientId
        --secret-out file           write the Secret as a manifest (0600) instead of to the cluster
        --id, --name, --publisher, --organization, --app-version
                                    the manifest's fields [Legatics: as its guide writes them]
${KUBE_FLAGS_USAGE}        -o, --output text|json
`;

export class AppPackageUsageError extends Error {
  override readonly name = 'AppPackageUsageError';
}

/** A file could not be written; nothing was left behind (the temporary file holds the secret). */
export class AppPackageWriteError extends Error {
  override readonly name = 'AppPackageWriteError';
}

const OPTIONS = {
  ...KUBE_OPTIONS,
  filename: { type: 'string', short: 'f' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  environment: { type: 'string', multiple: true },
  'create-secret': { type: 'boolean' },
  'replace-credentials': { type: 'boolean' },
  'secret-out': { type: 'string' },
  id: { type: 'string' },
  name: { type: 'string' },
  publisher: { type: 'string' },
  organization: { type: 'string' },
  'app-version': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface AppPackageIo {
  readonly stdout: { write(text: string): unknown };
  readonly random?: (n: number) => Buffer;
}

/** The connection named on the command line, from a file of manifests. */
async function connectionFromFile(file: string, name: string | undefined): Promise<IManageConnection> {
  const docs = loadAll(await readFile(file, 'utf8')) as IManageConnection[];
  const found = docs.filter(
    (d) => d?.kind === 'IManageConnection' && (name === undefined || d.metadata?.name === name),
  );
  if (found.length !== 1) {
    const what = name === undefined ? 'exactly one IManageConnection (or name one)' : `IManageConnection '${name}'`;
    throw new AppPackageUsageError(`${file} does not hold ${what}`);
  }
  return found[0]!;
}

/** The checked connection with schema defaults; a usage error lists what is wrong with it. */
function checkedConnection(connection: IManageConnection): IManageConnection {
  const { problems, value } = validateResource(connection);
  if (!value) {
    throw new AppPackageUsageError(`the connection is not valid:\n  ${problems.map(formatProblem).join('\n  ')}`);
  }
  const spec = (value as IManageConnection).spec;
  if (spec.connectionType !== 'OnPremise') {
    throw new AppPackageUsageError(
      `connectionType ${spec.connectionType}: only an on-premise iManage registers applications from a package; ` +
        'on iManage Cloud pick the product from Control Center > Applications > Add Application',
    );
  }
  if (spec.profile === 'Syncly') {
    throw new AppPackageUsageError(
      "Syncly publishes its own package: download it as Step 1 of Syncly's iManage on-premise guide says",
    );
  }
  if (!spec.clientSecretRef)
    throw new AppPackageUsageError('the connection has no clientSecretRef to store the key in');
  return value as IManageConnection;
}

function applicationFields(values: Values, connection: IManageConnection): ApplicationFields {
  const defaults = APPLICATION_DEFAULTS[profileOf(connection) as keyof typeof APPLICATION_DEFAULTS];
  const given = {
    id: values.id ?? defaults?.id,
    name: values.name ?? defaults?.name,
    publisher: values.publisher ?? defaults?.publisher,
    organization: values.organization ?? defaults?.organization,
    version: values['app-version'] ?? defaults?.version,
  };
  const missing = Object.entries(given)
    .filter(([, v]) => !v)
    .map(([k]) => `--${k === 'version' ? 'app-version' : k}`);
  if (missing.length > 0) {
    throw new AppPackageUsageError(
      `profile ${connection.spec.profile} has no package fields of its own: give ${missing.join(', ')}`,
    );
  }
  return given as ApplicationFields;
}

function redirectUris(connection: IManageConnection, only: readonly string[] | undefined): string[] {
  const all = effectiveRedirectUris(connection.spec);
  const chosen = only ? all.filter((e) => only.includes(e.name)) : all;
  const unknown = (only ?? []).filter((name) => !all.some((e) => e.name === name));
  if (unknown.length > 0) throw new AppPackageUsageError(`no environment named ${unknown.join(', ')}`);
  if (chosen.length === 0) throw new AppPackageUsageError('the connection lists no environment, so no redirect URI');
  return chosen.map((e) => e.redirectUri);
}

/**
 * Writes owner-only: a new file in the same folder, then moved onto the target: renamed over it with
 * --force, else hard-linked, which fails if the target appeared meanwhile. The temporary file holds the
 * secret, so it is removed on every path.
 */
async function writePrivate(path: string, content: string | Uint8Array, force: boolean): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
    if (force) await rename(temporary, path);
    else await link(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && !force) throw existsError(path);
    throw new AppPackageWriteError(`cannot write ${path} (${code ?? (error as Error).message}); nothing was written`);
  } finally {
    await rm(temporary, { force: true });
  }
}

const existsError = (path: string) =>
  new AppPackageUsageError(`${path} exists; pass --force to overwrite it, or choose another --out/--secret-out`);

/** Refuses early, before any credential is generated or stored, a target that exists without --force. */
async function refuseExisting(paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  for (const path of paths) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) throw existsError(path);
  }
}

interface SecretTarget {
  readonly namespace: string;
  readonly name: string;
}

/** Stores the key and secret; returns what happened, in words. */
async function storeInCluster(
  client: KubeClient,
  at: SecretTarget,
  values: Values,
  data: Record<string, string>,
): Promise<string> {
  let existing: Secret | undefined;
  try {
    existing = await client.get(secrets, at);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (!existing) {
    if (!values['create-secret']) {
      throw new AppPackageUsageError(
        `Secret ${at.namespace}/${at.name} does not exist; pass --create-secret to create it`,
      );
    }
    await client.create(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...at },
      type: 'Opaque',
      stringData: data,
    } as Secret);
    return `created Secret ${at.namespace}/${at.name}`;
  }
  if (existing.data?.['clientId'] && !values['replace-credentials']) {
    throw new AppPackageUsageError(
      `Secret ${at.namespace}/${at.name} already holds a clientId; pass --replace-credentials to replace it ` +
        '(the application registered with the old one stops matching)',
    );
  }
  await client.patch(secrets, at, { stringData: data });
  return `stored clientId and clientSecret in Secret ${at.namespace}/${at.name}`;
}

function secretManifest(at: SecretTarget, data: Record<string, string>): string {
  return dump({ apiVersion: 'v1', kind: 'Secret', metadata: { ...at }, type: 'Opaque', stringData: data });
}

function nextSteps(zipPath: string, secret: SecretTarget, connection: IManageConnection): string {
  const legatics =
    connection.spec.profile === 'Legatics'
      ? '  4. Legatics: Admin System > Integrations > iManage > Add server > On-premise, with URL, API URL,\n' +
        "     Client ID and Client Secret (Legatics' iManage guide, Step 2).\n"
      : '';
  return `Next:
  1. Upload ${zipPath} in iManage Control Center > Settings > Applications > Add Application > Upload package.
  2. Authentication > Access > Review > Finish, with "Enable Application" ticked.
  3. Copy back: iManage shows the application's Client ID and Client Secret. If they differ from the
     package's api_key and the secret stored above, put iManage's values in the Secret:
       kubectl -n ${secret.namespace} create secret generic ${secret.name} --from-literal=clientId=<Client ID> \\
         --from-literal=clientSecret=<Client Secret> --dry-run=client -o yaml | kubectl apply -f -
${legatics}  Then delete ${zipPath}: it holds the secret.
`;
}

export async function appPackageCommand(args: string[], io: AppPackageIo = process): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length > 1) throw new AppPackageUsageError('app-package takes one connection name');
  const format = outputFormat(values.output, ['text', 'json'] as const, 'text');
  const target = kubeTarget(values);
  const name = positionals[0];
  if (!name && !values.filename) throw new AppPackageUsageError('name the connection, or give -f with one connection');
  const cluster = values.filename && values['secret-out'] ? undefined : await connect(target);
  try {
    const raw = values.filename
      ? await connectionFromFile(values.filename, name)
      : await cluster!.client.get(imanageConnections, { namespace: cluster!.namespace, name: name! });
    const connection = checkedConnection(raw);
    const zipPath = values.out ?? `${connection.metadata.name}-manifest.zip`;
    const force = values.force === true;
    await refuseExisting([zipPath, ...(values['secret-out'] ? [values['secret-out']] : [])], force);
    const { apiKey, apiSecret } = generateCredentials(io.random);
    const fields = applicationFields(values, connection);
    const uris = redirectUris(connection, values.environment);
    // In the seed's order.
    const manifest: AppManifest = {
      id: fields.id,
      name: fields.name,
      api_key: apiKey,
      api_secret: apiSecret,
      publisher: fields.publisher,
      organization: fields.organization,
      version: fields.version,
      redirect_url: uris.length === 1 ? uris[0]! : uris,
    };
    const problems = manifestProblems(manifest as unknown as Record<string, unknown>);
    if (problems.length > 0) throw new Error(`generated manifest is invalid: ${problems.join('; ')}`);
    const secret = {
      namespace: connection.metadata?.namespace ?? target.namespace ?? cluster?.namespace ?? 'default',
      name: connection.spec.clientSecretRef!.name,
    };
    const data = { clientId: apiKey, clientSecret: apiSecret };
    let stored: string;
    if (values['secret-out']) {
      await writePrivate(values['secret-out'], secretManifest(secret, data), force);
      const where = `${secret.namespace}/${secret.name} to ${values['secret-out']}`;
      stored = `wrote Secret ${where} (mode 0600); apply it with kubectl apply -f`;
    } else {
      stored = await storeInCluster(cluster!.client, secret, values, data);
    }
    await writePrivate(zipPath, zip([{ name: 'manifest.yaml', content: manifestYaml(manifest) }]), force);
    const shown = maskedManifest(manifest);
    if (format === 'json') {
      io.stdout.write(`${JSON.stringify({ zip: resolve(zipPath), manifest: shown, secret, stored }, null, 2)}\n`);
    } else {
      const indented = manifestYaml(shown).trimEnd().replaceAll('\n', '\n  ');
      io.stdout.write(
        `wrote ${zipPath} (mode 0600) holding manifest.yaml:\n  ${indented}\n${stored}\n` +
          nextSteps(zipPath, secret, connection),
      );
    }
    return 0;
  } finally {
    cluster?.client.close();
  }
}
