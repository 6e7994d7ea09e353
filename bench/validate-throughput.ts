// Throughput of `imanage-operator validate`: documents per second through the same path the
// CLI takes (read, parse multi-document YAML, schema + semantic checks). Prints its figures.
// Usage: node bench/validate-throughput.ts [documents=20000]

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { baseConnection, baseRepository, mergePatch } from '../operator/api/validation/fixtures.ts';
import { validateInputs } from '../operator/cli/validate.ts';

const total = Number(process.argv[2] ?? 20_000);

function document(i: number): unknown {
  switch (i % 4) {
    case 0:
      return baseConnection(`conn-${i}`);
    case 1:
      return baseRepository(`repo-${i}`);
    case 2:
      return mergePatch(baseRepository(`adv-${i}`), {
        spec: {
          resolvers: [
            {
              workType: '*',
              resolver: 'custom1=[workitem.client.reference], custom2=[workitem.reference]',
              fallbacks: ['[workitem.title]'],
            },
          ],
        },
      });
    default:
      return mergePatch(baseConnection(`bad-${i}`), { spec: { url: 'http://Acme.cloudimanage.com/' } });
  }
}

const dir = await mkdtemp(join(tmpdir(), 'validate-bench-'));
const files = 20;
for (let f = 0; f < files; f++) {
  const docs = Array.from({ length: total / files }, (_, i) => dump(document(f * (total / files) + i)));
  await writeFile(join(dir, `part-${String(f).padStart(2, '0')}.yaml`), docs.join('---\n'));
}

await validateInputs([dir]); // warm-up: compiles the validators
const started = performance.now();
const report = await validateInputs([dir]);
const seconds = (performance.now() - started) / 1000;
await rm(dir, { recursive: true });

const peak = (process.resourceUsage().maxRSS / 1024).toFixed(0);
const counts = `${report.documents} documents (${report.checked} checked, ${report.findings.length} findings)`;
const rate = `${Math.round(report.documents / seconds)} documents/s`;
process.stdout.write(`validate: ${counts} in ${seconds.toFixed(2)} s = ${rate}, peak RSS ${peak} MiB\n`);
