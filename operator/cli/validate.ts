// `imanage-operator validate <files or folders…>`: the operator's own validator, offline.

import { formatProblem, isOwnedKind, type Problem, validateResource } from '../api/validation/index.ts';
import { type ManifestDocument, listManifestFiles, readManifests } from './sources.ts';

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

/** Throws UnreadableInputError for a missing or unreadable input; every other outcome is a report. */
export async function validateInputs(inputs: readonly string[]): Promise<ValidateReport> {
  let documents = 0;
  let checked = 0;
  const findings: Finding[] = [];
  for (const file of await listManifestFiles(inputs)) {
    for (const doc of await readManifests(file)) {
      documents++;
      if (doc.syntaxError) {
        findings.push(syntaxFinding(doc));
        continue;
      }
      if (!isOwnedKind(doc.value)) continue;
      checked++;
      findings.push(...validateResource(doc.value).problems.map((p) => toFinding(doc, p)));
    }
  }
  return { documents, checked, findings };
}

function syntaxFinding(doc: ManifestDocument): Finding {
  const e = doc.syntaxError!;
  return {
    file: doc.file, line: e.line, document: doc.index, kind: '', name: '', path: '',
    message: `not valid YAML at line ${e.line}, column ${e.column}: ${e.message}`, fix: 'correct the YAML syntax', code: 'YamlSyntax',
  };
}

function toFinding(doc: ManifestDocument, p: Problem): Finding {
  const v = doc.value as { kind?: unknown; metadata?: { name?: unknown } };
  return {
    file: doc.file, line: doc.lineOf(p.path), document: doc.index,
    kind: String(v.kind), name: typeof v.metadata?.name === 'string' ? v.metadata.name : '(no name)',
    path: p.path, message: p.message, ...(p.fix ? { fix: p.fix } : {}), code: p.code,
  };
}

export function formatFinding(f: Finding): string {
  const where = `${f.file}:${f.line} (document ${f.document})`;
  const what = f.kind ? ` ${f.kind}/${f.name}` : '';
  return `${where}${what}: ${formatProblem({ path: f.path, message: f.message, fix: f.fix, code: f.code })}`;
}
