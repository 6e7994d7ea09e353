// The commands of imanage-operator; main.ts is the entry point.

import { RUN_USAGE, RunUsageError, runCommand } from './run.ts';
import { VALIDATE_USAGE, ValidateUsageError, validateCommand } from './validate.ts';

const USAGE = `usage: imanage-operator <command> [options]

commands:
${VALIDATE_USAGE}${RUN_USAGE}`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate':
      return validateCommand(rest);
    case 'run':
      return runCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const usage = error instanceof UsageError || error instanceof RunUsageError || error instanceof ValidateUsageError;
  if (usage || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`imanage-operator: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
