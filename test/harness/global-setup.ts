// vitest globalSetup of the integration project: one control plane for the whole run, with the
// operator's CRDs installed, handed to the test files through provide/inject.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type {} from './context.ts';
import { startControlPlane } from './controlplane.ts';
import { installCrds } from './crds.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const controlPlane = await startControlPlane();
  try {
    const crdDir = join(project.config.root, 'crds');
    await installCrds(controlPlane, crdDir, await readdir(crdDir).catch(() => []));
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  console.log(
    `control plane ready at ${controlPlane.server} in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(KUBECONFIG=${controlPlane.kubeconfigPath})`,
  );
  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  project.provide('server', controlPlane.server);
  project.provide('binDir', controlPlane.binDir);
  return () => controlPlane.stop();
}
