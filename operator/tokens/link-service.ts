// The interactive link as the rest of the operator sees it: LinkService (the sign-in URL the
// connection controller puts in status, and the callback URL the registration probe checks) and
// the callback server it needs, started together by run.ts on every replica.

import { IManageOAuthClient, type OAuthNetwork } from '../imanage/oauth.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import type { Logger } from '../runtime/log.ts';
import { readFile } from 'node:fs/promises';
import { type CallbackServer, startCallbackServer, type CallbackTls } from './callback-server.ts';
import { issueState, verifierFor } from './link-state.ts';
import { publishSignIn, readSignIn, signInSecretName } from './sign-in-secret.ts';
import { LinkStore } from './link-store.ts';
import type { ConnectionIdentity, LinkServer, LinkService, SignIn, TokenSink } from './ports.ts';

/**
 * openid-client wants a client secret to build any client; building a sign-in URL sends nothing,
 * so this stands in for the connection's secret, which the callback reads when it needs it.
 */
const NO_SECRET_NEEDED = 'not-used-to-build-a-sign-in-url';

export class InteractiveLink implements LinkService {
  readonly callbackUrl: string;
  readonly #store: LinkStore;
  readonly #network: OAuthNetwork;
  /** Writes and reads the connections' sign-in Secrets. */
  readonly #client: Pick<KubeClient, 'get' | 'create' | 'replace'>;

  constructor(
    callbackUrl: string,
    store: LinkStore,
    network: OAuthNetwork,
    client: Pick<KubeClient, 'get' | 'create' | 'replace'>,
  ) {
    this.callbackUrl = callbackUrl;
    this.#store = store;
    this.#network = network;
    this.#client = client;
  }

  async current(connection: ConnectionIdentity): Promise<(SignIn & { generation: number }) | undefined> {
    const found = await readSignIn(this.#client, connection);
    const state = found ? URL.parse(found.url)?.searchParams.get('state') : undefined;
    const generation = state ? generationOfState(state) : undefined;
    if (!found || generation === undefined) return undefined;
    return { ...found, secretName: signInSecretName(connection.name), generation };
  }

  async signInUrl(connection: ConnectionIdentity, server: LinkServer, now: Date, generation = 0): Promise<SignIn> {
    const key = await this.#store.key();
    const { state, expiresAt } = issueState(key, connection, now, generation);
    const application = { baseUrl: server.baseUrl, clientId: server.clientId, clientSecret: NO_SECRET_NEEDED };
    const pending = await new IManageOAuthClient(application, this.#network).beginAuthorization({
      redirectUri: this.callbackUrl,
      state,
      scope: server.scope,
      pkce: server.pkce ?? true,
      codeVerifier: verifierFor(key, state),
    });
    const start = new URL(this.callbackUrl);
    start.search = new URLSearchParams({ state }).toString();
    const signIn = { url: start.href, authorizeUrl: pending.url, expiresAt };
    const secretName = await publishSignIn(this.#client, connection, signIn);
    return { ...signIn, secretName };
  }
}

/** The generation a state carries, read without the key (only to decide whether to reuse its URL). */
function generationOfState(state: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(state.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      gen?: unknown;
    };
    return typeof payload.gen === 'number' ? payload.gen : 0;
  } catch {
    return undefined;
  }
}

export interface LinkSettings {
  /** --callback-url: the redirect URI registered with iManage; its path is served. */
  readonly callbackUrl: string;
  /** --callback-address */
  readonly address: { readonly host: string; readonly port: number };
  /** HTTPS on the pod (tests); in a cluster an Ingress terminates TLS and the pod speaks HTTP. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export interface LinkDependencies {
  readonly client: KubeClient;
  /** Where the shared key and the spent states live: the operator's own namespace. */
  readonly namespace: string;
  readonly network: OAuthNetwork;
  readonly sink: TokenSink;
  readonly defaultClientSecret?: { readonly namespace: string; readonly name: string };
  readonly logger: Logger;
}

export interface RunningLink {
  readonly service: LinkService;
  readonly server: CallbackServer;
}

/** The LinkService and its callback server, listening. */
export async function startInteractiveLink(settings: LinkSettings, deps: LinkDependencies): Promise<RunningLink> {
  const store = new LinkStore(deps.client, deps.namespace);
  const service = new InteractiveLink(settings.callbackUrl, store, deps.network, deps.client);
  const tls = settings.tls && (await readTls(settings.tls));
  const server = await startCallbackServer({
    address: settings.address,
    callbackUrl: settings.callbackUrl,
    ...(tls ? { tls } : {}),
    context: {
      client: deps.client,
      store,
      sink: deps.sink,
      network: deps.network,
      callbackUrl: settings.callbackUrl,
      ...(deps.defaultClientSecret ? { defaultClientSecret: deps.defaultClientSecret } : {}),
      logger: deps.logger,
      now: () => new Date(),
    },
  });
  return { service, server };
}

async function readTls(files: { readonly certFile: string; readonly keyFile: string }): Promise<CallbackTls> {
  const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  return { cert, key };
}
