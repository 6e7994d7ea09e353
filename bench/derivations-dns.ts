// Issue 18, finding 5: how long dns.lookup('localhost') waits while 8 key derivations (PBKDF2-
// HMAC-SHA512, 210,000 rounds, as the token envelope runs them) are queued: all 8 at once, as
// before, and one at a time through oneDerivationAtATime, as now. dns.lookup and PBKDF2 share
// libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE says otherwise). Loopback names only.
//
// Usage: node bench/derivations-dns.ts

import { pbkdf2 } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { promisify } from 'node:util';
import { oneDerivationAtATime } from '../operator/tokens/derivations.ts';
import { PBKDF2_ITERATIONS } from '../operator/tokens/keys.ts';

const derive = promisify(pbkdf2);
const QUEUED = 8;
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

async function lookupMs(): Promise<number> {
  const started = performance.now();
  await lookup('localhost');
  return performance.now() - started;
}

/** The slowest of 5 lookups made while `derivations` run (each started 50 ms after the last). */
async function whileDeriving(start: (i: number) => Promise<unknown>): Promise<number> {
  const running = Promise.all(Array.from({ length: QUEUED }, (_, i) => start(i)));
  let slowest = 0;
  for (let i = 0; i < 5; i++) {
    slowest = Math.max(slowest, await lookupMs());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await running;
  return slowest;
}

const pbkdf2Once = (i: number) => derive(`passphrase ${i}`, 'salt', PBKDF2_ITERATIONS, 32, 'sha512');

await lookupMs(); // warm-up
say(`dns.lookup('localhost') idle: ${(await lookupMs()).toFixed(1)} ms`);
say(`with ${QUEUED} derivations at once (before):  slowest lookup ${(await whileDeriving(pbkdf2Once)).toFixed(1)} ms`);
const serial = await whileDeriving((i) => oneDerivationAtATime(() => pbkdf2Once(i)));
say(`with ${QUEUED} derivations one at a time (now): slowest lookup ${serial.toFixed(1)} ms`);
