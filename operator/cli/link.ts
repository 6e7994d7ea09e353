// `imanage-operator link NAME`: the interactive link from a terminal. The operator keeps a one-time
// sign-in URL in the Secret status.tokens.signInSecret names (`NAME-sign-in`: RBAC on Secrets
// decides who may read it) while the connection is not linked; this prints it, then waits until an admin has signed in with it and the operator holds the tokens
// (TokensReady=True), or until something says it will not happen: a failure the callback recorded
// for a URL it printed (a decline, a wrong account, an expired URL...) ends it at once, naming it.
// With --relink it first asks the operator for a new sign-in on a linked connection (an
// annotation), and waits for a link newer than the one it started with; the account linked so
// far stays until the new sign-in succeeds. It reads the connection (and writes that annotation);
// the callback endpoint of the operator does the exchange.

import { linkWaitsOn } from '../api/reasons.ts';
import { grantOf } from '../api/connection.ts';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { goDurationMs } from '../api/duration.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import { imanageConnections } from '../api/kinds.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import { lastLink, linkFailure, nonceOfState, RELINK_ANNOTATION } from '../tokens/link-annotations.ts';
import type { SignIn } from '../tokens/ports.ts';
import { readSignIn } from '../tokens/sign-in-secret.ts';
import { NotFoundError } from '../runtime/kube/errors.ts';
import { CliUsageError, connect, KUBE_FLAGS_USAGE, KUBE_OPTIONS, kubeTarget, outputFormat } from './kube-flags.ts';
import type { CommandIo } from './validate.ts';

export const LINK_USAGE = `  link NAME [-n ns] [-o json] [--timeout d] [--relink]
      Link an AuthorizationCode connection's fall-back account: prints the one-time sign-in URL
      from the Secret its status names (NAME-sign-in: needs get on it), then waits until someone has signed in with it and the operator holds
      the tokens (TokensReady=True). Exit status: 0 linked, 1 not linked (a failure in the
      browser, the timeout, or a connection that does not link interactively), 2 usage error.
${KUBE_FLAGS_USAGE}        -o, --output json           one JSON object at the end instead of text
        --timeout d                 how long to wait, 1s to 24h [15m]
        --relink                    link again although linked (a refresh token ending, another
                                    account): the current account stays until the new sign-in succeeds
`;

const LINK_OPTIONS = { ...KUBE_OPTIONS, timeout: { type: 'string' }, relink: { type: 'boolean' } } as const;

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface LinkOutcome {
  readonly namespace: string;
  readonly name: string;
  readonly linked: boolean;
  /** The TokensReady reason, or NotFound, NotInteractive, Recreated, Timeout. */
  readonly reason: string;
  readonly message: string;
  readonly account?: string;
  readonly signInUrl?: string;
}

interface Watch {
  readonly client: Pick<KubeClient, 'get'>;
  readonly namespace: string;
  readonly name: string;
  readonly deadline: number;
  readonly pollMs: number;
  readonly onSignInUrl: (url: string, expiresAt: string | undefined) => void;
  /** --relink: linked only by a link newer than this generation (link-annotations.ts). */
  readonly linkedAfter?: number;
}

export interface LinkCommandOptions {
  readonly pollMs?: number;
}

export async function linkCommand(
  args: string[],
  io: Pick<CommandIo, 'stdout' | 'stderr'> = process,
  options: LinkCommandOptions = {},
): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: LINK_OPTIONS, strict: true, allowPositionals: true });
  const name = nameOf(positionals);
  const target = kubeTarget(values);
  if (target.allNamespaces) throw new CliUsageError('link takes one connection: give -n, not --all-namespaces');
  const format = outputFormat(values.output, ['text', 'json'] as const, 'text');
  const timeoutMs = timeoutOf(values.timeout);
  const { client, namespace } = await connect(target);
  const linkedAfter = values.relink ? await askRelink(client, namespace, name) : undefined;
  let printed: string | undefined;
  const onSignInUrl = (url: string, expiresAt: string | undefined): void => {
    printed = url;
    if (format === 'json') return;
    const until = expiresAt ? `It is valid until ${expiresAt}.\n` : '';
    io.stdout.write(
      `Open this URL and sign in as the fall-back account:\n\n  ${url}\n\n${until}` +
        'Waiting for the sign-in to finish (Ctrl-C to stop waiting)…\n',
    );
  };
  let outcome: LinkOutcome;
  try {
    const watch = { client, namespace, name, deadline: Date.now() + timeoutMs, pollMs: options.pollMs ?? 2000 };
    outcome = await waitForLink({ ...watch, onSignInUrl, ...(linkedAfter !== undefined ? { linkedAfter } : {}) });
  } finally {
    client.close();
  }
  report(io, format, { ...outcome, ...(printed ? { signInUrl: printed } : {}) });
  return outcome.linked ? 0 : 1;
}

function nameOf(positionals: readonly string[]): string {
  if (positionals.length !== 1) throw new CliUsageError('link takes the name of one IManageConnection');
  const name = positionals[0]!;
  if (!DNS_SUBDOMAIN.test(name)) {
    throw new CliUsageError(`'${name.slice(0, 63)}' is not a connection name (lower-case letters, digits, - and .)`);
  }
  return name;
}

function timeoutOf(value: string | undefined): number {
  const ms = goDurationMs(value ?? '15m');
  if (!(ms >= 1000 && ms <= 86_400_000)) {
    throw new CliUsageError(`--timeout must be a duration such as 10m or 1h, from 1s to 24h, not '${value}'`);
  }
  return ms;
}

/**
 * --relink: asks the operator for a new sign-in URL on a linked connection; returns the generation
 * of the link in place, which only a newer link ends the wait on. Not linked yet: a plain link.
 */
async function askRelink(client: KubeClient, namespace: string, name: string): Promise<number | undefined> {
  const connection = await read({ client, namespace, name });
  if (!connection) return undefined; // the wait says NotFound
  const generation = lastLink(connection).generation;
  const annotations = { [RELINK_ANNOTATION]: new Date().toISOString() };
  await client.patch(imanageConnections, { namespace, name }, { metadata: { annotations } });
  return generation;
}

/** Polls the connection until it is linked or will not be; each new sign-in URL is shown once. */
export async function waitForLink(watch: Watch): Promise<LinkOutcome> {
  const { namespace, name } = watch;
  let uid: string | undefined;
  let shown: string | undefined;
  const nonces = new Set<string>();
  for (;;) {
    const connection = await read(watch);
    if (!connection) return failure(watch, 'NotFound', `IManageConnection ${namespace}/${name} not found`);
    uid ??= connection.metadata.uid;
    if (connection.metadata.uid !== uid) {
      return failure(watch, 'Recreated', 'the connection was deleted and created again: run link again');
    }
    const failed = linkFailure(connection);
    if (failed && nonces.has(failed.nonce)) return failure(watch, failed.reason, failed.message);
    const verdict = verdictOf(watch, connection);
    if (verdict) return verdict;
    const signIn = await signInOf(watch, connection);
    if (signIn && signIn.url !== shown) {
      shown = signIn.url;
      const nonce = nonceOfState(URL.parse(shown)?.searchParams.get('state') ?? '');
      if (nonce) nonces.add(nonce);
      watch.onSignInUrl(shown, signIn.expiresAt.toISOString());
    }
    if (Date.now() >= watch.deadline) {
      const why = shown ? 'nobody finished the sign-in' : 'the operator showed no sign-in URL (is it running?)';
      return failure(watch, 'Timeout', `gave up waiting: ${why}`);
    }
    await sleep(watch.pollMs);
  }
}

/** Linked, failed, or undefined to keep waiting. */
function verdictOf(watch: Watch, connection: IManageConnection): LinkOutcome | undefined {
  const grant = grantOf(connection);
  if (grant !== 'AuthorizationCode') {
    return failure(watch, 'NotInteractive', `the connection uses auth.grant ${grant}; only AuthorizationCode links`);
  }
  const ready = connection.status?.conditions?.find((c) => c.type === 'TokensReady');
  const current =
    ready?.observedGeneration === undefined || ready.observedGeneration === connection.metadata.generation;
  if (!ready || !current) return undefined;
  if (watch.linkedAfter !== undefined && lastLink(connection).generation <= watch.linkedAfter) return undefined;
  const account = lastLink(connection).account; // the linked-account annotation, else status
  if (ready.status === 'True') {
    return {
      namespace: watch.namespace,
      name: watch.name,
      linked: true,
      reason: ready.reason ?? 'Linked',
      message: ready.message ?? '',
      ...(account ? { account } : {}),
    };
  }
  // The catalogue says which TokensReady reasons leave the link to be done; any other is a failure.
  if (ready.status === 'False' && !linkWaitsOn(ready.reason)) {
    return failure(watch, ready.reason ?? 'Unknown', ready.message ?? '');
  }
  return undefined;
}

/** The sign-in URL in the Secret status names; reading it needs `get` on that Secret. */
async function signInOf(watch: Watch, connection: IManageConnection): Promise<SignIn | undefined> {
  if (!connection.status?.tokens?.signInSecret) return undefined;
  const identity = { namespace: watch.namespace, name: watch.name, uid: connection.metadata.uid ?? '' };
  return readSignIn(watch.client, identity);
}

async function read(watch: Pick<Watch, 'client' | 'namespace' | 'name'>): Promise<IManageConnection | undefined> {
  try {
    return await watch.client.get(imanageConnections, { namespace: watch.namespace, name: watch.name });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function failure(watch: Watch, reason: string, message: string): LinkOutcome {
  return { namespace: watch.namespace, name: watch.name, linked: false, reason, message };
}

function report(io: Pick<CommandIo, 'stdout' | 'stderr'>, format: 'text' | 'json', outcome: LinkOutcome): void {
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    return;
  }
  const who = `${outcome.namespace}/${outcome.name}`;
  if (outcome.linked) {
    const as = outcome.account ? ` as ${outcome.account}` : '';
    io.stdout.write(`Linked ${who}${as}${outcome.message ? `: ${outcome.message}` : ''}\n`);
  } else {
    io.stderr.write(`Not linked ${who}: ${outcome.reason}${outcome.message ? `: ${outcome.message}` : ''}\n`);
  }
}
