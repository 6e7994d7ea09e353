// The demo's status table: namespace, kind, name, Ready, reason, message.

export interface StatusRow {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly ready: string;
  readonly reason: string;
  readonly message: string;
  readonly settled: boolean;
}

const HEADERS = ['NAMESPACE', 'KIND', 'NAME', 'READY', 'REASON', 'MESSAGE'] as const;

export function statusTable(rows: readonly StatusRow[]): string {
  const sorted = [...rows].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  const cells = sorted.map((r) => [r.namespace, r.kind, r.name, r.ready || '-', r.reason || '-', r.message]);
  const widths = HEADERS.slice(0, -1).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (i < widths.length ? v.padEnd(widths[i]!) : v)).join('  ').trimEnd();
  return [line(HEADERS), ...cells.map(line)].join('\n');
}
