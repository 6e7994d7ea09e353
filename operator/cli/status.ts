// `imanage-operator status` (and `kubectl imanage status`): every connection and repository in a
// namespace, or all, with Ready, the reason and what to do next. Exit 1 when one is not Ready, so
// that a script can wait on it.

import { parseArgs } from 'node:util';
import { dump } from 'js-yaml';
import { imanageConnections, workspaceRepositories } from '../api/kinds.ts';
import type { KubeClient } from '../runtime/kube/client.ts';
import type { CommandIo } from './validate.ts';
import { CliUsageError, KUBE_FLAGS_USAGE, KUBE_OPTIONS, connect, kubeTarget, outputFormat } from './kube-flags.ts';
import { isLabelSelector, LABEL_SELECTOR_EXAMPLE } from './run-flags.ts';
import { type StatusRow, statusRow, statusTable } from './status-table.ts';

export const STATUS_USAGE = `  status [-n ns | -A] [-l selector] [-o wide|json|yaml]
      Every IManageConnection and WorkspaceRepository with Ready, its reason and what to do
      next. Exit status: 0 all Ready, 1 one or more not Ready (or none found), 2 usage error,
      4 cannot reach the cluster.
        -A, --all-namespaces        every namespace
        -l, --selector sel          only objects with these labels, e.g. tenant=acme,env!=uat
${KUBE_FLAGS_USAGE}        -o, --output wide|json|yaml  wide adds generations, URL or area
`;

const STATUS_OPTIONS = { ...KUBE_OPTIONS, selector: { type: 'string', short: 'l' } } as const;

const FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

async function listRows(
  client: KubeClient,
  namespace: string | undefined,
  labelSelector: string | undefined,
): Promise<StatusRow[]> {
  const options = { ...(namespace === undefined ? {} : { namespace }), ...(labelSelector ? { labelSelector } : {}) };
  const [connections, repositories] = await Promise.all([
    client.list(imanageConnections, options),
    client.list(workspaceRepositories, options),
  ]);
  // A list's items carry no kind; the row names it.
  return [
    ...connections.items.map((o) => statusRow({ ...o, kind: imanageConnections.kind })),
    ...repositories.items.map((o) => statusRow({ ...o, kind: workspaceRepositories.kind })),
  ];
}

export async function statusCommand(
  args: string[],
  io: Pick<CommandIo, 'stdout' | 'stderr'> = process,
): Promise<number> {
  const { values } = parseArgs({ args, options: STATUS_OPTIONS, strict: true, allowPositionals: false });
  const target = kubeTarget(values);
  const format = outputFormat(values.output, FORMATS, 'table');
  const selector = values.selector;
  if (selector !== undefined && !isLabelSelector(selector)) {
    throw new CliUsageError(`--selector must be ${LABEL_SELECTOR_EXAMPLE}, not '${selector.slice(0, 80)}'`);
  }
  const { client, namespace } = await connect(target);
  let rows: StatusRow[];
  try {
    rows = await listRows(client, target.allNamespaces ? undefined : namespace, selector);
  } finally {
    client.close();
  }
  if (format === 'json' || format === 'yaml') {
    const items = rows.map(({ detail: _d, generation: _g, ...row }) => row);
    io.stdout.write(format === 'json' ? `${JSON.stringify({ items }, null, 2)}\n` : dump({ items }));
  } else if (rows.length === 0) {
    io.stderr.write(
      `No connections or repositories found${target.allNamespaces ? '' : ` in ${namespace} namespace`}` +
        `${selector ? ` with labels ${selector}` : ''}.\n`,
    );
  } else {
    io.stdout.write(`${statusTable(rows, { namespaces: target.allNamespaces, wide: format === 'wide' })}\n`);
  }
  const notReady = rows.filter((r) => r.ready !== 'True').length;
  if (notReady > 0 && format !== 'json' && format !== 'yaml')
    io.stderr.write(`${notReady} of ${rows.length} not Ready\n`);
  return rows.length > 0 && notReady === 0 ? 0 : 1;
}
