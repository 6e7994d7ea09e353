// The commands of imanage-operator; main.ts is the entry point. Installed as `kubectl-imanage`
// on PATH, the same program is a kubectl plugin (`kubectl imanage status`) and names itself so.
// The commands themselves are described once, in registry.ts.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppPackageUsageError, AppPackageWriteError } from './app-package.ts';
import { ApiError, KubeConfigError } from '../runtime/kube/errors.ts';
import { ClusterUnreachableError, CliUsageError } from './kube-flags.ts';
import { PreviewUsageError } from './preview.ts';
import { COMMANDS, usage } from './registry.ts';
import { RunUsageError } from './run.ts';
import { guardStream } from './terminal.ts';
import { ValidateUsageError } from './validate.ts';

/** `kubectl imanage` when started through a file named kubectl-imanage (kubectl's plugin naming). */
export function programName(argv1: string | undefined): string {
  return basename(argv1 ?? '').startsWith('kubectl-imanage') ? 'kubectl imanage' : 'imanage-operator';
}

const program = programName(process.argv[1]);

export const EXIT = { usage: 2, clusterUnreachable: 4 } as const;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown'; // an image without package.json still starts
  }
}

const isHelp = (arg: string) => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version') {
    process.stdout.write(`${program} ${version()}\n`);
    return 0;
  }
  if (name === undefined || name === 'help' || isHelp(name)) {
    const wanted = name === 'help' ? rest[0] : undefined;
    const command = wanted === undefined ? undefined : COMMANDS[wanted];
    if (wanted !== undefined && !command) throw new CliUsageError(`unknown command '${wanted.slice(0, 40)}'`);
    process.stdout.write(command ? `usage: ${program}\n${command.usage}` : usage(program));
    return name === undefined ? EXIT.usage : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliUsageError(`unknown command '${name.slice(0, 40)}'`);
  // `--` ends the options: a file named -h after it is a file.
  const options = rest.indexOf('--') === -1 ? rest : rest.slice(0, rest.indexOf('--'));
  if (options.some(isHelp)) {
    process.stdout.write(`usage: ${program}\n${command.usage}`);
    return 0;
  }
  return command.run(rest, program);
}

const USAGE_ERRORS = [CliUsageError, RunUsageError, ValidateUsageError, AppPackageUsageError, PreviewUsageError];

/** One line: the first of the message, cut short, so that a usage error never scrolls the screen. */
const oneLine = (message: string) => message.split('\n')[0]!.slice(0, 300);

/** No kubeconfig, a bad one, or an API server that did not answer (status 0: no answer at all). */
function clusterUnreachable(error: unknown): boolean {
  return (
    error instanceof ClusterUnreachableError ||
    error instanceof KubeConfigError ||
    (error instanceof ApiError && error.status === 0)
  );
}

// Not for `run`: the operator writes JSON log lines, in which JSON already escapes every control character.
if (process.argv[2] !== 'run') {
  guardStream(process.stdout);
  guardStream(process.stderr);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const usageError = USAGE_ERRORS.some((type) => error instanceof type);
  if (usageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    const name = process.argv[2] ?? '';
    const hint = COMMANDS[name] ? `${program} help ${name}` : `${program} help`;
    process.stderr.write(`${program}: ${oneLine((error as Error).message)}\nrun '${hint}' for usage\n`);
    process.exitCode = EXIT.usage;
  } else if (clusterUnreachable(error)) {
    process.stderr.write(`${program}: ${oneLine((error as Error).message)}\n`);
    process.exitCode = EXIT.clusterUnreachable;
  } else if (error instanceof ApiError || error instanceof AppPackageWriteError) {
    // The cluster refused, or a file could not be written: one line, no stack trace.
    process.stderr.write(`${program}: ${oneLine(error.message)}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
