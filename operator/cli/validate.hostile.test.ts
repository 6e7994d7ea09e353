// `validate` against hostile and careless input (issue 10, "The offline validator"): each case
// ends with exit 0, 1 or 2 and a clear message, never a stack trace, and quotes little of its input.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from './sources.ts';
import { type Outcome, STACK_TRACE_LINE, validate } from './testing.ts';

const dir = await mkdtemp(join(tmpdir(), 'validate-hostile-'));
async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const CONNECTION_HEAD = 'apiVersion: imanage.operator.dev/v1alpha1\nkind: IManageConnection\nmetadata: {name: acme}\n';
const CLOUD_SPEC =
  'spec:\n  connectionType: Cloud\n  url: https://acme.cloudimanage.com\n  customerId: "100"\n  library: ACTIVE_US\n';

/** A billion-laughs ladder: `levels` anchors, each a list of `width` aliases to the one before. */
function aliasLadder(levels: number, width: number, leaf = '"lol"'): string {
  const lines = [`x0: &a0 [${Array(width).fill(leaf).join(',')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `x${i}: &a${i} [${Array(width)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );
  return lines.join('\n') + '\n';
}

function expectNoStackTrace(outcome: Outcome): void {
  expect(outcome.stdout + outcome.stderr).not.toMatch(STACK_TRACE_LINE);
}

describe('validate: aliases', () => {
  it('refuses an alias bomb of under 800 bytes whose alias is a list-map key, quickly and in a few lines', async () => {
    const bomb =
      CONNECTION_HEAD +
      aliasLadder(9, 9) +
      CLOUD_SPEC +
      '  environments:\n  - {name: *a8, baseUrl: https://a.clioweb.com}\n' +
      '  - {name: *a8, baseUrl: https://b.clioweb.com}\n';
    expect(bomb.length).toBeLessThan(800);
    const outcome = await validate([await file('bomb.yaml', bomb)]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/bomb\.yaml:1 \(document 1\): .*larger than 3 MiB once its aliases are expanded/);
    expect(outcome.stdout.length).toBeLessThan(1000);
    expectNoStackTrace(outcome);
  });

  it('quotes at most an excerpt of a repeated value in a message', async () => {
    // 700 KiB as text, three times that expanded: under the limits, so the duplicate-key message is written.
    const big = 'x'.repeat(700 * 1024);
    const doc =
      CONNECTION_HEAD +
      `big: &big "${big}"\n` +
      CLOUD_SPEC +
      '  environments:\n  - {name: *big, baseUrl: https://a.clioweb.com}\n' +
      '  - {name: *big, baseUrl: https://b.clioweb.com}\n';
    const outcome = await validate([await file('repeated.yaml', doc)]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(/spec\.environments\[1\]: duplicate entry \(name="xxx+…\)/);
    for (const line of outcome.stdout.split('\n')) expect(line.length).toBeLessThan(1000);
  });

  it.each([
    ['a node that contains itself', 'spec: &s {environments: [*s]}\n', /contains itself through a YAML alias/],
    ['nesting through aliases deeper than 100', `${deepAliases(30, 5)}spec: *d29\n`, /nests deeper than 100 levels/],
  ])('refuses %s', async (_what, body, message) => {
    const outcome = await validate([await file('self.yaml', CONNECTION_HEAD + body)]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(message);
    expectNoStackTrace(outcome);
  });
});

/** `count` anchors, each `depth` lists deep around an alias to the one before. */
function deepAliases(count: number, depth: number): string {
  const lines = [`d0: &d0 ${'['.repeat(depth)}1${']'.repeat(depth)}`];
  for (let i = 1; i < count; i++) lines.push(`d${i}: &d${i} ${'['.repeat(depth)}*d${i - 1}${']'.repeat(depth)}`);
  return lines.join('\n') + '\n';
}

describe('validate: empty documents', () => {
  const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';
  it.each([
    ['begins and ends with --- (helm template)', `---\n# Source: chart/templates/cm.yaml\n${configMap}---\n`, 1],
    ['is empty', '', 0],
    ['holds only comments', '# nothing here\n\n# or here\n', 0],
    ['holds empty documents and ... ends', `---\n...\n---\n${configMap}...\n---\n`, 1],
    [
      'starts a document on the marker line',
      '--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n--- |\n  text\n',
      2,
    ],
  ])('accepts a file that %s', async (_what, content, documents) => {
    const outcome = await validate([await file('empty.yaml', content)]);
    expect(outcome).toMatchObject({ code: 0, stdout: '' });
    expect(outcome.stderr).toContain(`in ${documents} documents: all valid`);
  });

  it('still gives the line of a finding in a document after empty ones', async () => {
    const content =
      `---\n---\n# comment\n${CONNECTION_HEAD}${CLOUD_SPEC.replace('https://acme', 'http://acme')}` +
      '  environments: [{name: p, baseUrl: https://a.clioweb.com}]\n';
    const outcome = await validate([await file('lines.yaml', content)]);
    expect(outcome.stdout).toContain('lines.yaml:9 (document 1) IManageConnection/acme: spec.url:');
  });
});

describe('validate: what it reads', () => {
  it('refuses a device such as /dev/zero before reading it', async () => {
    const outcome = await validate(['/dev/zero']);
    expect(outcome).toMatchObject({ code: 2, stdout: '' });
    expect(outcome.stderr).toMatch(/\/dev\/zero: not a regular file; pass files, folders, or - for standard input/);
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const outcome = await validate([fifo]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/fifo\.yaml: not a regular file/);
  });

  it('refuses a file over the limit without reading it', async () => {
    const sparse = await file('huge.yaml', '');
    await truncate(sparse, MAX_INPUT_BYTES + 1);
    const outcome = await validate([sparse]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/huge\.yaml: larger than 64 MiB, the most validate reads from one input; split it/);
  });

  it('reads standard input for -, within the same limit', async () => {
    const ok = await validate(['-'], new TextEncoder().encode(CONNECTION_HEAD + CLOUD_SPEC + '  environments: []\n'));
    expect(ok.stderr).toContain('1 resources checked in 1 documents');
    const tooBig = await validate(['-'], new Uint8Array(MAX_INPUT_BYTES + 1));
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/standard input: larger than 64 MiB/);
  });
});

describe('validate: encodings', () => {
  it('names the line of a Latin-1 byte instead of reading it as U+FFFD', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(CONNECTION_HEAD + 'spec:\n  connectionType: OnPremise\n  url: https://dms.ex'),
      Buffer.from([0xe9]),
      Buffer.from('mple.com\n'),
    ]);
    const outcome = await validate([await file('latin1.yaml', latin1)]);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toMatch(
      /^.*latin1\.yaml:6: \(object\): not valid UTF-8 at line 6 — fix: save the file as UTF-8/,
    );
  });

  it('accepts UTF-8 with a byte order mark', async () => {
    const outcome = await validate([
      await file('bom.yaml', '\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'),
    ]);
    expect(outcome).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('validate: memory', () => {
  // A child process with V8's old generation capped at 4 times the input: the 20 MB input with a
  // finding in every other document must fit (1 GB for 50 MB before), or V8 aborts the child and
  // the test fails. A heap cap, not a peak RSS, because RSS depends on when the collector's threads
  // get CPU: on a loaded machine the same run peaked at 221 MB once and at 126 MB alone. The
  // collector runs on the main thread, so whether the run fits is the same under any load; it
  // needs about 64 MB here, and fails at 48.
  it('keeps memory near the input size, line numbers included', async () => {
    const size = 20_000_000;
    const good = CONNECTION_HEAD + CLOUD_SPEC + '  environments: [{name: p, baseUrl: https://a.clioweb.com}]\n';
    const bad = good.replace('https://acme', 'http://acme');
    const pair = `---\n${good}---\n${bad}`;
    const big = await file('big.yaml', pair.repeat(Math.ceil(size / pair.length)));
    const script = [
      `import { validateInputs } from ${JSON.stringify(join(import.meta.dirname, 'validate.ts'))};`,
      `const report = await validateInputs([${JSON.stringify(big)}]);`,
      'process.stdout.write(JSON.stringify({ documents: report.documents, findings: report.findings.length }));',
    ].join('\n');
    const capMiB = (4 * size) / 2 ** 20;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [`--max-old-space-size=${Math.round(capMiB)}`, '--single-threaded-gc', '--input-type=module', '-e', script],
      { maxBuffer: 1024 * 1024 },
    );
    const documents = 2 * Math.ceil(size / pair.length);
    // Each http:// document has two findings on spec.url: not a cloud URL, and not https.
    expect(JSON.parse(stdout)).toEqual({ documents, findings: documents });
  }, 120_000);
});
