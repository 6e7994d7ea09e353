// The repository side of `npm run demo`: after the table, what each repository resolved to, as
// its status says (status.resolvers[].resolution per entry, status.previews per sample), or why not.

import type { ControlPlane } from '../harness/controlplane.ts';

interface Resolution {
  readonly outcome: string;
  readonly workspace?: { readonly id: string; readonly name: string };
  readonly folder?: { readonly path: string };
  readonly matches?: number;
  readonly matchedBy?: string;
  readonly message?: string;
}

interface RepositoryObject {
  readonly metadata: { readonly namespace: string; readonly name: string };
  readonly status?: {
    readonly conditions?: readonly { readonly type: string; readonly reason: string }[];
    readonly resolvers?: readonly { readonly workType: string; readonly resolution?: Resolution }[];
    readonly previews?: readonly { readonly workType: string; readonly resolution: Resolution }[];
  };
}

/** `Clio Operate Instructions / Documents (workspace ACTIVE_US!7, 1 match)`, or the outcome and why. */
export function describeResolution(r: Resolution): string {
  if (r.outcome !== 'Resolved') return `${r.outcome}${r.message ? `: ${r.message}` : ''}`;
  const folder = r.folder?.path ? ` / ${r.folder.path}` : '';
  const by = r.matchedBy && r.matchedBy !== 'resolver' ? `, by ${r.matchedBy}` : '';
  const matches = `${r.matches ?? 1} match${r.matches === 1 ? '' : 'es'}`;
  return `${r.workspace?.name}${folder} (workspace ${r.workspace?.id}, ${matches}${by})`;
}

function linesOf(o: RepositoryObject): string[] {
  // A dynamic entry resolves per work item: its previews below say what it found.
  const shown = (o.status?.resolvers ?? []).filter((e) => e.resolution && e.resolution.outcome !== 'NeedsWorkItem');
  const entries = shown.map((e) => `${e.workType} → ${describeResolution(e.resolution!)}`);
  const samples = o.status?.previews ?? [];
  const previews = samples.map((p) => `preview ${p.workType} → ${describeResolution(p.resolution)}`);
  const all = [...entries, ...previews];
  const name = `${o.metadata.namespace}/${o.metadata.name}`;
  const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
  const why = ready?.reason ?? 'not reconciled yet';
  if (all.length === 0) return [`${name}: not resolved (${why}; see its Ready message)`];
  return all.map((line) => `${name}: ${line}`);
}

/** Per repository, per entry and preview sample: the workspace and folder, or why not. */
export async function repositoryLines(cp: Pick<ControlPlane, 'kubectl'>): Promise<string[]> {
  const result = await cp.kubectl(['get', 'workspacerepositories', '-A', '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get workspacerepositories: ${result.stderr.trim()}`);
  const items = (JSON.parse(result.stdout) as { items: RepositoryObject[] }).items;
  const key = (o: RepositoryObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  return items.sort((a, b) => key(a).localeCompare(key(b))).flatMap(linesOf);
}
