// The commands of imanage-operator; main.ts is the entry point. Installed as `kubectl-imanage`
// on PATH, the same program is a kubectl plugin (`kubectl imanage status`) and names itself so.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { APP_PACKAGE_USAGE, AppPackageUsageError, appPackageCommand } from './app-package.ts';
import { COMPLETION_USAGE, completionCommand } from './completion.ts';
import { ApiError, KubeConfigError } from '../runtime/kube/errors.ts';
import { CliUsageError } from './kube-flags.ts';
import { LINK_USAGE, linkCommand } from './link.ts';
import { PREVIEW_USAGE, PreviewUsageError, previewCommand } from './preview.ts';
import { RUN_USAGE, RunUsageError, runCommand } from './run.ts';
import { STATUS_USAGE, statusCommand } from './status.ts';
import { guardStream } from './terminal.ts';
import { VALIDATE_USAGE, ValidateUsageError, validateCommand } from './validate.ts';

/** `kubectl imanage` when started through a file named kubectl-imanage (kubectl's plugin naming). */
export function programName(argv1: string | undefined): string {
  return basename(argv1 ?? '').startsWith('kubectl-imanage') ? 'kubectl imanage' : 'imanage-operator';
}

const program = programName(process.argv[1]);

interface Command {
  readonly usage: string;
  readonly run: (args: string[]) => Promise<number> | number;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  status: { usage: STATUS_USAGE, run: (args) => statusCommand(args) },
  validate: { usage: VALIDATE_USAGE, run: (args) => validateCommand(args) },
  preview: { usage: PREVIEW_USAGE, run: (args) => previewCommand(args) },
  link: { usage: LINK_USAGE, run: (args) => linkCommand(args) },
  'app-package': { usage: APP_PACKAGE_USAGE, run: (args) => appPackageCommand(args) },
  completion: { usage: COMPLETION_USAGE, run: (args) => completionCommand(args, program) },
  run: { usage: RUN_USAGE, run: (args) => runCommand(args) },
};

const USAGE = `usage: ${program} <command> [options]     (${program} <command> --help for one command)

commands:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('')}
  --version   print the version
`;

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
    const command = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(command ? `usage: ${program}\n${command.usage}` : USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliUsageError(`unknown command '${name.slice(0, 40)}'`);
  // `--` ends the options: a file named -h after it is a file.
  const options = rest.indexOf('--') === -1 ? rest : rest.slice(0, rest.indexOf('--'));
  if (options.some(isHelp)) {
    process.stdout.write(`usage: ${program}\n${command.usage}`);
    return 0;
  }
  return command.run(rest);
}

const USAGE_ERRORS = [CliUsageError, RunUsageError, ValidateUsageError, AppPackageUsageError, PreviewUsageError];

// Not for `run`: the operator writes JSON log lines, in which JSON already escapes every control character.
if (process.argv[2] !== 'run') {
  guardStream(process.stdout);
  guardStream(process.stderr);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const usage = USAGE_ERRORS.some((type) => error instanceof type);
  if (usage || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    const command = COMMANDS[process.argv[2] ?? ''];
    process.stderr.write(
      `${program}: ${(error as Error).message}\n\n${command ? `usage: ${program}\n${command.usage}` : USAGE}`,
    );
    process.exitCode = 2;
  } else if (error instanceof ApiError || error instanceof KubeConfigError) {
    // The cluster refused or could not be reached: its words, without a stack trace.
    process.stderr.write(`${program}: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
