// `imanage-operator completion bash|zsh`: a script that completes commands, flags and their
// fixed values, in the way `kubectl completion` is installed:
//   source <(imanage-operator completion bash)      # or zsh; add the line to ~/.bashrc or ~/.zshrc
// zsh runs the bash function through bashcompinit, so both shells complete alike.

import { CliUsageError } from './kube-flags.ts';

export const COMPLETION_USAGE = `  completion bash|zsh
      Print a shell completion script: source <(imanage-operator completion bash)
`;

const KUBE = '-n --namespace --context --kubeconfig';
/** Each command's flags; `files` when its arguments are files. */
export const COMPLETIONS: Readonly<Record<string, { readonly flags: string; readonly files?: true }>> = {
  status: { flags: `-A --all-namespaces ${KUBE} -o --output -h --help` },
  validate: { flags: '-o --output -h --help', files: true },
  'app-package': {
    flags:
      `-f --filename ${KUBE} -o --output --out --environment --create-secret --replace-credentials ` +
      '--secret-out --id --name --publisher --organization --app-version -h --help',
  },
  link: { flags: `${KUBE} -o --output --timeout --relink -h --help` },
  completion: { flags: 'bash zsh -h --help' },
  run: {
    flags: '--namespaces --label-selector --health-address --kubeconfig --context --log-level --probes -h --help',
  },
};

const OUTPUTS: Readonly<Record<string, string>> = {
  status: 'wide json yaml',
  validate: 'text json',
  link: 'text json',
  'app-package': 'text json',
};

function bashScript(program: string): string {
  const fn = `_${program.replace(/[^a-zA-Z0-9]/g, '_')}`;
  const cases = Object.entries(COMPLETIONS).map(([command, { flags, files }]) => {
    const outputs = OUTPUTS[command]
      ? `      if [[ $prev == -o || $prev == --output ]]; then\n` +
        `        COMPREPLY=($(compgen -W "${OUTPUTS[command]}" -- "$cur")); return\n      fi\n`
      : '';
    const rest = files
      ? `      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${flags}" -- "$cur"));\n` +
        '      else COMPREPLY=($(compgen -f -- "$cur")); fi'
      : `      COMPREPLY=($(compgen -W "${flags}" -- "$cur"))`;
    return `    ${command})\n${outputs}${rest}\n      ;;`;
  });
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
    COMPREPLY=($(compgen -W "${Object.keys(COMPLETIONS).join(' ')} --help --version" -- "$cur")); return
  fi
  case $command in
${cases.join('\n')}
  esac
}
complete -o default -F ${fn} ${program}
`;
}

function zshScript(program: string): string {
  return `#compdef ${program}
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

export function completionCommand(
  args: string[],
  program: string,
  out: { write(text: string): unknown } = process.stdout,
): number {
  const [shell, ...rest] = args;
  if (rest.length > 0 || (shell !== 'bash' && shell !== 'zsh')) {
    throw new CliUsageError('completion takes one shell: bash or zsh');
  }
  // As a kubectl plugin the words are `kubectl imanage …`: complete the plugin's own binary.
  const name = program === 'kubectl imanage' ? 'kubectl-imanage' : program;
  out.write(shell === 'bash' ? bashScript(name) : zshScript(name));
  return 0;
}
