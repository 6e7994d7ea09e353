// Resolution at scale, at client/resolver level (bench/resolve-operator.ts measures the same through
// the controller, in the operator as a process): 1,000 repositories on one
// connection against the simulator over HTTPS on loopback. Prints, for two mixes of resolvers
// (every repository its own workspace; and five repositories per workspace, as Clio Operate's
// areas share workspaces):
//   - the wall time to resolve all 1,000 once (SearchLoad, per-connection concurrency 4),
//   - iManage requests per repository per interval, from the simulator's request log, split into
//     searches and folder listings, for the first interval, a second pass within the same
//     interval (searches shared), and a pass after the interval.
// Not a test: it prints its figures.
//
// Usage: node bench/resolve.ts [repositories=1000] [concurrency=4]

import { HostOverrides, ProbeGuard } from '../operator/imanage/network.ts';
import { HostPhases } from '../operator/imanage/probe-cache.ts';
import { planResolution } from '../operator/imanage/resolve-plan.ts';
import { resolvePlan, SearchLoad } from '../operator/imanage/resolve.ts';
import { WorkClient } from '../operator/imanage/work.ts';
import { FakeClock } from '../operator/runtime/clock.ts';
import { startSimulator } from '../simulator/index.ts';
import { passwordToken, scenario, VANITY } from '../simulator/testing/fixture.ts';

const REPOSITORIES = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 4);
const INTERVAL_MS = 300_000;
const LIB = 'ACTIVE_US';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

const sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
try {
  const token = await passwordToken(sim);
  for (let i = 0; i < REPOSITORIES; i++) {
    sim.admin.addWorkspace('100', LIB, { name: `Bench Workspace ${i}`, folders: [{ name: 'Documents' }] });
  }
  const network = {
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    timeoutMs: 30_000,
  };
  const work = new WorkClient(
    { apiBase: new URL(`https://${VANITY}`), customerId: '100', ca: sim.caPem },
    network,
    () => token,
  );
  say(
    `${REPOSITORIES} repositories, one connection, per-connection concurrency ${CONCURRENCY}, interval ${INTERVAL_MS / 1000} s`,
  );
  for (const [title, perWorkspace] of [
    ['one workspace per repository', 1],
    ['five repositories per workspace', 5],
  ] as const) {
    const clock = new FakeClock();
    const load = new SearchLoad({ clock, hosts: new HostPhases(), concurrencyPerConnection: CONCURRENCY });
    const pass = async (label: string) => {
      sim.admin.clearRequestLog();
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: REPOSITORIES }, (_, i) => {
          const entry = {
            workType: '*',
            resolver: `Bench Workspace ${Math.floor(i / perWorkspace)}`,
            folder: 'Documents',
          };
          const plan = planResolution(entry);
          if (!plan.ok) throw new Error(plan.message);
          const asker = { connection: 'bench/conn', owner: `bench/repo-${i}`, intervalMs: INTERVAL_MS };
          return resolvePlan({ work, load, asker, library: LIB }, plan);
        }),
      );
      const ms = performance.now() - started;
      const log = sim.requestLog({ host: VANITY });
      const searches = log.filter((e) => e.path.endsWith('/workspaces')).length;
      const listings = log.length - searches;
      const resolved = outcomes.filter((o) => o.kind === 'Resolved').length;
      say(
        `  ${label.padEnd(26)} ${resolved}/${REPOSITORIES} resolved in ${(ms / 1000).toFixed(2)} s; simulator saw ` +
          `${log.length} requests (${searches} searches, ${listings} folder listings) = ` +
          `${(log.length / REPOSITORIES).toFixed(2)} per repository`,
      );
    };
    say(`${title}:`);
    await pass('first interval');
    await pass('same interval, again');
    await clock.advance(INTERVAL_MS * 1.2);
    await pass('next interval');
  }
} finally {
  await sim.stop();
}
