// Generates docs/troubleshooting.md from the reason catalogue (operator/api/reasons.ts): one entry
// per reason, so that the page lists exactly what the operator can write, and says the same.

import {
  CONNECTION_REASONS,
  LINK_REASONS,
  type LinkReasonEntry,
  type ReasonEntry,
  REPOSITORY_REASONS,
} from '../api/reasons.ts';

const KSTATUS_WORDS = {
  Current: 'Ready (Current)',
  InProgress: 'in progress (kstatus InProgress, Argo CD Progressing)',
  Failed: 'failed (kstatus Failed, Argo CD Degraded)',
} as const;

function section(reason: string, e: ReasonEntry): string {
  const read = e.kstatus.map((k) => KSTATUS_WORDS[k]).join(' or ');
  const on = e.conditions.map((c) => `\`${c}\``).join(', ');
  const next = e.recheck ? ' The operator looks again with backoff until it is fixed.' : '';
  return [
    `### ${reason}`,
    '',
    `Read as ${read}; set on ${on}.${next}`,
    '',
    ...advice(e),
  ].join('\n');
}

function advice(e: LinkReasonEntry): string[] {
  return [`- **What it means:** ${e.means}`, `- **What to check:** ${e.check}`, `- **What fixes it:** ${e.fix}`, ''];
}

const linkSection = (reason: string, e: LinkReasonEntry) => [`### ${reason}`, '', ...advice(e)].join('\n');

const sections = (catalogue: Record<string, ReasonEntry>) =>
  Object.entries(catalogue)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, e]) => section(reason, e));

export function troubleshootingPage(): string {
  return [
    '<!-- generated from operator/api/reasons.ts by `npm run generate` — do not edit -->',
    '',
    '# Troubleshooting: every reason',
    '',
    "Each condition's reason, as `kubectl get`, `imanage-operator status`, Argo CD and Flux show it: what it",
    'means, what to check and what fixes it. The message beside the reason names the field and the',
    'Secret concerned. How health is read is in [Operations](operations.md).',
    '',
    '## IManageConnection',
    '',
    ...sections(CONNECTION_REASONS),
    '## WorkspaceRepository',
    '',
    'A repository whose connection is not Ready carries the connection\'s reason with the prefix',
    '`Connection` (`ConnectionNotLinked`, `ConnectionDnsFailed`, …), read as the connection\'s is:',
    'fix the connection as its own reason says above.',
    '',
    ...sections(REPOSITORY_REASONS),
    '## imanage-operator link',
    '',
    'When a link fails, `imanage-operator link` names the connection\'s TokensReady reason (above), or one',
    'of these: the sign-in page\'s, or its own.',
    '',
    ...Object.entries(LINK_REASONS).map(([reason, e]) => linkSection(reason, e)),
  ]
    .join('\n')
    .replace(/\n+$/, '\n');
}
