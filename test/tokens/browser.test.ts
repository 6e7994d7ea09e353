// The interactive link in a real browser (issue 23): Debian's Chromium, driven by playwright-core,
// signs in through the simulator's iManage page and lands on the operator's callback, served over
// TLS as its URL says. Each case asserts what the page says and what `imanage-operator link`
// prints and exits with; each page is photographed, into docs/screenshots/ (docs/linking.md shows
// them) when UPDATE_SCREENSHOTS=1, else into the test's own folder, so that a test run leaves the
// tracked files as they were. Chromium reaches only loopback: --host-resolver-rules maps the two host names (and their
// port 443) to the simulator's and the callback's loopback ports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueState } from '../../operator/tokens/link-state.ts';
import type { RunningSimulator, Scenario } from '../../simulator/index.ts';
import { createAuthority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';
import { useTestNamespace } from '../harness/namespace.ts';
import { getObject, type OperatorProcess, startOperator, waitFor } from '../harness/operator.ts';
import { caSecret, connection, list, secret, startFileSimulator } from '../probes/helpers.ts';
import { callbackOperatorArgs, callbackPort, type RunningLink, runLink } from './link-cli.ts';

const root = join(import.meta.dirname, '..', '..');
const UPDATE_SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';
const shotPath = (name: string) => join(UPDATE_SCREENSHOTS ? join(root, 'docs', 'screenshots') : work, `${name}.png`);
const HOST = 'browser-link.example';
const CALLBACK_HOST = 'imanage-operator.browser.test';
const CALLBACK = `https://${CALLBACK_HOST}/oauth/callback`;
const users = [
  { username: 'jsmith', password: 'jsmith-pass' },
  { username: 'svc-link', password: 'svc-link-pass' },
];
const scenario = {
  hosts: [{ name: HOST, customers: ['100'] }],
  customers: [
    {
      id: '100',
      libraries: [{ id: 'ACTIVE_US' }],
      users,
      applications: [
        { clientId: 'web-app', clientSecret: 'web-app-secret', redirectUris: [CALLBACK], allowRefreshToken: true },
      ],
    },
  ],
} as Scenario;
const CASES = ['happy', 'tabs', 'expired', 'tampered', 'declined', 'pinned'] as const;

const ns = useTestNamespace('browser');
let sim: RunningSimulator;
let operator: OperatorProcess;
let browser: BrowserContext;
let work: string;
const consoleErrors: string[] = [];

/**
 * What a browser asked of iManage: its sign-in pages. Not the operator's own traffic, which goes on
 * meanwhile: probes (GET /api, and the authorize request whose state names the probe) and tokens.
 */
function browserRequests(): number {
  return sim
    .requestLog({ host: HOST, path: '/auth/*' })
    .filter((e) => e.path !== '/auth/oauth2/token' && e.query['state'] !== 'imanage-operator-probe').length;
}

function callbackTls(dir: string): string[] {
  const ca = createAuthority('imanage-operator browser test CA');
  const { certPem, keyPem } = issueServerCertificate(ca, [CALLBACK_HOST], currentValidity());
  writeFileSync(join(dir, 'tls.crt'), certPem);
  writeFileSync(join(dir, 'tls.key'), keyPem);
  return [`--callback-tls-cert-file=${join(dir, 'tls.crt')}`, `--callback-tls-key-file=${join(dir, 'tls.key')}`];
}

beforeAll(async () => {
  execFileSync('bash', [join(root, 'tools', 'ensure-chromium.sh')], { stdio: 'inherit' });
  work = mkdtempSync(join(tmpdir(), 'imanage-browser-'));
  sim = await startFileSimulator(scenario);
  const spec = (name: string) =>
    connection(name, `https://${HOST}`, {
      clientSecretRef: 'web-app',
      caSecret: 'imanage-ca',
      extraSpec: {
        library: 'ACTIVE_US',
        auth: { grant: 'AuthorizationCode', ...(name === 'pinned' ? { expectedAccount: 'svc-link' } : {}) },
      },
    });
  await ns.apply(
    list(
      secret('web-app', { clientId: 'web-app', clientSecret: 'web-app-secret' }),
      caSecret('imanage-ca', sim),
      ...CASES.map(spec),
    ),
  );
  operator = await startOperator({
    namespace: ns.name,
    probes: true,
    tokens: true,
    extraArgs: [...callbackOperatorArgs(sim, [HOST], CALLBACK), ...callbackTls(work)],
  });
  const port = await callbackPort(operator);
  browser = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 720, height: 400 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1:${sim.httpsPort}, MAP ${CALLBACK_HOST} 127.0.0.1:${port}`,
      // Test certificates of two throwaway CAs; the demo prints how to trust its CA instead.
      '--ignore-certificate-errors',
    ],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await sim?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** `link NAME`, and the sign-in URL it printed. */
async function startLink(name: string, timeout = '4m'): Promise<{ link: RunningLink; url: string }> {
  const link = runLink([name, '-n', ns.name, '--timeout', timeout]);
  const url = await waitFor(
    () => /^\s+(https:\/\/\S+)$/m.exec(link.out())?.[1],
    120_000,
    200,
    `link ${name} printing the sign-in URL`,
  );
  return { link, url };
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    // A 4xx page is logged as a failed load: that is its status, not an error of the page.
    const status = /^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text());
    if (m.type() === 'error' && !status && new URL(page.url()).hostname === CALLBACK_HOST) consoleErrors.push(m.text());
  });
  return page;
}

/** On iManage's (the simulator's) page: sign in, or decline; resolves on the operator's page. */
async function submit(page: Page, user?: { username: string; password: string }): Promise<void> {
  if (user) {
    await page.fill('input[name=username]', user.username);
    await page.fill('input[name=password]', user.password);
  }
  const button = user ? 'button:not([name=decline])' : 'button[name=decline]';
  await Promise.all([page.waitForURL((u) => u.hostname === CALLBACK_HOST), page.click(button)]);
}

/** What the operator's page says, after checking its style was allowed by the CSP; photographed. */
async function read(page: Page, shot?: string): Promise<{ title: string; text: string }> {
  const styled = await page.evaluate("getComputedStyle(document.querySelector('main')).borderTopWidth");
  expect(styled).not.toBe('0px');
  if (shot) await page.screenshot({ path: shotPath(shot) });
  return { title: (await page.textContent('h1')) ?? '', text: (await page.textContent('main')) ?? '' };
}

const linkKey = async () => {
  const secretObject = await getObject<{ data: { hmacKey: string } }>(ns.name, 'secret', 'imanage-operator-link-key');
  return Buffer.from(secretObject!.data.hmacKey, 'base64');
};

describe('the interactive link in Chromium', () => {
  it('happy path: a wrong password, then the account; the page and `link` name it; a reload says since when', async () => {
    const { link, url } = await startLink('happy');
    const page = await newPage();
    await page.goto(url);
    await page.fill('input[name=username]', 'jsmith');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button:not([name=decline])');
    expect(await page.textContent('[role=alert]')).toContain('incorrect');
    await submit(page, users[0]);
    const linked = await read(page, 'linked');
    expect(linked.title).toBe('Linked');
    expect(linked.text).toContain(`The connection ${ns.name}/happy is now linked to the iManage account JSMITH`);
    expect(linked.text).toContain(`kubectl get imanageconnection happy -n ${ns.name}`);
    expect(await link.exited).toBe(0);
    expect(link.out()).toContain(`Linked ${ns.name}/happy as JSMITH`);

    await page.reload();
    const again = await read(page, 'already-linked');
    expect(again.title).toBe('Already linked');
    expect(again.text).toMatch(/linked to the iManage account JSMITH since \d{4}-\d\d-\d\dT/);
    expect(again.text).toContain(`imanage-operator link happy -n ${ns.name} --relink`);
  });

  it('--relink on the linked connection: a new URL, another account signs in, and replaces the first', async () => {
    const link = runLink(['happy', '-n', ns.name, '--timeout', '4m', '--relink']);
    const url = await waitFor(() => /^\s+(https:\/\/\S+)$/m.exec(link.out())?.[1], 120_000, 200, 'link --relink URL');
    const page = await newPage();
    await page.goto(url);
    await submit(page, users[1]);
    const shown = await read(page);
    expect(shown.text).toContain(`The connection ${ns.name}/happy is now linked to the iManage account SVC-LINK`);
    expect(await link.exited).toBe(0);
    expect(link.out()).toContain(`Linked ${ns.name}/happy as SVC-LINK`);
  });

  it('a second tab with the same URL: the first links, the second says the connection is linked', async () => {
    const { link, url } = await startLink('tabs');
    const [first, second] = [await newPage(), await newPage()];
    await first.goto(url);
    await second.goto(url);
    await submit(first, users[0]);
    expect((await read(first)).title).toBe('Linked');
    await submit(second, users[1]);
    const page = await read(second, 'second-tab');
    expect(page.title).toBe('Already linked');
    expect(page.text).toContain('JSMITH');
    expect(await link.exited).toBe(0);
    expect(link.out()).toContain(`Linked ${ns.name}/tabs as JSMITH`);
  });

  it('an expired URL: the page names the connection and the command for the current URL; `link` exits 1', async () => {
    const { link, url } = await startLink('expired');
    const signIn = new URL(url);
    const payload = JSON.parse(Buffer.from(signIn.searchParams.get('state')!.split('.')[1]!, 'base64url').toString());
    const past = new Date(Date.now() - 11 * 60_000);
    const identity = { namespace: payload.namespace, name: payload.name, uid: payload.uid };
    signIn.searchParams.set('state', issueState(await linkKey(), identity, past, payload.gen, payload.nonce).state);
    const page = await newPage();
    const atIManage = browserRequests();
    await page.goto(signIn.href);
    const shown = await read(page, 'expired');
    expect(browserRequests()).toBe(atIManage); // said before any iManage page or password
    expect(shown.title).toBe('This sign-in link expired');
    expect(shown.text).toContain(`Connection: ${ns.name}/expired.`);
    expect(shown.text).toContain(`imanage-operator link expired -n ${ns.name}`);
    await page.setViewportSize({ width: 390, height: 640 }); // a phone: the viewport meta tag makes it readable
    await page.screenshot({ path: shotPath('expired-phone') });
    expect(await link.exited).toBe(1);
    expect(link.err()).toContain(`Not linked ${ns.name}/expired: Expired`);
  });

  it('a tampered state: the page refuses it; `link` cannot be told whose it was, and gives up at its timeout', async () => {
    const { link, url } = await startLink('tampered', '40s');
    const signIn = new URL(url);
    const state = signIn.searchParams.get('state')!;
    signIn.searchParams.set('state', `${state.slice(0, -4)}${state.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);
    const page = await newPage();
    await page.goto(signIn.href);
    const shown = await read(page, 'tampered');
    expect(shown.title).toBe('This sign-in link is not valid');
    expect(shown.text).toContain('was not started by this operator, or was altered on the way');
    expect(shown.text).toContain('OAuth state tampered');
    expect(await link.exited).toBe(1);
    expect(link.err()).toContain(`Not linked ${ns.name}/tampered: Timeout`);
  });

  it('a decline on iManage: the page says so in plain words; `link` exits 1 naming Denied', async () => {
    const { link, url } = await startLink('declined');
    const page = await newPage();
    await page.goto(url);
    await submit(page);
    const shown = await read(page, 'declined');
    expect(shown.title).toBe('Not linked: iManage declined the sign-in');
    expect(shown.text).toContain('error=access_denied');
    expect(await link.exited).toBe(1);
    expect(link.err()).toContain(`Not linked ${ns.name}/declined: Denied`);
  });

  it('a pinned account: another account is refused with a clear page; `link` exits 1 naming WrongAccount', async () => {
    const { link, url } = await startLink('pinned');
    const page = await newPage();
    await page.goto(url);
    await submit(page, users[0]);
    const shown = await read(page, 'wrong-account');
    expect(shown.title).toBe('Not linked: another account is expected');
    expect(shown.text).toContain('may only be linked by svc-link');
    expect(shown.text).toContain('you signed in as JSMITH');
    expect(await link.exited).toBe(1);
    expect(link.err()).toContain(`Not linked ${ns.name}/pinned: WrongAccount`);
    expect(consoleErrors).toEqual([]); // no CSP violation, no script error on any page of the operator
  });
});
