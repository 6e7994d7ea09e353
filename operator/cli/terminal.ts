// Whatever the CLI prints may hold text a tenant wrote (a URL, a name) or a server sent (a status
// message): an ESC or BEL in it would drive the reader's terminal (clear the screen, set the
// title, hide a line). Every byte the CLI's commands write passes through here: C0 and C1
// controls other than tab and newline, DEL, and the bidi and zero-width format characters that
// make a line read other than it is are dropped (issue 18, finding 12).

const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `text` without the characters that a terminal acts on or that reorder what it shows. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, '');
}

type Write = NodeJS.WriteStream['write'];

/** Makes every string written to `stream` terminal-safe (Buffers are passed as they are: none holds text). */
export function guardStream(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(typeof chunk === 'string' ? terminalSafe(chunk) : chunk, ...rest)) as Write;
}
