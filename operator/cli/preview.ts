// `imanage-operator preview`: one resolver, one work item, one connection; prints the searches it
// sent, what matched and the folder. Two ways to reach iManage:
//   --url, --token-file, --customer, --library: directly (the simulator, or a server and a token
//       you hold); --resolve and --ca-file reach a simulator's virtual host like curl does.
//   --connection [-n]: through the cluster: the IManageConnection gives the URL, customer and
//       library, its token Secret the access token (plain/v1, or nested-jwe/v1 opened with the
//       connection's key material when the user may read it: connection-token.ts).
// Nothing is written to iManage: preview only searches and lists folders.

import { apiBaseOf, targetOf } from '../api/connection.ts';
import { readCaBundle } from '../tokens/connection-secrets.ts';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import type { IManageConnection, ResolverEntry } from '../api/generated/types.ts';
import { lookupWorkItemPath, suggestWorkItemPath, WORK_ITEM_ROOT } from '../api/resolver/index.ts';
import { realClock } from '../runtime/clock.ts';
import { specCustomerId } from '../api/customer-id.ts';
import { imanageConnections } from '../api/kinds.ts';
import { KubeClient, NotFoundError, secrets } from '../runtime/kube/index.ts';
import { HostOverrides, PRIVATE, ProbeGuard } from '../imanage/network.ts';
import { planResolution } from '../imanage/resolve-plan.ts';
import { type Outcome, resolvePlan, SearchLoad } from '../imanage/resolve.ts';
import { accessTokenFor, TokenSecretUnusable } from './connection-token.ts';
import { WorkClient } from '../imanage/work.ts';
import { WorkApiError } from '../imanage/work-errors.ts';

export const PREVIEW_USAGE = `  preview --resolver <text> [--fallback <text>]… [--folder <path>]
          [--on-multiple-matches First|Fail]
          [--set workitem.<path>=<value>]… [-f <work item .yaml/.json>] [--output text|json]
          (--url <https://host> --token-file <file> --customer <id> --library <id> [--ca-file <pem>]
           [--resolve host:port:address[:port]]…  |  --connection <name> [-n <namespace>] [--library <id>]
           [--kubeconfig <file>] [--context <name>] [--ca-file <pem>] [--resolve …])
      Resolve one resolver against iManage as the operator would, with a sample work item, and print
      the searches sent, what matched and the folder. Read-only. Exit status: 0 resolved, 1 not
      resolved (NoMatch, AmbiguousMatch, FolderMissing, Forbidden, LibraryNotFound, or the work item
      lacks a value), 2 usage error, 3 iManage unavailable or the token refused.
`;

export class PreviewUsageError extends Error {
  override readonly name = 'PreviewUsageError';
}

export interface PreviewIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const OPTIONS = {
  resolver: { type: 'string' },
  fallback: { type: 'string', multiple: true },
  folder: { type: 'string' },
  'on-multiple-matches': { type: 'string', default: 'First' },
  set: { type: 'string', multiple: true },
  file: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o', default: 'text' },
  url: { type: 'string' },
  'token-file': { type: 'string' },
  customer: { type: 'string' },
  library: { type: 'string' },
  'ca-file': { type: 'string' },
  resolve: { type: 'string', multiple: true },
  connection: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** Where to search, and with what token: from the flags, or from the cluster. */
interface Target {
  readonly apiBase: URL;
  readonly customerId: string;
  readonly library: string;
  readonly token: string;
  readonly ca?: string;
  readonly overrides: readonly string[];
}

export async function previewCommand(argv: string[], io: PreviewIo = process): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  const entry = entryFrom(values);
  const workItem = await workItemFrom(values);
  const plan = planResolution(entry, workItem);
  if (!plan.ok) {
    const hint = plan.reason === 'NeedsWorkItem' ? '; give its values with --set or -f' : '';
    io.stderr.write(`imanage-operator: ${plan.message}${hint}\n`);
    return 1;
  }
  let outcome: Outcome;
  let target: Target;
  try {
    target = values.connection === undefined ? await directTarget(values) : await clusterTarget(values);
    outcome = await resolvePlan(contextFor(target), plan);
  } catch (error) {
    if (!(error instanceof WorkApiError || error instanceof TokenSecretUnusable)) throw error;
    io.stderr.write(`imanage-operator: ${error.message}\n`);
    return 3;
  }
  io.stdout.write(values.output === 'json' ? `${JSON.stringify(outcome, null, 2)}\n` : describe(outcome, target));
  return outcome.kind === 'Resolved' ? 0 : 1;
}

function entryFrom(values: Values): ResolverEntry {
  if (values.resolver === undefined) throw new PreviewUsageError('preview needs --resolver');
  const policy = values['on-multiple-matches'];
  if (policy !== 'First' && policy !== 'Fail') {
    throw new PreviewUsageError(`--on-multiple-matches takes First or Fail, not '${policy}'`);
  }
  if (values.output !== 'text' && values.output !== 'json') throw new PreviewUsageError('--output takes text or json');
  return {
    workType: '*',
    resolver: values.resolver,
    onMultipleMatches: policy,
    ...(values.fallback ? { fallbacks: values.fallback } : {}),
    ...(values.folder ? { folder: values.folder } : {}),
  };
}

/** -f gives the work item (or a preview sample `{workType, workItem}`); each --set then sets one value. */
async function workItemFrom(values: Values): Promise<Record<string, unknown> | undefined> {
  if (values.file === undefined && values.set === undefined) return undefined;
  const item: Record<string, unknown> = values.file === undefined ? {} : await readWorkItemFile(values.file);
  for (const assignment of values.set ?? []) {
    const at = assignment.indexOf('=');
    if (at < 1) throw new PreviewUsageError(`--set takes workitem.<path>=<value>, not '${assignment}'`);
    setPath(item, declaredPath(assignment.slice(0, at)), assignment.slice(at + 1));
  }
  return item;
}

async function readWorkItemFile(file: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = loadYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new PreviewUsageError(`-f ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  const sample = isRecord(parsed) && isRecord(parsed['workItem']) ? parsed['workItem'] : parsed;
  if (!isRecord(sample)) throw new PreviewUsageError(`-f ${file}: write the work item as a mapping, e.g. title: Smith`);
  return structuredClone(sample);
}

/** `workitem.client.reference` or `client.reference` → `client.reference`, if the model declares it. */
function declaredPath(written: string): string {
  const path = written.startsWith(`${WORK_ITEM_ROOT}.`) ? written.slice(WORK_ITEM_ROOT.length + 1) : written;
  if (lookupWorkItemPath(path)) return path;
  const suggestion = suggestWorkItemPath(path);
  const hint = suggestion ? `; did you mean '${WORK_ITEM_ROOT}.${suggestion}'?` : '';
  throw new PreviewUsageError(`--set: '${written}' is not a work-item value${hint}`);
}

function setPath(item: Record<string, unknown>, path: string, value: string): void {
  const segments = path.split('.');
  let at = item;
  for (const segment of segments.slice(0, -1)) {
    if (!isRecord(at[segment])) at[segment] = {};
    at = at[segment] as Record<string, unknown>;
  }
  at[segments.at(-1)!] = value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function directTarget(values: Values): Promise<Target> {
  const missing = (['url', 'token-file', 'customer', 'library'] as const).filter((flag) => values[flag] === undefined);
  if (missing.length > 0) {
    throw new PreviewUsageError(`preview needs --connection, or ${missing.map((f) => `--${f}`).join(', ')}`);
  }
  const token = (await readFile(values['token-file']!, 'utf8')).trim();
  if (token === '') throw new PreviewUsageError(`--token-file ${values['token-file']} is empty`);
  return {
    apiBase: httpsUrl(values.url!, '--url'),
    customerId: values.customer!,
    library: values.library!,
    token,
    ...(values['ca-file'] ? { ca: await readFile(values['ca-file'], 'utf8') } : {}),
    overrides: values.resolve ?? [],
  };
}

/** The connection's URL, customer and library, and the access token from its token Secret. */
async function clusterTarget(values: Values): Promise<Target> {
  const kube = await KubeClient.load({
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.context ? { context: values.context } : {}),
  });
  const namespace = values.namespace ?? kube.namespace;
  const name = values.connection!;
  const connection = await kube.get(imanageConnections, { namespace, name });
  const { customerId, library } = targetOf(connection, { library: values.library });
  if (!customerId || !library) {
    throw new PreviewUsageError(`connection ${namespace}/${name} has no customer id or library yet; give --library`);
  }
  const token = await accessTokenFor(connection, (secretName) => readSecret(kube, namespace, secretName), new Date());
  // --ca-file (and --resolve) reach a test server, such as the simulator, standing in for the host.
  const ca = values['ca-file'] ? await readFile(values['ca-file'], 'utf8') : await readCaBundle(kube, connection);
  return {
    apiBase: httpsUrl(apiBaseOf(connection), 'the connection url'),
    customerId,
    library,
    token,
    ...(ca ? { ca } : {}),
    overrides: values.resolve ?? [],
  };
}

async function readSecret(kube: KubeClient, namespace: string, name: string) {
  try {
    return await kube.get(secrets, { namespace, name });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function httpsUrl(text: string, what: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'https:') throw new PreviewUsageError(`${what} must be an https URL, not '${text}'`);
  return url;
}

function contextFor(target: Target) {
  // Run by a person against their own server: loopback and private ranges (on-premise servers)
  // are allowed; link-local and metadata addresses stay refused.
  const guard = new ProbeGuard({
    allowLoopback: true,
    serviceCidrs: [],
    allowedCidrs: PRIVATE.map((r) => r.cidr.text),
  });
  const network = { overrides: new HostOverrides([...target.overrides]), guard, timeoutMs: 15_000 };
  const work = new WorkClient(
    { apiBase: target.apiBase, customerId: target.customerId, ...(target.ca ? { ca: target.ca } : {}) },
    network,
    () => target.token,
  );
  const load = new SearchLoad({ clock: realClock });
  return { work, load, library: target.library, asker: { connection: 'preview', owner: 'preview', intervalMs: 0 } };
}

function describe(outcome: Outcome, target: Target): string {
  const lines = [`library ${target.library} at ${target.apiBase.host} (customer ${target.customerId})`];
  for (const s of outcome.searches) {
    const query = new URLSearchParams(s.query).toString();
    lines.push(
      `search (${s.source}): ${s.resolver}`,
      `  sent ?${query}: ${s.matches} match${s.matches === 1 ? '' : 'es'}`,
    );
  }
  for (const s of outcome.skipped)
    lines.push(`search (${s.source}): not sent, the work item has no [${s.missingPath}]`);
  lines.push(...outcomeLines(outcome));
  return `${lines.join('\n')}\n`;
}

function outcomeLines(outcome: Outcome): string[] {
  switch (outcome.kind) {
    case 'Resolved':
      return [
        `workspace: ${outcome.workspace.name} (${outcome.workspace.id}), by ${outcome.matchedBy}, ` +
          `${outcome.matches} match(es)`,
        outcome.folder ? `folder: ${outcome.folder.path} (${outcome.folder.id})` : 'folder: none named (the workspace)',
      ];
    case 'FolderMissing':
      return [
        `workspace: ${outcome.workspace.name} (${outcome.workspace.id}), by ${outcome.matchedBy}`,
        `folder: missing: no '${outcome.missing}' in ${outcome.existing === '' ? 'the workspace' : outcome.existing}`,
      ];
    case 'AmbiguousMatch':
      return [
        `not resolved: AmbiguousMatch, ${outcome.matches} workspaces match (onMultipleMatches: Fail):`,
        ...outcome.candidates.map((c) => `  ${c.name} (${c.id})`),
      ];
    case 'NoMatch':
      return ['not resolved: NoMatch, no workspace matches (create it in iManage, or correct the resolver)'];
    case 'Forbidden':
      return [`not resolved: Forbidden: ${outcome.detail}`];
    case 'LibraryNotFound':
      return [`not resolved: LibraryNotFound: no library '${outcome.library}'`];
  }
}
