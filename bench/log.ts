// The cost of one enabled log call through createLogger, redaction included, for the shapes the
// operator logs: a small object, an Error with fields, and a larger nested object. Prints its
// figures (nanoseconds per call); output goes to a sink that drops it.
// Usage: node bench/log.ts [calls=200000]

import { createLogger } from '../operator/runtime/log.ts';

const calls = Number(process.argv[2] ?? 200_000);
const logger = createLogger({ name: 'bench', destination: { write: () => {} } });
const child = logger.child({ controller: 'connection' });

const apiError = Object.assign(new Error('HTTP 409 Conflict'), {
  status: 409,
  reason: 'Conflict',
  body: { kind: 'Status', code: 409 },
});
const nested = {
  key: 'IManageConnection/ns/acme',
  spec: {
    url: 'https://acme.cloudimanage.com',
    environments: [{ name: 'prod', redirectUri: 'https://x/cb' }, { name: 'dev' }],
  },
  response: { status: 200, headers: { 'content-type': 'application/json', Authorization: 'Bearer abc' } },
};

const shapes: [string, () => void][] = [
  ['small object ({ identity })', () => child.info({ identity: 'op-1' }, 'became leader')],
  ['error with fields ({ err })', () => child.warn({ err: apiError, resource: 'imanageconnections' }, 'watch failed')],
  ['nested object, one header to redact', () => child.info(nested, 'probe answered')],
  ['message only', () => child.info('caches synced')],
];

for (const [name, call] of shapes) {
  for (let i = 0; i < calls / 10; i++) call(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) call();
  const ns = Number(process.hrtime.bigint() - started) / calls;
  process.stdout.write(`log: ${name.padEnd(40)} ${ns.toFixed(0).padStart(6)} ns per call\n`);
}
