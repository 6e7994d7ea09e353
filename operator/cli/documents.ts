// Splits a multi-document YAML (or JSON) text into documents and parses them one at a time, so
// that memory follows the largest document, not the file; finds the line of a field only for a
// document that has a problem.
//
// One YAML library in the project: js-yaml. It used to parse the documents, and the `yaml` package
// (only for documents with findings) found line numbers; each document's `yaml` syntax tree was
// kept until the end, so a 50 MB file of 145,000 manifests, half with a finding, took 32 s and
// 888 MiB peak RSS. Now 7.7 s and 285 MiB: js-yaml 5 also gives what `yaml` was there for, an
// event stream with source offsets (parseEvents, only for a document with findings) and a depth
// limit (maxDepth). Against `yaml` for everything, js-yaml parses the same 20,000 manifests 6 to
// 12 times faster (0.17-0.40 s against 1.9-3.5 s). bench/validate-throughput.ts (Node 24.9,
// linux-x64, 2 busy CPUs, runs interleaved): before 5,000-14,100 documents/s, 297 MiB peak;
// after 14,700-25,600 documents/s, 196 MiB peak.
// Neither library bounds alias expansion as we need (js-yaml counts aliases; `yaml` multiplies a
// count by a size), so expandedSize below measures it; it also refuses cycles, which js-yaml
// builds from `&a [*a]` and which would send any recursive check into a stack overflow.

import { CORE_SCHEMA, EVENT_ID, type Event, getScalarValue, loadAll, parseEvents } from 'js-yaml';
import { boundText } from '../api/validation/problems.ts';

/**
 * Bytes of one document, as text and with its aliases expanded (measured as JSON). The API server
 * refuses request bodies over 3 MiB, so a bigger document could never be applied anyway.
 */
export const MAX_DOCUMENT_BYTES = 3 * 1024 * 1024;
/** Nesting of one document, aliases included: js-yaml's own default for the text. */
export const MAX_DEPTH = 100;

/** What makes a document unreadable; `validate` reports it as a finding at `line`. */
export interface DocumentError {
  readonly code: 'YamlSyntax' | 'DocumentTooLarge' | 'DocumentTooDeep' | 'DocumentRefersToItself';
  readonly message: string;
  readonly fix: string;
  readonly line: number;
}

export interface ManifestDocument {
  /** 1-based position of the document in its file, empty documents not counted. */
  readonly index: number;
  readonly value: unknown;
  readonly error?: DocumentError;
  /** The 1-based line of a field path such as spec.environments[1].baseUrl (or its nearest parent). */
  lineOf(path: string): number;
}

interface Chunk {
  readonly text: string;
  /** 0-based line of the chunk's first line in the file. */
  readonly firstLine: number;
}

// A document marker at the start of a line ends any scalar (YAML 1.2, c-forbidden), so splitting
// on it is exact. `---` starts the next document (and may carry its content, `--- |`); `...`
// ends the one before.
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

function* splitDocuments(text: string): Generator<Chunk> {
  let start = 0;
  let line = 0;
  for (const marker of text.matchAll(DOCUMENT_MARKER)) {
    const end = marker[0] === '---' ? marker.index : endOfLine(text, marker.index);
    if (end <= start) continue;
    yield { text: text.slice(start, end), firstLine: line };
    line += countLines(text, start, end);
    start = end;
  }
  if (start < text.length) yield { text: text.slice(start), firstLine: line };
}

function endOfLine(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline === -1 ? text.length : newline + 1;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The documents of a file, one at a time; empty documents (a lone `---`, comments) are skipped. */
export function* parseManifests(text: string): Generator<ManifestDocument> {
  let index = 0;
  for (const chunk of splitDocuments(text)) {
    const parsed = parseChunk(chunk);
    if (!parsed.error && (parsed.value === null || parsed.value === undefined)) continue;
    const lineOf = (path: string) => chunk.firstLine + lineInChunk(chunk.text, path);
    yield { index: ++index, value: parsed.value, ...(parsed.error ? { error: parsed.error } : {}), lineOf };
  }
}

function parseChunk(chunk: Chunk): { value?: unknown; error?: DocumentError } {
  const firstLine = chunk.firstLine + 1;
  if (textBytes(chunk.text) > MAX_DOCUMENT_BYTES) return { error: tooLarge('as text', firstLine) };
  let value: unknown;
  try {
    [value] = loadAll(chunk.text, { schema: CORE_SCHEMA, maxDepth: MAX_DEPTH });
  } catch (error) {
    // js-yaml asks callers to catch everything it throws; its `reason` leaves out the source snippet.
    const { reason, mark } = error as { reason?: unknown; mark?: { line?: number; column?: number } };
    const where = mark?.line === undefined ? firstLine : firstLine + mark.line;
    const column = mark?.column === undefined ? '' : `, column ${mark.column + 1}`;
    const what = typeof reason === 'string' ? boundText(reason, 200) : 'the parser stopped';
    return {
      error: {
        code: 'YamlSyntax',
        message: `not valid YAML at line ${where}${column}: ${what}`,
        fix: 'correct the YAML syntax',
        line: where,
      },
    };
  }
  const refusal = expansionRefusal(value, firstLine);
  return refusal ? { error: refusal } : { value };
}

/** UTF-8 bytes of a text, counted only when it might matter (a character is at most 3 bytes). */
function textBytes(text: string): number {
  return text.length * 3 <= MAX_DOCUMENT_BYTES ? text.length : Buffer.byteLength(text);
}

function tooLarge(how: string, line: number): DocumentError {
  const limit = MAX_DOCUMENT_BYTES / 1024 / 1024;
  return {
    code: 'DocumentTooLarge',
    line,
    message: `the document is larger than ${limit} MiB ${how}; the API server accepts no bigger object`,
    fix: 'split it; if it repeats a part through YAML aliases (*name), write the part out fewer times',
  };
}

class ExpansionRefused extends Error {
  readonly code: DocumentError['code'];
  constructor(code: DocumentError['code']) {
    super(code);
    this.code = code;
  }
}

function expansionRefusal(value: unknown, line: number): DocumentError | undefined {
  try {
    expandedSize(value);
    return undefined;
  } catch (error) {
    if (!(error instanceof ExpansionRefused)) throw error;
    if (error.code === 'DocumentTooLarge') return tooLarge('once its aliases are expanded', line);
    if (error.code === 'DocumentTooDeep') {
      return {
        code: error.code,
        line,
        message: `the document nests deeper than ${MAX_DEPTH} levels`,
        fix: 'flatten it',
      };
    }
    return {
      code: 'DocumentRefersToItself',
      line,
      message: 'the document contains itself through a YAML alias',
      fix: 'remove the alias to an enclosing node',
    };
  }
}

/**
 * The size of `value` as JSON with every alias expanded, without expanding anything: a node
 * shared through an alias is measured once and counted each time it appears. Throws
 * ExpansionRefused past MAX_DOCUMENT_BYTES or MAX_DEPTH, or on a cycle.
 */
export function expandedSize(value: unknown): number {
  const measured = new Map<object, { readonly bytes: number; readonly height: number }>();
  const open = new Set<object>();
  let total = 0; // grows with every node counted, repeats included: bounds the walk's time
  const count = (bytes: number): number => {
    total += bytes;
    if (total > MAX_DOCUMENT_BYTES) throw new ExpansionRefused('DocumentTooLarge');
    return bytes;
  };
  const deeper = (depth: number) => {
    if (depth > MAX_DEPTH) throw new ExpansionRefused('DocumentTooDeep');
  };
  const measure = (node: unknown, depth: number): { bytes: number; height: number } => {
    if (node === null || typeof node !== 'object')
      return { bytes: count(typeof node === 'string' ? node.length + 2 : 5), height: 0 };
    const known = measured.get(node);
    if (known) {
      deeper(depth + known.height);
      return { bytes: count(known.bytes), height: known.height };
    }
    if (open.has(node)) throw new ExpansionRefused('DocumentRefersToItself');
    deeper(depth);
    open.add(node);
    let bytes = count(2);
    let height = 0;
    for (const [key, child] of Object.entries(node)) {
      const inner = measure(child, depth + 1);
      bytes += (Array.isArray(node) ? count(1) : count(key.length + 4)) + inner.bytes;
      height = Math.max(height, inner.height + 1);
    }
    open.delete(node);
    measured.set(node, { bytes, height });
    return { bytes, height };
  };
  measure(value, 0);
  return total;
}

/** The 1-based line, within one document's text, of the deepest node on the path that exists. */
function lineInChunk(text: string, path: string): number {
  const offset = offsetOf(parseEvents(text, { maxDepth: MAX_DEPTH }), text, pathSegments(path));
  return countLines(text, 0, offset) + 1;
}

/** `spec.environments[1].baseUrl` → ['spec', 'environments', 1, 'baseUrl']. */
export function pathSegments(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}

/** The source offset of the path's key (or item), walking parser events; the deepest one found. */
function offsetOf(events: readonly Event[], text: string, segments: readonly (string | number)[]): number {
  let node = 1; // events[0] opens the document
  let offset = events[node] ? startOf(events[node]) : 0;
  for (const segment of segments) {
    const found = childOf(events, text, node, segment);
    if (!found) break;
    ({ node, offset } = found);
  }
  return offset;
}

function childOf(events: readonly Event[], text: string, node: number, segment: string | number) {
  const parent = events[node];
  let i = node + 1;
  if (parent?.type === EVENT_ID.MAPPING) {
    while (events[i] && events[i]!.type !== EVENT_ID.POP) {
      const key = events[i]!;
      const value = skipNode(events, i);
      if (key.type === EVENT_ID.SCALAR && getScalarValue(text, key) === String(segment))
        return { node: value, offset: startOf(key) };
      i = skipNode(events, value);
    }
  } else if (parent?.type === EVENT_ID.SEQUENCE && typeof segment === 'number') {
    for (let n = 0; n < segment && events[i] && events[i]!.type !== EVENT_ID.POP; n++) i = skipNode(events, i);
    if (events[i] && events[i]!.type !== EVENT_ID.POP) return { node: i, offset: startOf(events[i]!) };
  }
  return undefined;
}

/** The index of the event after the node that starts at `i`. */
function skipNode(events: readonly Event[], i: number): number {
  const type = events[i]?.type;
  if (type !== EVENT_ID.MAPPING && type !== EVENT_ID.SEQUENCE) return i + 1;
  let depth = 0;
  do {
    const t = events[i]!.type;
    if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
    else if (t === EVENT_ID.POP) depth--;
    i++;
  } while (depth > 0 && i < events.length);
  return i;
}

function startOf(event: Event): number {
  switch (event.type) {
    case EVENT_ID.SCALAR:
      return firstOf(event.anchorStart, event.tagStart, event.valueStart);
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return firstOf(event.anchorStart, event.tagStart, event.start);
    case EVENT_ID.ALIAS:
      return event.anchorStart;
    default:
      return 0;
  }
}

/** The smallest of the offsets that are present (-1 means absent). */
function firstOf(...offsets: number[]): number {
  const present = offsets.filter((o) => o >= 0);
  return present.length > 0 ? Math.min(...present) : 0;
}
