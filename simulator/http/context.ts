// What a handler gets to work with for one request.
import type { IncomingMessage } from 'node:http';
import type { HostConfig } from '../config/types.ts';
import type { World } from '../state/world.ts';
import type { Reply } from './reply.ts';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly url: URL;
  /** The virtual host chosen by the Host header (and SNI on TLS). */
  readonly host: HostConfig;
  /** Scheme and authority as the client used them, for building absolute URLs. */
  readonly origin: string;
  readonly params: Readonly<Record<string, string>>;
  readonly world: World;
  body(): Promise<Buffer>;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;
