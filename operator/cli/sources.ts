// Reads manifests from files and folders: multi-document YAML (or JSON), with the position of
// every document so that a problem can point at a line.

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as jsYaml from 'js-yaml';
import { type Document, LineCounter, isMap, isSeq, parseDocument } from 'yaml';

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

// A document marker at the start of a line ends any scalar (YAML 1.2, c-forbidden), so splitting
// on it is exact. Documents are parsed with js-yaml, about six times faster than the yaml
// package; the yaml package's syntax tree is built only for a document that has a problem, to
// find the line of a field.
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=\s|$).*$/gm;

interface Chunk {
  readonly text: string;
  /** 0-based line of the chunk's first line in the file. */
  readonly firstLine: number;
}

function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let line = 0;
  const push = (end: number) => {
    chunks.push({ text: text.slice(start, end), firstLine: line });
  };
  for (const marker of text.matchAll(DOCUMENT_MARKER)) {
    push(marker.index);
    line += countLines(text, start, marker.index + marker[0].length) ;
    start = marker.index + marker[0].length;
  }
  push(text.length);
  return chunks;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function parseManifests(file: string, text: string): ManifestDocument[] {
  const docs: ManifestDocument[] = [];
  for (const chunk of splitDocuments(text)) {
    const manifest = toManifest(file, docs.length + 1, chunk);
    if (manifest.syntaxError || (manifest.value !== null && manifest.value !== undefined)) docs.push(manifest);
  }
  return docs;
}

function toManifest(file: string, index: number, chunk: Chunk): ManifestDocument {
  let tree: ParsedChunk | undefined;
  const lineOf = (path: string) => chunk.firstLine + lineInChunk((tree ??= parseChunk(chunk.text)), path);
  try {
    return { file, index, value: jsYaml.load(chunk.text), lineOf };
  } catch (error) {
    if (!(error instanceof jsYaml.YAMLException)) throw error;
    const mark = error.mark ?? { line: 0, column: 0 };
    return {
      file, index, value: undefined, lineOf,
      syntaxError: { message: error.reason ?? 'invalid YAML', line: chunk.firstLine + mark.line + 1, column: mark.column + 1 },
    };
  }
}

/** `spec.environments[1].baseUrl` → ['spec', 'environments', 1, 'baseUrl']. */
export function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

interface ParsedChunk {
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

function parseChunk(text: string): ParsedChunk {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines }), lines };
}

/** The 1-based line of the deepest node on the path that exists, within one document. */
function lineInChunk({ doc, lines }: ParsedChunk, path: string): number {
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
