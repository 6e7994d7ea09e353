// The one description of the commands: each command's usage text (what `help` prints) and how it
// runs. The completion script is made from the same usage texts (completion.ts), so a command or a
// flag that help shows is completed, and one it does not show cannot be.

import { APP_PACKAGE_USAGE, appPackageCommand } from './app-package.ts';
import { COMPLETION_USAGE, completionCommand } from './completion.ts';
import { LINK_USAGE, linkCommand } from './link.ts';
import { PREVIEW_USAGE, previewCommand } from './preview.ts';
import { RUN_USAGE, runCommand } from './run.ts';
import { STATUS_USAGE, statusCommand } from './status.ts';
import { VALIDATE_USAGE, validateCommand } from './validate.ts';

export interface Command {
  /** Its synopsis line, then what it does and its flags, indented as `help` prints them. */
  readonly usage: string;
  /** Its arguments are files (completion offers file names). */
  readonly files?: true;
  readonly run: (args: string[], program: string) => Promise<number> | number;
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  status: { usage: STATUS_USAGE, run: (args) => statusCommand(args) },
  validate: { usage: VALIDATE_USAGE, files: true, run: (args) => validateCommand(args) },
  preview: { usage: PREVIEW_USAGE, run: (args) => previewCommand(args) },
  link: { usage: LINK_USAGE, run: (args) => linkCommand(args) },
  'app-package': { usage: APP_PACKAGE_USAGE, run: (args) => appPackageCommand(args) },
  completion: { usage: COMPLETION_USAGE, run: (args, program) => completionCommand(args, program, COMMANDS) },
  run: { usage: RUN_USAGE, run: (args) => runCommand(args) },
};

/** What a script can tell from the exit status; docs/cli.md lists the same. */
export const EXIT_CODES_USAGE = `exit status:
  0  done (status: every object Ready; validate: valid; link: linked)
  1  done, and something is wrong (not Ready, invalid, not linked, or the API server refused)
  2  usage error: a bad command, flag or value; nothing was done
  3  preview: iManage unavailable or the token refused
  4  cannot reach the cluster: no or a bad kubeconfig, or the API server did not answer
`;

export function usage(program: string): string {
  return `usage: ${program} <command> [options]     (${program} help <command> for one command)

commands:
${Object.values(COMMANDS)
  .map((c) => c.usage)
  .join('')}
  --version   print the version

${EXIT_CODES_USAGE}`;
}
