import { describe, expect, it } from 'vitest';
import { NotFoundError } from './errors.ts';
import { RECENT_SECRET_MS, RecentSecretReads } from './recent-secrets.ts';
import type { SecretReader } from './secrets.ts';
import { type Resource, type Secret, secrets } from './resources.ts';

interface Sent {
  readonly key: string;
  readonly signal: AbortSignal | undefined;
  answer(secret: Secret | Error): void;
}

/** A client whose GETs wait until the test answers them. */
class HeldClient {
  readonly sent: Sent[] = [];
  readonly client: SecretReader = {
    get: ((resource: Resource<Secret>, ref: { namespace?: string; name: string }, options?: { signal?: AbortSignal }) =>
      new Promise<Secret>((resolve, reject) => {
        const key = `${resource.plural}:${ref.namespace}/${ref.name}`;
        const answer = (value: Secret | Error) => (value instanceof Error ? reject(value) : resolve(value));
        this.sent.push({ key, signal: options?.signal, answer });
      })) as SecretReader['get'],
  };

  keys(): string[] {
    return this.sent.map((s) => s.key);
  }
}

const secretOf = (namespace: string, name: string, value = 'dmFsdWU='): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { namespace, name },
  data: { key: value },
});

const everything = () => true;
const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(shareable: (ref: { namespace: string; name: string }) => boolean = everything) {
  let nowMs = 1_000;
  const held = new HeldClient();
  const recent = new RecentSecretReads(() => nowMs);
  const reader = recent.sharing(held.client, shareable);
  const read = (namespace: string, name: string, signal?: AbortSignal) =>
    reader.get(secrets, { namespace, name }, signal ? { signal } : {});
  return { held, recent, read, advance: (ms: number) => (nowMs += ms) };
}

describe('RecentSecretReads', () => {
  it('sends one GET for reads of the same Secret that start while it is in flight', async () => {
    const { held, read } = setup();
    const reads = [read('vendor', 'app'), read('vendor', 'app'), read('vendor', 'app')];
    expect(held.keys()).toEqual(['secrets:vendor/app']);
    held.sent[0]!.answer(secretOf('vendor', 'app'));
    for (const secret of await Promise.all(reads)) expect(secret.metadata.name).toBe('app');
  });

  it('shares an answer with reads that start within RECENT_SECRET_MS of its GET, and asks again after', async () => {
    const { held, read, advance } = setup();
    const first = read('vendor', 'app');
    held.sent[0]!.answer(secretOf('vendor', 'app', 'b2xk'));
    await first;
    advance(RECENT_SECRET_MS);
    expect((await read('vendor', 'app')).data?.['key']).toBe('b2xk');
    expect(held.sent).toHaveLength(1);
    advance(1);
    const later = read('vendor', 'app');
    expect(held.sent).toHaveLength(2);
    held.sent[1]!.answer(secretOf('vendor', 'app', 'bmV3'));
    expect((await later).data?.['key']).toBe('bmV3');
  });

  it('never answers one namespace with a Secret of the same name in another', async () => {
    const { held, read } = setup();
    const a = read('tenant-a', 'app');
    const b = read('tenant-b', 'app');
    expect(held.keys()).toEqual(['secrets:tenant-a/app', 'secrets:tenant-b/app']);
    held.sent[0]!.answer(secretOf('tenant-a', 'app'));
    held.sent[1]!.answer(secretOf('tenant-b', 'app'));
    expect((await a).metadata.namespace).toBe('tenant-a');
    expect((await b).metadata.namespace).toBe('tenant-b');
    expect((await read('tenant-b', 'app')).metadata.namespace).toBe('tenant-b');
    expect(held.sent).toHaveLength(2);
  });

  it('does not keep a failed read: the reads that joined it fail with it, the next one asks again', async () => {
    const { held, read } = setup();
    const first = read('vendor', 'app');
    const joined = read('vendor', 'app');
    held.sent[0]!.answer(new NotFoundError('secrets "app" not found', { status: 404, reason: 'NotFound' }));
    await expect(first).rejects.toBeInstanceOf(NotFoundError);
    await expect(joined).rejects.toBeInstanceOf(NotFoundError);
    await flush();
    const again = read('vendor', 'app');
    expect(held.sent).toHaveLength(2);
    held.sent[1]!.answer(secretOf('vendor', 'app'));
    expect((await again).metadata.name).toBe('app');
  });

  it('sends the Secrets the caller does not share, and other kinds, straight to the client', async () => {
    const { held, read } = setup((ref) => ref.name !== 'acme-tokens');
    void read('vendor', 'acme-tokens');
    void read('vendor', 'acme-tokens');
    expect(held.keys()).toEqual(['secrets:vendor/acme-tokens', 'secrets:vendor/acme-tokens']);
  });

  it('asks again for a reader whose GET was joined when the reconcile that sent it was stopped', async () => {
    const { held, read } = setup();
    const stopped = new AbortController();
    const first = read('vendor', 'app', stopped.signal);
    const joined = read('vendor', 'app', new AbortController().signal);
    expect(held.sent[0]!.signal).toBe(stopped.signal);
    stopped.abort(new Error('shutting down'));
    held.sent[0]!.answer(new Error('aborted'));
    await expect(first).rejects.toThrow('aborted');
    await flush();
    expect(held.sent).toHaveLength(2);
    held.sent[1]!.answer(secretOf('vendor', 'app'));
    expect((await joined).metadata.name).toBe('app');
  });

  it('lets a reader that is stopped go at once, while the GET it joined goes on for the others', async () => {
    const { held, read } = setup();
    const first = read('vendor', 'app');
    const mine = new AbortController();
    const joined = read('vendor', 'app', mine.signal);
    mine.abort(new Error('reconcile deadline'));
    await expect(joined).rejects.toThrow('reconcile deadline');
    held.sent[0]!.answer(secretOf('vendor', 'app'));
    expect((await first).metadata.name).toBe('app');
    expect(held.sent).toHaveLength(1);
  });

  it('holds at most 256 Secrets, and none larger than 512 KiB', async () => {
    const { held, recent, read } = setup();
    const reads = Array.from({ length: 300 }, (_, i) => read('vendor', `s${i}`));
    held.sent.forEach((sent, i) => sent.answer(secretOf('vendor', `s${i}`)));
    await Promise.all(reads);
    expect(recent.size).toBeLessThanOrEqual(256);
    expect((await read('vendor', 's299')).metadata.name).toBe('s299');
    expect(held.sent).toHaveLength(300);

    const large = read('vendor', 'large');
    held.sent[300]!.answer(secretOf('vendor', 'large', 'A'.repeat(600 * 1024)));
    await large;
    void read('vendor', 'large');
    expect(held.sent).toHaveLength(302);
  });

  it('holds at most 4 MiB of values', async () => {
    const { held, recent, read } = setup();
    const value = 'A'.repeat(400 * 1024);
    const reads = Array.from({ length: 20 }, (_, i) => read('vendor', `ca${i}`));
    held.sent.forEach((sent, i) => sent.answer(secretOf('vendor', `ca${i}`, value)));
    await Promise.all(reads);
    expect(recent.size).toBeLessThanOrEqual(10);
    expect(recent.size).toBeGreaterThan(0);
  });
});
