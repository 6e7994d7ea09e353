// Reads manifests from files and folders: multi-document YAML (or JSON), with the position of
// every document so that a problem can point at a line.

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { type Document, LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';

export class UnreadableInputError extends Error {
  override readonly name = 'UnreadableInputError';
}

export interface ManifestDocument {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly value: unknown;
  /** Set when the document is not valid YAML. */
  readonly syntaxError?: { readonly message: string; readonly line: number; readonly column: number };
  /** The 1-based line of a field path such as spec.environments[1].baseUrl (or its nearest parent). */
  lineOf(path: string): number;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Every manifest file under the given files and folders, in a stable order. */
export async function listManifestFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch((e: NodeJS.ErrnoException) => {
      throw new UnreadableInputError(`${input}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}`);
    });
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

export async function readManifests(file: string): Promise<ManifestDocument[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UnreadableInputError(`${file}: ${e.message}`);
  });
  return parseManifests(file, text);
}

export function parseManifests(file: string, text: string): ManifestDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  return docs
    .map((doc, i) => toManifest(file, i + 1, doc, lines))
    .filter((d) => d.syntaxError || (d.value !== null && d.value !== undefined));
}

function toManifest(file: string, index: number, doc: Document.Parsed, lines: LineCounter): ManifestDocument {
  const lineOf = (path: string) => lineOfPath(doc, path, lines);
  const error = doc.errors[0];
  if (error) {
    const pos = lines.linePos(error.pos[0]);
    return { file, index, value: undefined, lineOf, syntaxError: { message: error.message.split('\n')[0]!, line: pos.line, column: pos.col } };
  }
  return { file, index, value: doc.toJS({ maxAliasCount: 100 }), lineOf };
}

/** `spec.environments[1].baseUrl` → ['spec', 'environments', 1, 'baseUrl']. */
export function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

function lineOfPath(doc: Document.Parsed, path: string, lines: LineCounter): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number] } | null)?.range?.[0] ?? 0;
  for (const segment of pathSegments(path)) {
    const child = isMap(node) || isSeq(node) ? node.get(segment, true) : undefined;
    if (!child) break;
    const pair = isMap(node) ? node.items.find((p) => (p.key as { value?: unknown })?.value === segment) : undefined;
    offset = (pair?.key as { range?: [number] } | undefined)?.range?.[0] ?? (child as { range?: [number] }).range?.[0] ?? offset;
    node = child;
  }
  return lines.linePos(offset).line;
}
