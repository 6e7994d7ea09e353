// The demo's interactive link, finishable in a desktop browser (issue 23): the callback is served
// over TLS as its https URL says, with a certificate for its host from a CA of the demo's own; the
// demo then prints the `link` command, a Chromium command line whose --host-resolver-rules send
// the simulated iManage hosts and the callback host to their loopback ports, and the simulated
// account to sign in as.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Scenario } from '../../simulator/index.ts';
import { createAuthority, currentValidity, issueServerCertificate } from '../../simulator/tls/certs.ts';
import type { ControlPlane } from '../harness/controlplane.ts';

export interface CallbackTlsFiles {
  readonly caFile: string;
  readonly args: readonly string[];
}

/** A certificate for the callback's host, and the operator flags that serve it. */
export async function callbackTls(workDir: string, callbackUrl: string): Promise<CallbackTlsFiles> {
  const ca = createAuthority('imanage-operator demo callback CA');
  const { certPem, keyPem } = issueServerCertificate(ca, [new URL(callbackUrl).hostname], currentValidity());
  const [caFile, certFile, keyFile] = ['callback-ca.pem', 'callback.crt', 'callback.key'].map((f) => join(workDir, f));
  await Promise.all([writeFile(caFile!, ca.certPem), writeFile(certFile!, certPem), writeFile(keyFile!, keyPem)]);
  return { caFile: caFile!, args: ['--callback-tls-cert-file', certFile!, '--callback-tls-key-file', keyFile!] };
}

/** The callback's loopback port, from the operator's log line `sign-in callback served`. */
export async function callbackPort(logFile: string, timeoutMs = 60_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    const line = text.split('\n').find((l) => l.includes('"sign-in callback served"'));
    const port = line ? /:(\d+)"/.exec(/"address":"[^"]*"/.exec(line)?.[0] ?? '')?.[1] : undefined;
    if (port) return Number(port);
    await sleep(250);
  }
  return undefined;
}

interface Unlinked {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
}

async function unlinkedConnections(cp: Pick<ControlPlane, 'kubectl'>): Promise<Unlinked[]> {
  const result = await cp.kubectl(['get', 'imanageconnections', '-A', '-o', 'json']);
  if (result.code !== 0) return [];
  type Item = {
    metadata: { namespace: string; name: string };
    spec: { url: string };
    status?: { conditions?: { type: string; reason?: string }[] };
  };
  return (JSON.parse(result.stdout) as { items: Item[] }).items
    .filter((o) => o.status?.conditions?.some((c) => c.type === 'TokensReady' && c.reason === 'NotLinked'))
    .map((o) => ({ namespace: o.metadata.namespace, name: o.metadata.name, host: new URL(o.spec.url).hostname }));
}

export interface BrowserSetting {
  readonly cp: Pick<ControlPlane, 'kubectl' | 'kubeconfigPath'>;
  readonly scenario: Scenario;
  readonly hosts: readonly string[];
  readonly simPort: number;
  readonly simCaFile: string;
  readonly callbackUrl: string;
  readonly callbackPort: number;
  readonly callbackCaFile: string;
  readonly root: string;
}

/** What to run to finish each unlinked connection's sign-in in a desktop browser. */
export async function browserInstructions(s: BrowserSetting): Promise<string[]> {
  const callbackHost = new URL(s.callbackUrl).hostname;
  const rules = [
    ...s.hosts.map((h) => `MAP ${h} 127.0.0.1:${s.simPort}`),
    `MAP ${callbackHost} 127.0.0.1:${s.callbackPort}`,
  ];
  const lines: string[] = [];
  for (const c of await unlinkedConnections(s.cp)) {
    const customer = s.scenario.hosts?.find((h) => h.name === c.host)?.customers?.[0];
    const user = s.scenario.customers?.find((x) => x.id === customer)?.users?.[0];
    lines.push(
      `${c.namespace}/${c.name} waits for a sign-in. To finish it in a desktop browser:`,
      `  1. In another terminal (it prints the sign-in URL, then waits):`,
      `     node ${join(s.root, 'operator', 'cli', 'main.ts')} link ${c.name} -n ${c.namespace} --kubeconfig ${s.cp.kubeconfigPath}`,
      `  2. Open that URL in a Chromium (or Chrome) that sends the demo's host names to loopback:`,
      `     chromium --user-data-dir="$(mktemp -d)" --ignore-certificate-errors \\`,
      `       --host-resolver-rules="${rules.join(', ')}" '<the URL>'`,
      `     (the certificates are the demo's own; to trust them instead, import ${s.simCaFile} and ${s.callbackCaFile})`,
      `  3. Sign in as ${user?.username ?? 'the customer user'}, password ${user?.password ?? '(see examples.yaml)'} ` +
        '(a simulated iManage account).',
    );
  }
  return lines;
}
