// The availability monitor alone (with a fake time source), then fed by a real client against a
// small local server that refuses, restarts and refuses with 403 for a moment, as a restarting
// kube-apiserver does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classify } from '../errors.ts';
import { anonymous } from './auth.ts';
import { ApiAvailability, DEFAULT_RESTART_WINDOW_MS } from './availability.ts';
import { KubeClient } from './client.ts';
import { ForbiddenError, RecoveringAuthError } from './errors.ts';
import { secrets } from './resources.ts';

describe('ApiAvailability', () => {
  function monitor(): { availability: ApiAvailability; at: (ms: number) => void; recovered: number[] } {
    let now = 0;
    const availability = new ApiAvailability({ now: () => now });
    const recovered: number[] = [];
    availability.onRecovered(() => recovered.push(now));
    return { availability, at: (ms) => void (now = ms), recovered };
  }

  it('is up and not recovering before anything failed', () => {
    const { availability } = monitor();
    availability.answered(200);
    expect(availability.down).toBe(false);
    expect(availability.recovering()).toBe(false);
    expect(availability.unreachableForMs()).toBe(0);
  });

  it('counts the outage from its first failure, and recovers on the first success', () => {
    const { availability, at, recovered } = monitor();
    at(1_000);
    availability.failed();
    at(20_000);
    availability.failed();
    availability.answered(503);
    availability.answered(403); // an answer, but not a sign the server is back
    expect(availability.unreachableForMs()).toBe(19_000);
    expect(recovered).toEqual([]);
    at(61_000);
    availability.answered(200);
    expect(availability.down).toBe(false);
    expect(availability.unreachableForMs()).toBe(0);
    expect(recovered).toEqual([61_000]);
    availability.answered(200);
    expect(recovered).toEqual([61_000]);
  });

  it('the restart window runs from the return, not from the start of the outage', () => {
    const { availability, at } = monitor();
    availability.failed();
    at(120_000);
    availability.answered(200);
    at(120_000 + DEFAULT_RESTART_WINDOW_MS - 1);
    expect(availability.recovering()).toBe(true);
    at(120_000 + DEFAULT_RESTART_WINDOW_MS);
    expect(availability.recovering()).toBe(false);
  });

  it('whenRecovered resolves at the return, or when its signal aborts', async () => {
    const { availability } = monitor();
    availability.failed();
    const aborted = new AbortController();
    const waits = [
      availability.whenRecovered(new AbortController().signal),
      availability.whenRecovered(aborted.signal),
    ];
    aborted.abort();
    await waits[1];
    availability.answered(200);
    await waits[0];
  });
});

describe('a client against a server that goes away and comes back', () => {
  let server: Server | undefined;
  let client: KubeClient | undefined;

  afterEach(async () => {
    client?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  async function listen(port: number, answer: (path: string) => number): Promise<number> {
    server = createServer((req, res) => {
      const code = answer(req.url ?? '');
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          code === 200 ? { kind: 'Secret', metadata: { name: 'x' } } : { kind: 'Status', code, reason: 'Forbidden' },
        ),
      );
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  it('refused → down and probing; back → recovered; a 403 right after is transient, later a missing permission', async () => {
    let refuse = true;
    const port = await listen(0, (path) => (path.startsWith('/readyz') ? 200 : refuse ? 403 : 200));
    await new Promise((resolve) => server!.close(resolve));
    let now = 0;
    const probes: string[] = [];
    const availability = new ApiAvailability({
      now: () => now,
      probeIntervalMs: 20,
      probe: async () => {
        probes.push('readyz');
        return client!.get(secrets, { namespace: 'n', name: 'readyz-stand-in' }).catch(() => undefined);
      },
    });
    client = new KubeClient(
      {
        server: `http://127.0.0.1:${port}`,
        insecureSkipTlsVerify: false,
        namespace: 'default',
        authenticator: anonymous,
        source: 'test',
      },
      { availability },
    );
    const recovered = availability.whenRecovered(new AbortController().signal);

    await expect(client.get(secrets, { namespace: 'n', name: 'x' })).rejects.toMatchObject({ status: 0 });
    expect(availability.down).toBe(true);

    // The server restarts on the same port; it refuses everyone at first, as RBAC loads.
    refuse = false;
    await listen(port, (path) => (path.includes('readyz') ? 200 : refuse ? 403 : 200));
    await recovered;
    expect(probes.length).toBeGreaterThan(0);
    expect(availability.down).toBe(false);

    refuse = true;
    const early = await client.get(secrets, { namespace: 'n', name: 'x' }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RecoveringAuthError);
    expect(classify(early)).toBe('transient');

    now += DEFAULT_RESTART_WINDOW_MS;
    const late = await client.get(secrets, { namespace: 'n', name: 'x' }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ForbiddenError);
    expect(classify(late)).toBe('permission');
    expect(late).toMatchObject({ verb: 'get', resource: 'secrets', namespace: 'n' });
  });
});
