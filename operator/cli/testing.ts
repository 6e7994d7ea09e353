// Runs `validate` in-process for tests: what it printed and its exit status.

import { validateCommand } from './validate.ts';

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stdin` is what `-` reads. */
export async function validate(args: string[], stdin: Uint8Array = new Uint8Array()): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: (async function* () {
      yield stdin;
    })(),
  };
  const code = await validateCommand(args, io);
  return { code, stdout, stderr };
}

/** A stack trace has lines that start with "at "; a message for people never does. */
export const STACK_TRACE_LINE = /^\s+at /m;
