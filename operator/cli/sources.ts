// Reads the inputs of `validate`: regular files, folders of manifests, and standard input, each
// at most MAX_INPUT_BYTES and decoded as strict UTF-8. Anything else (a FIFO, a device such as
// /dev/zero, a socket) is refused before a byte is read: a FIFO would block, a device never end.
// documents.ts parses what is read, with js-yaml alone (its header says why, with the figures).

import { constants } from 'node:fs';
import { type FileHandle, open, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { isUtf8 } from 'node:buffer';

/** A file or standard input that cannot be read as a whole; `validate` exits 2. */
export class UnreadableInputError extends Error {
  override readonly name = 'UnreadableInputError';
}

/** Bytes read from one file or from standard input; validate refuses anything bigger. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The name that stands for standard input, as in most Unix tools. */
export const STANDARD_INPUT = '-';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Every manifest file under the given files and folders, in a stable order; `-` is kept as it is. */
export async function listManifestFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    if (input === STANDARD_INPUT) {
      files.push(input);
      continue;
    }
    const handle = await openInput(input);
    const info = await handle.stat().finally(() => handle.close());
    if (info.isDirectory()) files.push(...(await listFolder(input)));
    else files.push(input);
  }
  return files;
}

async function listFolder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name)))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever.
async function openInput(path: string): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnreadableInputError(
      `${path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot open (${code})`}`,
    );
  }
}

/** The whole content of a regular file, or of standard input for `-`. */
export async function readInput(name: string, stdin: () => AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (name === STANDARD_INPUT) return readBounded('standard input', stdin());
  const handle = await openInput(name);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new UnreadableInputError(`${name}: not a regular file; pass files, folders, or - for standard input`);
    }
    if (info.size > MAX_INPUT_BYTES) throw tooBig(name);
    // Read through a bounded loop even so: a regular file may still grow while it is read.
    return await readBounded(name, handle.createReadStream({ autoClose: false }));
  } finally {
    await handle.close();
  }
}

async function readBounded(name: string, chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > MAX_INPUT_BYTES) throw tooBig(name);
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

function tooBig(name: string): UnreadableInputError {
  const limit = MAX_INPUT_BYTES / 1024 / 1024;
  return new UnreadableInputError(
    `${name}: larger than ${limit} MiB, the most validate reads from one input; split it`,
  );
}

/** Where strict UTF-8 decoding failed: the 1-based line holding the first invalid byte. */
export class InvalidUtf8Error extends Error {
  override readonly name = 'InvalidUtf8Error';
  readonly line: number;
  constructor(line: number) {
    super(`not valid UTF-8 at line ${line}`);
    this.line = line;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict UTF-8, as the API server reads it: a Latin-1 byte must not become U+FFFD silently (a
 * host name such as dms.ex\xE9mple.com would then look valid). A leading byte order mark is dropped.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidUtf8Error(firstInvalidLine(bytes));
  }
}

// The newline byte never occurs inside a multi-byte UTF-8 sequence, so a text is valid UTF-8
// exactly when each of its lines is: the first invalid line is the one to name.
function firstInvalidLine(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (newline === -1) break;
    line++;
    start = newline + 1;
  }
  return line;
}
