// `imanage-operator completion bash|zsh`: a script that completes commands, flags and their
// fixed values, in the way `kubectl completion` is installed:
//   source <(imanage-operator completion bash)      # or zsh; add the line to ~/.bashrc or ~/.zshrc
// zsh runs the bash function through bashcompinit, so both shells complete alike.

import { CliUsageError } from './kube-flags.ts';

export const COMPLETION_USAGE = `  completion bash|zsh
      Print a shell completion script: source <(imanage-operator completion bash)
`;

/** What completion needs of a command: its usage text (registry.ts), and whether it takes files. */
export interface Completable {
  readonly usage: string;
  readonly files?: true;
}

interface CommandWords {
  /** Its flags, and -h --help. */
  readonly flags: string[];
  /** Fixed arguments from its synopsis, such as completion's bash|zsh. */
  readonly words: string[];
  /** Flags written with their fixed values (`--output text|json`), short forms included. */
  readonly values: ReadonlyMap<string, string[]>;
  readonly files: boolean;
}

const FLAG = /(?<![\w-])(--[a-z][a-z0-9-]*[a-z0-9]|-[a-zA-Z])(?![\w-])/g;
const FLAG_VALUES = /(?<![\w-])(--[a-z][a-z0-9-]*[a-z0-9]|-[a-zA-Z]) ([A-Za-z0-9]+(?:\|[A-Za-z0-9]+)+)(?![\w|])/g;
const SHORT_LONG = /(?<![\w-])(-[a-zA-Z]), (--[a-z][a-z0-9-]*[a-z0-9])(?![\w-])/g;

/** Reads a command's flags and fixed values out of the usage text that help prints. */
export function commandWords(name: string, command: Completable): CommandWords {
  const text = command.usage;
  const flags = [...new Set([...text.matchAll(FLAG)].map((m) => m[1]!)), '-h', '--help'];
  const values = new Map<string, string[]>();
  for (const [, flag, list] of text.matchAll(FLAG_VALUES)) values.set(flag!, list!.split('|'));
  for (const [, short, long] of text.matchAll(SHORT_LONG)) {
    const list = values.get(short!) ?? values.get(long!);
    if (list) values.set(short!, list).set(long!, list);
  }
  const synopsis = text.split('\n')[0]!.trim().slice(name.length).trim();
  const words = (/^([a-z0-9]+(?:\|[a-z0-9]+)+)(?:\s|$)/.exec(synopsis)?.[1] ?? '').split('|').filter(Boolean);
  return { flags, words, values, files: command.files === true };
}

function bashCase(name: string, command: Completable): string {
  const { flags, words, values, files } = commandWords(name, command);
  const byValues = new Map<string, string[]>();
  for (const [flag, list] of values) byValues.set(list.join(' '), [...(byValues.get(list.join(' ')) ?? []), flag]);
  const valueCases = [...byValues].map(
    ([list, names]) =>
      `      if [[ ${names.map((n) => `$prev == ${n}`).join(' || ')} ]]; then\n` +
      `        COMPREPLY=($(compgen -W "${list}" -- "$cur")); return\n      fi\n`,
  );
  const all = [...words, ...flags].join(' ');
  const rest = files
    ? `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${all}" -- "$cur"));\n` +
      '      else COMPREPLY=($(compgen -f -- "$cur")); fi'
    : `      COMPREPLY=($(compgen -W "${all}" -- "$cur"))`;
  return `    ${name})\n${valueCases.join('')}${rest}\n      ;;`;
}

function bashScript(program: string, commands: Readonly<Record<string, Completable>>): string {
  const fn = `_${program.replace(/[^a-zA-Z0-9]/g, '_')}`;
  const names = Object.keys(commands).join(' ');
  const cases = [
    ...Object.entries(commands).map(([name, command]) => bashCase(name, command)),
    `    help)\n      COMPREPLY=($(compgen -W "${names}" -- "$cur"))\n      ;;`,
  ];
  return `# ${program} completion for bash and zsh (through bashcompinit)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} command=\${COMP_WORDS[1]}
  if [[ $prev == --kubeconfig || $prev == -f || $prev == --filename || $prev == --out || $prev == --secret-out ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  if [[ $prev == -n || $prev == --namespace ]] && command -v kubectl >/dev/null; then
    COMPREPLY=($(compgen -W "$(kubectl get namespaces -o name 2>/dev/null | sed 's,^namespace/,,')" -- "$cur")); return
  fi
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W "${names} help --help --version" -- "$cur")); return
  fi
  case $command in
${cases.join('\n')}
  esac
}
complete -o default -F ${fn} ${program}
`;
}

function zshScript(program: string, commands: Readonly<Record<string, Completable>>): string {
  return `#compdef ${program}
autoload -U +X bashcompinit && bashcompinit
${bashScript(program, commands)}`;
}

export function completionCommand(
  args: string[],
  program: string,
  commands: Readonly<Record<string, Completable>>,
  out: { write(text: string): unknown } = process.stdout,
): number {
  const [shell, ...rest] = args;
  if (rest.length > 0 || (shell !== 'bash' && shell !== 'zsh')) {
    throw new CliUsageError('completion takes one shell: bash or zsh');
  }
  // As a kubectl plugin the words are `kubectl imanage …`: complete the plugin's own binary.
  const name = program === 'kubectl imanage' ? 'kubectl-imanage' : program;
  out.write(shell === 'bash' ? bashScript(name, commands) : zshScript(name, commands));
  return 0;
}
