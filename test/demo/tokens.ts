// The token side of `npm run demo`. The examples' fall-back account Secrets hold FAKE placeholder
// refresh tokens; the demo plays the administrator who linked each account once: it asks the
// simulator for a real refresh token (password grant as the customer's user, through the same
// application the operator will refresh with) and puts it in the Secret before the operator starts.
// After the table, it prints each connection's tokens: the materialized encrypted Secret, or the
// sign-in URL of a connection that waits NotLinked for an interactive link.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { send } from '../../simulator/testing/client.ts';
import type { ControlPlane } from '../harness/controlplane.ts';

interface Doc {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string };
  readonly data?: Record<string, string>;
  readonly spec?: {
    readonly url?: string;
    readonly customerId?: string;
    readonly clientSecretRef?: { readonly name: string };
    readonly auth?: { readonly credentialsSecretRef?: { readonly name: string } };
  };
}

export interface Application {
  readonly clientId: string;
  readonly clientSecret: string;
}

const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

async function docsOf(folder: string): Promise<Doc[]> {
  const read = (file: string) => readFile(join(folder, file), 'utf8').catch(() => '');
  const [connections, secrets] = await Promise.all([read('connection.yaml'), read('secrets.yaml')]);
  return [...loadAll(connections), ...loadAll(secrets)].filter(Boolean) as Doc[];
}

/** A refresh token for the customer's first user, issued to `app` by the simulator. */
async function refreshTokenFor(sim: RunningSimulator, scenario: Scenario, doc: Doc, app: Application): Promise<string> {
  const host = new URL(doc.spec!.url!).hostname;
  const customerId = doc.spec?.customerId ?? scenario.hosts?.find((h) => h.name === host)?.customers?.[0];
  const user = scenario.customers?.find((c) => c.id === customerId)?.users?.[0];
  if (!user) throw new Error(`examples.yaml has no user of customer ${customerId} for ${doc.metadata?.name}`);
  const form = new URLSearchParams({
    grant_type: 'password',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    username: user.username,
    password: user.password ?? '',
    scope: 'user',
  });
  const answer = await send(
    { port: sim.httpsPort, host, ca: sim.caPem },
    {
      method: 'POST',
      path: '/auth/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    },
  );
  if (answer.status !== 200)
    throw new Error(`no refresh token for ${doc.metadata?.name}: HTTP ${answer.status} ${answer.text}`);
  return answer.json<{ refresh_token: string }>().refresh_token;
}

/** Replaces each placeholder refresh token of `folder`'s connections with one the simulator issued. */
export async function seedRefreshTokens(
  cp: Pick<ControlPlane, 'kubectl'>,
  sim: RunningSimulator,
  scenario: Scenario,
  folder: string,
  namespace: string,
  defaultApp: Application,
): Promise<number> {
  const docs = await docsOf(folder);
  const secrets = new Map(docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata?.name, d]));
  let seeded = 0;
  for (const doc of docs.filter((d) => d.kind === 'IManageConnection' && d.spec?.auth?.credentialsSecretRef)) {
    const credentials = secrets.get(doc.spec!.auth!.credentialsSecretRef!.name);
    if (credentials?.data?.['refreshToken'] === undefined) continue;
    const own = doc.spec?.clientSecretRef && secrets.get(doc.spec.clientSecretRef.name)?.data;
    const app = own ? { clientId: decode(own['clientId']), clientSecret: decode(own['clientSecret']) } : defaultApp;
    const token = await refreshTokenFor(sim, scenario, doc, app);
    const name = credentials.metadata!.name!;
    const patch = JSON.stringify({ data: { refreshToken: Buffer.from(token).toString('base64') } });
    const result = await cp.kubectl(['patch', 'secret', name, '-n', namespace, '--type', 'merge', '-p', patch]);
    if (result.code !== 0) throw new Error(`kubectl patch secret ${name}: ${result.stderr.trim()}`);
    seeded++;
  }
  return seeded;
}

interface TokensObject {
  readonly metadata: { readonly namespace: string; readonly name: string };
  readonly status?: {
    readonly conditions?: readonly { type: string; status: string; reason: string }[];
    readonly tokens?: { secretName?: string; encrypted?: boolean; account?: string; signInSecret?: string };
  };
}

/** One line per connection: where its tokens are, or where to sign in. Never a token. */
export async function tokenLines(cp: Pick<ControlPlane, 'kubectl'>): Promise<string[]> {
  const result = await cp.kubectl(['get', 'imanageconnections', '-A', '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get imanageconnections: ${result.stderr.trim()}`);
  const items = (JSON.parse(result.stdout) as { items: TokensObject[] }).items;
  return items
    .map((o) => {
      const ready = o.status?.conditions?.find((c) => c.type === 'TokensReady');
      const t = o.status?.tokens;
      const where = `${o.metadata.namespace}/${o.metadata.name}: TokensReady=${ready?.status ?? '-'} ${ready?.reason ?? ''}`;
      if (t?.signInSecret) return `${where}; its sign-in URL is in Secret ${t.signInSecret} (link prints it)`;
      if (ready?.status !== 'True' || !t?.secretName) return where;
      const format = t.encrypted ? 'encrypted, nested-jwe/v1' : 'not encrypted, plain/v1';
      return `${where}; Secret ${t.secretName} (${format}) holds the tokens of ${t.account ?? 'the account'}`;
    })
    .sort();
}
