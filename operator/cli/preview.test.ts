// `preview` against the simulator over HTTPS on loopback (--resolve and --ca-file, as a new user
// would point it at the demo), and the token Secret reader of its cluster mode.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { passwordToken, scenario, VANITY } from '../../simulator/testing/fixture.ts';
import { previewCommand, PreviewUsageError } from './preview.ts';

let sim: RunningSimulator;
let direct: string[];
let dir: string;
let token: string;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  sim.admin.addWorkspace('100', 'ACTIVE_US', { name: 'Migrated', custom2: 'LEG-7', folders: [{ name: 'Invoices' }] });
  dir = await mkdtemp(join(tmpdir(), 'preview-'));
  token = await passwordToken(sim);
  await writeFile(join(dir, 'token'), `${token}\n`);
  await writeFile(join(dir, 'ca.pem'), sim.caPem);
  await writeFile(join(dir, 'item.yaml'), 'workType: litigation\nworkItem:\n  id: "1"\n  fileReference: LEG-7\n');
  direct = [
    ...['--url', `https://${VANITY}`, '--token-file', join(dir, 'token'), '--ca-file', join(dir, 'ca.pem')],
    ...['--resolve', `${VANITY}:443:127.0.0.1:${sim.httpsPort}`, '--customer', '100', '--library', 'ACTIVE_US'],
  ];
});
afterAll(() => sim.stop());

async function run(...args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } };
  const status = await previewCommand([...args, ...direct], io);
  return { status, out, err };
}

describe('preview against the simulator', () => {
  it('prints the search sent, the workspace and the folder of an Advanced Search', async () => {
    const { status, out } = await run(
      ...['--resolver', 'custom1=[workitem.client.reference], custom2=[workitem.reference]', '--folder', 'Pleadings'],
      ...['--set', 'workitem.client.reference=12345', '--set', 'workitem.reference=00001'],
    );
    expect(status).toBe(0);
    expect(out).toContain('sent ?custom1=12345&custom2=00001: 1 match');
    expect(out).toContain('workspace: Smith v Jones (ACTIVE_US!100), by resolver');
    expect(out).toMatch(/folder: Pleadings \(ACTIVE_US!201\)/);
    expect(out).not.toContain(token);
  });

  it('takes the work item from a file and shows the fallback that matched', async () => {
    const args = ['--resolver', 'custom2=[workitem.id]', '--fallback', 'custom2=[workitem.fileReference]'];
    const { status, out } = await run(...args, '--on-multiple-matches', 'Fail', '-f', join(dir, 'item.yaml'));
    expect(status).toBe(0);
    expect(out).toContain('sent ?custom2=1: 0 matches');
    expect(out).toContain('workspace: Migrated');
    expect(out).toContain('by fallbacks[0]');
  });

  it('exits 1 with NoMatch, and with a hint when a dynamic resolver has no work item', async () => {
    const none = await run('--resolver', 'No Such Workspace');
    expect(none).toMatchObject({ status: 1, out: expect.stringContaining('NoMatch') });
    const dynamic = await run('--resolver', '[workitem.title]');
    expect(dynamic).toMatchObject({ status: 1, err: expect.stringContaining('--set') });
  });

  it('exits 3 when the token is refused, naming no token', async () => {
    await writeFile(join(dir, 'bad-token'), 'canary-not-a-token');
    const args = direct.map((a) => (a === join(dir, 'token') ? join(dir, 'bad-token') : a));
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) } };
    expect(await previewCommand(['--resolver', 'x', ...args], io)).toBe(3);
    expect(err).toContain('HTTP 401');
    expect(err).not.toContain('canary');
  });

  it.each([
    [['--set', 'workitem.client.ref=1', '--resolver', 'x'], "did you mean 'workitem.client.reference'"],
    [['--resolver', 'x', '--on-multiple-matches', 'Sometimes'], 'First or Fail'],
    [['--resolver', 'x', '--set', 'title'], 'workitem.<path>=<value>'],
  ])('refuses %j', async (args, message) => {
    await expect(run(...args)).rejects.toThrow(PreviewUsageError);
    await expect(run(...args)).rejects.toThrow(message);
  });
});
