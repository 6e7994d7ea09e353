// The child side of bench/simulator-process.ts: the simulator with the scenario in the file named
// by the first argument, on free loopback ports, until its parent closes stdin. A parent that dies
// without stopping it closes stdin too, so no simulator outlives the bench that started it.
// Prints one line of JSON once it listens: its HTTPS and admin ports and its CA.

import { readFile } from 'node:fs/promises';
import { type Scenario, startSimulator } from '../simulator/index.ts';

const scenario = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as Scenario;
const sim = await startSimulator(scenario, { httpPort: false, adminPort: 0 });
process.stdout.write(`${JSON.stringify({ httpsPort: sim.httpsPort, adminPort: sim.adminPort, caPem: sim.caPem })}\n`);
process.stdin.on('close', () => void sim.stop().finally(() => process.exit(0)));
process.stdin.resume();
