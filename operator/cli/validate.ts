// `imanage-operator validate <files, folders or ->`: the operator's own validator, offline.
// Hostile input gets a finding or a clear refusal, never a stack trace: inputs are bounded in
// size (sources.ts), documents in size, depth and alias expansion (documents.ts), and every
// text a finding quotes from the input in length.

import { parseArgs } from 'node:util';
import { formatProblem, isOwnedKind, type Problem, validateResource } from '../api/validation/index.ts';
import { boundText, printable } from '../api/validation/problems.ts';
import { CrossResourceChecks } from './cross-check.ts';
import { MAX_DEPTH, MAX_DOCUMENT_BYTES, type ManifestDocument, parseManifests } from './documents.ts';
import {
  InvalidUtf8Error,
  MAX_INPUT_BYTES,
  UnreadableInputError,
  decodeUtf8,
  listManifestFiles,
  readInput,
} from './sources.ts';

const MiB = 1024 * 1024;

export const VALIDATE_USAGE = `  validate <files, folders or -…> [--output text|json]
      Validate IManageConnection and WorkspaceRepository manifests offline, with the same
      checks as the operator. Other kinds are ignored, and so are empty documents. Reads
      regular files (in folders: .yaml, .yml, .json) and - (standard input), as UTF-8.
      Limits: ${MAX_INPUT_BYTES / MiB} MiB per input (larger: exit 2); ${MAX_DOCUMENT_BYTES / MiB} MiB per document,
      as text and with YAML aliases expanded, and ${MAX_DEPTH} levels of nesting (larger: a finding).
      Exit status: 0 valid, 1 invalid, 2 usage error or unreadable input.
`;

export class ValidateUsageError extends Error {
  override readonly name = 'ValidateUsageError';
}

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly document: number;
  readonly kind: string;
  readonly name: string;
  readonly path: string;
  readonly message: string;
  readonly fix?: string;
  readonly code: string;
}

export interface ValidateReport {
  readonly documents: number;
  readonly checked: number;
  readonly findings: readonly Finding[];
}

/** Where the command writes and what `-` reads; the process's own streams by default. */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly stdin: AsyncIterable<Uint8Array>;
}

/** The command: returns the exit status. Throws ValidateUsageError, or parseArgs' errors, on bad arguments. */
export async function validateCommand(args: string[], io: CommandIo = process): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o', default: 'text' } },
  });
  if (positionals.length === 0) throw new ValidateUsageError('validate needs at least one file or folder');
  if (values.output !== 'text' && values.output !== 'json') {
    throw new ValidateUsageError(`--output must be text or json, not ${boundText(String(values.output), 40)}`);
  }
  let report: ValidateReport;
  try {
    report = await validateInputs(positionals, io);
  } catch (error) {
    if (!(error instanceof UnreadableInputError)) throw error;
    io.stderr.write(`imanage-operator: ${error.message}\n`);
    return 2;
  }
  if (values.output === 'json') {
    io.stdout.write(JSON.stringify({ valid: report.findings.length === 0, ...report }, null, 2) + '\n');
  } else {
    for (const finding of report.findings) io.stdout.write(formatFinding(finding) + '\n');
    const invalid = new Set(report.findings.map((f) => `${f.file}#${f.document}`)).size;
    const verdict = invalid === 0 ? 'all valid' : `${invalid} invalid`;
    io.stderr.write(`${report.checked} resources checked in ${report.documents} documents: ${verdict}\n`);
  }
  return report.findings.length === 0 ? 0 : 1;
}

/** Throws UnreadableInputError for a missing, unreadable or oversized input; every other outcome is a report. */
export async function validateInputs(
  inputs: readonly string[],
  io: Pick<CommandIo, 'stdin'> = process,
): Promise<ValidateReport> {
  const report = { documents: 0, checked: 0, findings: [] as Finding[] };
  const crossChecks = new CrossResourceChecks();
  for (const file of await listManifestFiles(inputs)) {
    const shown = printable(file, 500);
    let text: string;
    try {
      text = decodeUtf8(await readInput(file, () => io.stdin));
    } catch (error) {
      if (!(error instanceof InvalidUtf8Error)) throw error;
      report.findings.push(encodingFinding(shown, error));
      continue;
    }
    for (const doc of parseManifests(text)) {
      report.documents++;
      if (doc.error) {
        report.findings.push({ file: shown, document: doc.index, kind: '', name: '', path: '', ...doc.error });
      } else if (isOwnedKind(doc.value)) {
        report.checked++;
        const { problems, value } = validateResource(doc.value);
        report.findings.push(...problems.map((p) => toFinding(shown, doc, p)));
        // The callback keeps a few facts of the document, not its text.
        const facts = documentFacts(doc);
        const reportAt = (p: Problem, line: number) => report.findings.push(findingAt(shown, facts, p, line));
        if (value) crossChecks.add(value, doc.lineOf, reportAt);
      }
    }
  }
  crossChecks.finish();
  return report;
}

function encodingFinding(file: string, error: InvalidUtf8Error): Finding {
  return {
    file,
    line: error.line,
    document: 0,
    kind: '',
    name: '',
    path: '',
    code: 'InvalidUtf8',
    message: error.message,
    fix: 'save the file as UTF-8 (a byte such as \\xE9 is Latin-1: é is \\xC3\\xA9 in UTF-8)',
  };
}

// What a finding quotes of the input (a field path holds keys, a message values) is bounded, so
// that a hostile document cannot make the report larger than a few hundred bytes per finding.
const MAX_PATH_CHARS = 200;
const MAX_MESSAGE_CHARS = 400;

type DocumentFacts = Pick<Finding, 'document' | 'kind' | 'name'>;

function documentFacts(doc: ManifestDocument): DocumentFacts {
  const v = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
  const name = typeof v.metadata?.name === 'string' ? printable(v.metadata.name, 100) : '(no name)';
  return { document: doc.index, kind: printable(String(v.kind), 100), name };
}

function toFinding(file: string, doc: ManifestDocument, p: Problem): Finding {
  return findingAt(file, documentFacts(doc), p, doc.lineOf(p.path));
}

function findingAt(file: string, facts: DocumentFacts, p: Problem, line: number): Finding {
  return {
    file,
    line,
    ...facts,
    path: printable(p.path, MAX_PATH_CHARS),
    message: printable(p.message, MAX_MESSAGE_CHARS),
    ...(p.fix ? { fix: printable(p.fix, MAX_MESSAGE_CHARS) } : {}),
    code: p.code,
  };
}

export function formatFinding(f: Finding): string {
  const where = `${f.file}:${f.line}${f.document > 0 ? ` (document ${f.document})` : ''}`;
  const what = f.kind ? ` ${f.kind}/${f.name}` : '';
  return `${where}${what}: ${formatProblem({ path: f.path, message: f.message, fix: f.fix, code: f.code })}`;
}
