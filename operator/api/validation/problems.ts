/** One thing wrong with a resource: where, what, and how to fix it. */
export interface Problem {
  /** Kubernetes-style field path, e.g. spec.environments[1].redirectUri. */
  readonly path: string;
  readonly message: string;
  /** What to change; absent when the message already says it. */
  readonly fix?: string;
  /** A stable PascalCase code, for tooling and for condition reasons. */
  readonly code: string;
}

/** `/spec/environments/1/redirectUri` → `spec.environments[1].redirectUri`. */
export function fieldPath(jsonPointer: string): string {
  let out = '';
  for (const raw of jsonPointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^[0-9]+$/.test(segment)) out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function joinPath(base: string, child: string): string {
  if (child === '') return base;
  if (child.startsWith('[')) return base + child;
  return base === '' ? child : `${base}.${child}`;
}

/** One line for people: `spec.url: must start with https:// — fix: …`. */
export function formatProblem(p: Problem): string {
  return `${p.path || '(object)'}: ${p.message}${p.fix ? ` — fix: ${p.fix}` : ''}`;
}
