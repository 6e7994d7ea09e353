// `npm run controlplane`: a control plane to poke at by hand, with the operator's CRDs installed,
// for running the operator from the checkout. `npm run controlplane -- --without-crds` leaves them
// out, as on a new cluster, for trying `helm install` (docs/install.md): the chart installs the
// CRDs itself, and Helm refuses to take over CRDs it did not create ("invalid ownership metadata").
// Runs until Ctrl-C or SIGTERM, then stops both processes and removes its folder.
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startControlPlane } from './controlplane.ts';
import { installCrds } from './crds.ts';

const workDir = fileURLToPath(new URL('../../.cache/controlplane', import.meta.url));
const crdDir = fileURLToPath(new URL('../../crds', import.meta.url));

const started = performance.now();
const controlPlane = await startControlPlane({ workDir });
let stopping = false;
const shutdown = (reason: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping the control plane`);
  controlPlane.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);

try {
  if (process.argv.includes('--without-crds')) {
    console.log('no CRDs installed (--without-crds): `helm install` installs them with the chart');
  } else {
    const crds = await installCrds(controlPlane, crdDir, await readdir(crdDir).catch(() => []));
    console.log(crds > 0 ? `installed ${crds} CRD manifest(s) from crds/` : 'no CRD manifests in crds/ yet');
  }
} catch (error) {
  await controlPlane.stop();
  throw error;
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`control plane ready at ${controlPlane.server} in ${seconds} s (work folder ${controlPlane.workDir})

  export KUBECONFIG=${controlPlane.kubeconfigPath}
  ${controlPlane.binDir}/kubectl get ns

helm is in the same folder. Ctrl-C stops it.`);
// npm does not pass SIGTERM on to the script it runs: when it (or the shell between us) dies, we
// are handed to another parent, and stop rather than linger with the control plane.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown('parent process exited');
}, 1_000);
