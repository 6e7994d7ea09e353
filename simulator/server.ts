// startSimulator: the in-process API. Starts HTTPS (SNI virtual hosts), optional plain HTTP, and
// the admin port, all on loopback, and hands back ports, the CA, the admin API and stop().
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { Admin } from './admin/admin.ts';
import { adminHandler, adminRouter } from './admin/routes.ts';
import { systemClock, type Clock } from './clock.ts';
import { configFromObject } from './config/load.ts';
import type { Scenario } from './config/spec.ts';
import { DEFAULT_DIALECT, type HostConfig } from './config/types.ts';
import { FaultSet } from './faults/faults.ts';
import { requestHandler, type DispatchDeps } from './http/dispatch.ts';
import { RequestLog, type RequestLogEntry, type RequestLogFilter } from './http/request-log.ts';
import { Router } from './http/router.ts';
import { oauthRoutes } from './oauth/routes.ts';
import { World } from './state/world.ts';
import { createAuthority } from './tls/certs.ts';
import { CertificateBook } from './tls/contexts.ts';
import { workRoutes } from './work/routes.ts';

export interface StartOptions {
  /** Time for tokens, codes and pending registrations. @default the system clock */
  readonly clock?: Clock;
  /** Address to listen on. @default '127.0.0.1' */
  readonly bindAddress?: string;
  /** HTTPS port; 0 picks a free one. @default 0 */
  readonly httpsPort?: number;
  /** Plain HTTP port; 0 picks a free one, false turns HTTP off. @default 0 */
  readonly httpPort?: number | false;
  /** Admin API port (plain HTTP, always on 127.0.0.1); 0 picks a free one, false turns it off. @default 0 */
  readonly adminPort?: number | false;
}

export interface RunningSimulator {
  readonly httpsPort: number;
  /** Undefined when plain HTTP is off. */
  readonly httpPort: number | undefined;
  /** Undefined when the admin port is off (the in-process `admin` works either way). */
  readonly adminPort: number | undefined;
  /** The test CA that signs every host's certificate: trust this, and only in tests. */
  readonly caPem: string;
  readonly admin: Admin;
  requestLog(filter?: RequestLogFilter): RequestLogEntry[];
  stop(): Promise<void>;
}

export async function startSimulator(scenario: Scenario, options: StartOptions = {}): Promise<RunningSimulator> {
  const config = configFromObject(scenario);
  const clock = options.clock ?? systemClock;
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const world = new World(config, clock);
  const faults = new FaultSet(config.faults);
  const log = new RequestLog();
  const stopping = new AbortController();
  const deps: DispatchDeps = {
    world,
    router: new Router([...oauthRoutes(clock), ...workRoutes()]),
    faults,
    log,
    stopping: stopping.signal,
  };
  const ca = createAuthority();
  const certificates = new CertificateBook(ca, faults, (host) => world.host(host) !== undefined);
  const admin = new Admin(world, faults, log);

  const servers: Server[] = [];
  const https = createHttpsServer(
    {
      key: certificates.defaultCertificate.keyPem,
      cert: certificates.defaultCertificate.certPem,
      SNICallback: certificates.sniCallback,
    },
    requestHandler(deps, 'https'),
  );
  const httpsPort = await listen(https, options.httpsPort ?? 0, bindAddress, servers);
  const httpPort =
    options.httpPort === false
      ? undefined
      : await listen(createHttpServer(requestHandler(deps, 'http')), options.httpPort ?? 0, bindAddress, servers);
  const adminServer = createHttpServer(adminHandler(adminRouter(admin, ca.certPem), { world, host: ADMIN_HOST }));
  // Loopback only, whatever the public bind address: the admin API can rewrite the world.
  const adminPort =
    options.adminPort === false ? undefined : await listen(adminServer, options.adminPort ?? 0, '127.0.0.1', servers);

  return {
    httpsPort,
    httpPort,
    adminPort,
    caPem: ca.certPem,
    admin,
    requestLog: (filter) => log.entries(filter),
    stop: async () => {
      stopping.abort();
      await Promise.all(servers.map(close));
    },
  };
}

/** The admin port belongs to no virtual host; handlers there never read it. */
const ADMIN_HOST: HostConfig = { name: '_admin', customers: [], dialect: DEFAULT_DIALECT };

async function listen(server: Server, port: number, address: string, started: Server[]): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // Do not leave the ports already opened behind when a later one fails.
    await Promise.all(started.map(close));
    throw err;
  }
  started.push(server);
  trackSockets(server);
  return (server.address() as AddressInfo).port;
}

/** Every open TCP connection per server, so that stop() can end them when Node's own list cannot. */
const openSockets = new WeakMap<Server, Set<Socket>>();

function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    try {
      server.close(() => resolve());
      server.closeAllConnections();
    } catch {
      // After a reset fault Node can keep the connection in its list with the socket gone, and
      // its idle sweep (inside close) throws on it. Close the listener without the sweep, and end
      // the sockets still open ourselves.
      NetServer.prototype.close.call(server, () => resolve());
      for (const socket of openSockets.get(server) ?? []) socket.destroy();
    }
  });
}
