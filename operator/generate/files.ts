// Every generated file, computed in memory: `main.ts` writes them, and a test fails when the
// files on disk differ (a stale generation).

import { KINDS } from '../api/schemas/index.ts';
import { chartCrdTemplate } from './chart-crds.ts';
import { crdFileName, synthesizeCrd } from './crd.ts';
import { FINALIZER_POLICY_FILE, finalizerPolicyManifest } from './finalizer-policy.ts';
import { rbacManifest } from './rbac.ts';
import { fieldReferencePage } from './reference.ts';
import { troubleshootingPage } from './troubleshooting.ts';
import { generateTypes } from './types.ts';

/** Paths relative to the repository root, mapped to their content. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const k of KINDS) files.set(`crds/${crdFileName(k)}`, synthesizeCrd(k));
  files.set(FINALIZER_POLICY_FILE, finalizerPolicyManifest());
  files.set('operator/api/generated/types.ts', await generateTypes());
  files.set('charts/imanage-operator/templates/crds.yaml', chartCrdTemplate(KINDS));
  files.set('charts/imanage-operator/templates/rbac.yaml', rbacManifest());
  files.set('docs/reference.md', fieldReferencePage());
  files.set('docs/troubleshooting.md', troubleshootingPage());
  return files;
}
