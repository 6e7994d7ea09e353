import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { zip } from './zip.ts';

const exec = promisify(execFile);

// Python's zipfile is the reader: it checks every CRC (testzip) and reads names, modes and data.
const READ = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
entries = [{"name": i.filename, "mode": i.external_attr >> 16, "data": z.read(i).decode()} for i in z.infolist()]
print(json.dumps(entries))
`;

async function readWithPython(archive: Buffer): Promise<{ name: string; mode: number; data: string }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'zip-'));
  const file = join(dir, 'a.zip');
  await writeFile(file, archive);
  const { stdout } = await exec('python3', ['-c', READ, file]);
  return JSON.parse(stdout);
}

describe('zip', () => {
  it.each([
    ['one small file', [{ name: 'manifest.yaml', content: 'id: x\n' }]],
    ['an empty file', [{ name: 'empty', content: '' }]],
    [
      'several files, UTF-8 names',
      [
        { name: 'a.txt', content: 'a'.repeat(100_000) },
        { name: 'dossier/é.txt', content: 'ü' },
      ],
    ],
  ])('%s reads back with python3 zipfile, CRCs checked', async (_title, entries) => {
    const read = await readWithPython(zip(entries));
    expect(read).toEqual(entries.map((e) => ({ name: e.name, mode: 0o100600, data: e.content })));
  });

  it('deflates: the data after the first local header inflates to the content', () => {
    const archive = zip([{ name: 'm', content: 'hello hello hello hello' }]);
    const compressedSize = archive.readUInt32LE(18);
    const nameLength = archive.readUInt16LE(26);
    const data = archive.subarray(30 + nameLength, 30 + nameLength + compressedSize);
    expect(archive.readUInt16LE(8)).toBe(8);
    expect(inflateRawSync(data).toString()).toBe('hello hello hello hello');
  });

  it('is reproducible: the same entries give the same bytes', () => {
    const entries = [{ name: 'manifest.yaml', content: 'id: x\n' }];
    expect(zip(entries).equals(zip(entries))).toBe(true);
  });
});
