// The status table of `imanage-operator status` and of the demo: one row per connection and
// repository, with Ready, its reason, and the message, which says what to do next.

export interface StatusRow {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly ready: string;
  readonly reason: string;
  readonly message: string;
  /** The operator has acted on the current generation and said Ready True or False. */
  readonly settled: boolean;
  /** -o wide: the URL of a connection, the area and connection of a repository. */
  readonly detail?: string;
  /** -o wide: observedGeneration/generation. */
  readonly generation?: string;
  /** A repository's workspace and folder per entry (`Shared Administration / Document Templates`), or why not. */
  readonly resolvedTo?: string;
}

interface StatusObject {
  readonly kind?: string;
  readonly metadata?: { readonly namespace?: string; readonly name?: string; readonly generation?: number };
  readonly spec?: {
    readonly url?: string;
    readonly area?: string;
    readonly connectionRef?: { readonly name?: string };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly conditions?: readonly { type?: string; status?: string; reason?: string; message?: string }[];
    readonly resolvers?: readonly { readonly resolution?: ResolutionView }[];
  };
}

interface ResolutionView {
  readonly outcome?: string;
  readonly workspace?: { readonly name?: string };
  readonly folder?: { readonly path?: string };
}

/** Entries shown in the RESOLVED TO cell; the rest are counted. */
const SHOWN_ENTRIES = 2;

/** `Shared Administration / Document Templates`, `NoMatch`, `per work item`: one cell for a repository. */
function resolvedTo(object: StatusObject): string | undefined {
  const found = (object.status?.resolvers ?? []).flatMap((r) => (r.resolution ? [r.resolution] : []));
  if (found.length === 0) return undefined;
  const cell = (r: ResolutionView) => {
    if (r.outcome === 'NeedsWorkItem') return 'per work item';
    if (r.outcome !== 'Resolved') return r.outcome ?? '?';
    return r.folder?.path ? `${r.workspace?.name} / ${r.folder.path}` : `${r.workspace?.name}`;
  };
  const more = found.length > SHOWN_ENTRIES ? ` (+${found.length - SHOWN_ENTRIES} more)` : '';
  return found.slice(0, SHOWN_ENTRIES).map(cell).join(', ') + more;
}

// kstatus' rule: status that predates the current generation says nothing about it.
const NOT_OBSERVED =
  'the operator has not acted on this generation yet; if this lasts, check that it runs: ' +
  'kubectl get pods -A -l app.kubernetes.io/name=imanage-operator';

/** A row for one IManageConnection or WorkspaceRepository as the API server returned it. */
export function statusRow(object: StatusObject): StatusRow {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  const observed = object.status?.observedGeneration;
  const current = observed === object.metadata?.generation;
  const spec = object.spec;
  const resolved = current ? resolvedTo(object) : undefined;
  return {
    namespace: object.metadata?.namespace ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    ready: current ? (ready?.status ?? '') : '',
    reason: current ? (ready?.reason ?? '') : 'NotObserved',
    message: current ? (ready?.message ?? '') : NOT_OBSERVED,
    settled: current && ready !== undefined && ready.status !== 'Unknown',
    detail:
      spec?.url ??
      [spec?.area, spec?.connectionRef?.name && `via ${spec.connectionRef.name}`].filter(Boolean).join(' '),
    generation: `${observed ?? '-'}/${object.metadata?.generation ?? '-'}`,
    ...(resolved ? { resolvedTo: resolved } : {}),
  };
}

export interface TableOptions {
  /** Leave out the NAMESPACE column (one namespace, as kubectl does). @default true */
  readonly namespaces?: boolean;
  readonly wide?: boolean;
}

type Column = readonly [header: string, cell: (row: StatusRow) => string];

export function statusTable(rows: readonly StatusRow[], options: TableOptions = {}): string {
  const columns: Column[] = [
    ...(options.namespaces === false ? [] : [['NAMESPACE', (r: StatusRow) => r.namespace] as const]),
    ['KIND', (r) => r.kind],
    ['NAME', (r) => r.name],
    ['READY', (r) => r.ready || '-'],
    ['REASON', (r) => r.reason || '-'],
    ...(options.wide
      ? [
          ['GENERATION', (r: StatusRow) => r.generation ?? '-'] as const,
          ['DETAIL', (r: StatusRow) => r.detail || '-'] as const,
        ]
      : []),
    ...(rows.some((r) => r.resolvedTo) ? [['RESOLVED TO', (r: StatusRow) => r.resolvedTo ?? '-'] as const] : []),
    ['MESSAGE', (r) => r.message],
  ];
  const sorted = [...rows].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
  const cells = sorted.map((r) => columns.map(([, cell]) => cell(r)));
  const widths = columns.slice(0, -1).map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i < widths.length ? v.padEnd(widths[i]!) : v))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}
