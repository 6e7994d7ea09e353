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

/** The most of one value a message quotes: enough to recognise it, never a whole document. */
export const EXCERPT_CHARS = 80;

// Characters that would hide or reorder what a terminal shows: C0/C1 controls, zero-width and
// bidirectional marks, line separators, the byte order mark.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A short, printable excerpt of any value for a message: strings quoted, other values as JSON,
 * cut with "…" after `max` characters. It writes only what it shows, so an alias bomb or a
 * self-referring value costs `max` characters, not its expansion.
 */
export function excerpt(value: unknown, max = EXCERPT_CHARS): string {
  const out: string[] = [];
  let length = 0;
  const emit = (text: string): boolean => {
    out.push(text);
    length += text.length;
    return length <= max; // past max: stop; boundText below then cuts and marks the cut
  };
  writeExcerpt(value, emit);
  return boundText(out.join(''), max);
}

function writeExcerpt(value: unknown, emit: (text: string) => boolean): boolean {
  if (typeof value === 'string') return emit(quoted(value.slice(0, EXCERPT_CHARS * 4)));
  if (Array.isArray(value)) {
    if (!emit('[')) return false;
    for (let i = 0; i < value.length; i++) {
      if ((i > 0 && !emit(',')) || !writeExcerpt(value[i], emit)) return false;
    }
    return emit(']');
  }
  if (value !== null && typeof value === 'object') {
    if (!emit('{')) return false;
    let first = true;
    for (const key in value) {
      if (!first && !emit(',')) return false;
      first = false;
      if (!emit(`${quoted(key.slice(0, EXCERPT_CHARS * 4))}:`)) return false;
      if (!writeExcerpt((value as Record<string, unknown>)[key], emit)) return false;
    }
    return emit('}');
  }
  return emit(typeof value === 'bigint' ? `${value}n` : String(value));
}

/** Text from the input made safe to show: invisible characters escaped, cut after `max` characters. */
export function printable(text: string, max: number): string {
  return boundText(text.slice(0, max + 1).replace(INVISIBLE, escapeCharacter), max);
}

function escapeCharacter(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** JSON quoting, plus escapes for the invisible characters JSON leaves as they are. */
function quoted(text: string): string {
  return JSON.stringify(text).replace(INVISIBLE, escapeCharacter);
}

/** `text` cut to at most `max` characters on a code point boundary, with "…" when cut. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end--; // never split a surrogate pair
  return `${text.slice(0, end)}…`;
}
