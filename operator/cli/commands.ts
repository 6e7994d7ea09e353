// The commands of imanage-operator; main.ts is the entry point.

import { parseArgs } from 'node:util';
import { RUN_USAGE, RunUsageError, runCommand } from './run.ts';
import { UnreadableInputError } from './sources.ts';
import { formatFinding, validateInputs } from './validate.ts';

const USAGE = `usage: imanage-operator <command> [options]

commands:
  validate <files or folders…> [--output text|json]
      Validate IManageConnection and WorkspaceRepository manifests offline, with the same
      checks as the operator. Other kinds are ignored.
      Exit status: 0 valid, 1 invalid, 2 usage error or unreadable input.
${RUN_USAGE}`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o', default: 'text' } },
  });
  if (positionals.length === 0) throw new UsageError('validate needs at least one file or folder');
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError(`--output must be text or json, not ${values.output}`);
  const report = await validateInputs(positionals);
  if (values.output === 'json') {
    process.stdout.write(JSON.stringify({ valid: report.findings.length === 0, ...report }, null, 2) + '\n');
  } else {
    for (const finding of report.findings) process.stdout.write(formatFinding(finding) + '\n');
    const invalid = new Set(report.findings.map((f) => `${f.file}#${f.document}`)).size;
    process.stderr.write(`${report.checked} resources checked in ${report.documents} documents: ${invalid === 0 ? 'all valid' : `${invalid} invalid`}\n`);
  }
  return report.findings.length === 0 ? 0 : 1;
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
  if (error instanceof UsageError || error instanceof RunUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`imanage-operator: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof UnreadableInputError) {
    process.stderr.write(`imanage-operator: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
