// The pages the sign-in callback answers with: what happened, to which connection and account,
// and the next step, in plain words; the protocol's own term in small print for support. Styled
// by one inline style allowed by its hash in the Content-Security-Policy (no 'unsafe-inline', no
// script, nothing loaded from elsewhere), readable on a phone (viewport), and answered with a
// 2xx or 4xx code: an Ingress that replaces upstream 5xx pages would hide what the admin must read.

import { createHash } from 'node:crypto';
import type { CallbackOutcome } from './callback.ts';
import type { ConnectionIdentity } from './ports.ts';
import { signInSecretName } from './sign-in-secret.ts';

export interface Page {
  readonly status: number;
  readonly tone: 'ok' | 'warn' | 'bad';
  readonly title: string;
  readonly lines: readonly string[];
  /** A command to run next, shown whole (it never wraps mid-name). */
  readonly next?: { readonly words: string; readonly command: string };
  /** The protocol term or reason, for support. */
  readonly fine?: string;
}

const STYLE =
  'body{margin:0;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  'main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;' +
  'border-top:.4rem solid #6b7280;box-shadow:0 1px 3px rgba(0,0,0,.12)}' +
  'main.ok{border-top-color:#15803d}main.warn{border-top-color:#b45309}main.bad{border-top-color:#b91c1c}' +
  'h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}' +
  'pre{background:#111827;color:#f9fafb;padding:.6rem .8rem;border-radius:.3rem;overflow-x:auto;white-space:pre;font-size:.85rem}' +
  'small{display:block;margin-top:1.25rem;color:#6b7280;font-size:.8rem;overflow-wrap:anywhere}' +
  '@media (max-width:36rem){main{margin:0;border-radius:0}}';

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; ` +
    "frame-ancestors 'none'",
} as const;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

export function renderPage(page: Page): string {
  const lines = page.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('');
  const next = page.next
    ? `<p>${escapeHtml(page.next.words)}</p><pre><code>${escapeHtml(page.next.command)}</code></pre>`
    : '';
  const fine = page.fine ? `<small>For support: ${escapeHtml(page.fine)}</small>` : '';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(page.title)}</title><style>${STYLE}</style></head>` +
    `<body><main class="${page.tone}"><h1>${escapeHtml(page.title)}</h1>${lines}${next}${fine}</main></body></html>\n`
  );
}

const named = (c: ConnectionIdentity) => `${c.namespace}/${c.name}`;
const linkCommand = (c: ConnectionIdentity, more = '') => `imanage-operator link ${c.name} -n ${c.namespace}${more}`;

/** The page for what the callback did. */
export function outcomePage(outcome: Exclude<CallbackOutcome, { kind: 'Start' }>): Page {
  switch (outcome.kind) {
    case 'Linked':
      return {
        status: 200,
        tone: 'ok',
        title: 'Linked',
        lines: [
          `The connection ${named(outcome.connection)} is now linked to the iManage account ` +
            `${outcome.account ?? '(not named by iManage)'}.`,
          'The operator holds its tokens and renews them. You can close this window.',
        ],
        next: {
          words: 'To check the connection:',
          command: `kubectl get imanageconnection ${outcome.connection.name} -n ${outcome.connection.namespace}`,
        },
      };
    case 'AlreadyLinked': {
      const { link, connection } = outcome;
      const since = link.at ? ` since ${link.at}` : '';
      return {
        status: 200,
        tone: 'ok',
        title: 'Already linked',
        lines: [
          `The connection ${named(connection)} is linked to the iManage account ${link.account ?? '(not named)'}${since}.`,
          'This sign-in link belongs to that link or an earlier one, so it cannot be used again: an old link never ' +
            'replaces the account.',
        ],
        next: { words: 'To link another account instead:', command: linkCommand(connection, ' --relink') },
        fine: 'OAuth state issued before the last link',
      };
    }
    case 'Failed':
      return failedPage(outcome);
  }
}

type Failed = Extract<CallbackOutcome, { kind: 'Failed' }>;

const TITLES: Readonly<Record<Failed['reason'], [number, string]>> = {
  Expired: [400, 'This sign-in link expired'],
  StateMismatch: [400, 'This sign-in link is not valid'],
  Denied: [403, 'Not linked: iManage declined the sign-in'],
  WrongAccount: [403, 'Not linked: another account is expected'],
  AlreadyUsed: [409, 'This sign-in link is already in use'],
  ExchangeFailed: [400, 'Not linked: iManage did not accept the sign-in'],
  StoreFailed: [409, 'Not linked: the tokens could not be stored'],
};

function failedPage(outcome: Failed): Page {
  const [status, title] = TITLES[outcome.reason];
  const c = outcome.connection;
  const lines = [...(c ? [`Connection: ${named(c)}.`] : []), `${capital(outcome.message)}.`];
  const retry = outcome.reason === 'WrongAccount' || outcome.reason === 'ExchangeFailed';
  const next = c
    ? {
        words: retry
          ? 'Or, for a new sign-in link, run:'
          : `The current sign-in link is kept in the Secret ${signInSecretName(c.name)} of namespace ${c.namespace}; ` +
            'this command prints it (and waits for the sign-in):',
        command: linkCommand(c),
      }
    : undefined;
  return {
    status,
    tone: outcome.reason === 'AlreadyUsed' ? 'warn' : 'bad',
    title,
    lines,
    ...(next ? { next } : {}),
    fine: `reason ${outcome.reason}${outcome.term ? `; ${outcome.term}` : ''}`,
  };
}

/** The first letter up, except for names written lower-case (iManage). */
const capital = (text: string) => (text.startsWith('iManage') ? text : text.charAt(0).toUpperCase() + text.slice(1));

/** Pages answered without looking at the sign-in. */
export const PLAIN_PAGES = {
  notFound: { status: 404, tone: 'bad', title: 'Not found', lines: ['Nothing is served here.'] },
  method: { status: 405, tone: 'bad', title: 'Method not allowed', lines: ['The sign-in callback takes GET only.'] },
  body: { status: 413, tone: 'bad', title: 'Unexpected body', lines: ['The sign-in callback takes no request body.'] },
  busy: {
    status: 429,
    tone: 'warn',
    title: 'Too many requests',
    lines: ['The operator is answering many sign-ins at once. Wait a minute, then reload this page.'],
    fine: 'HTTP 429: rate limit of the sign-in callback',
  },
  late: {
    status: 202,
    tone: 'warn',
    title: 'Still working',
    lines: [
      'The sign-in takes longer than expected. Do not sign in again yet: `imanage-operator link` shows ' +
        "the outcome, and so does the connection's TokensReady condition.",
    ],
  },
  broken: {
    status: 500,
    tone: 'bad',
    title: 'Not linked',
    lines: ['The operator could not finish the sign-in (its log says why). Sign in again with the same link.'],
  },
} as const satisfies Record<string, Page>;
