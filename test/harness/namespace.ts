// Each integration test file works in a namespace of its own on the shared control plane.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import type {} from './context.ts';
import { KubectlError, runKubectl, type KubectlOptions, type KubectlResult } from './exec.ts';

export interface TestNamespace {
  /** Valid once beforeAll has run. */
  readonly name: string;
  /** kubectl as admin, with `-n <name>`; resolves with the exit code, whatever it is. */
  kubectl(args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** `kubectl apply -f -` into the namespace; rejects with a KubectlError if it fails. */
  apply(yaml: string): Promise<KubectlResult>;
}

export class NamespaceNotReadyError extends Error {
  constructor() {
    super('the test namespace exists only from beforeAll on; use it inside hooks and tests');
    this.name = 'NamespaceNotReadyError';
  }
}

/** Registers beforeAll/afterAll hooks in the calling file that create and delete a namespace. */
export function useTestNamespace(prefix = 'test'): TestNamespace {
  let name: string | undefined;
  const cleanPrefix = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'test';

  const kubectl = (args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult> => {
    if (name === undefined) throw new NamespaceNotReadyError();
    return runKubectl(inject('binDir'), inject('kubeconfigPath'), ['-n', name, ...args], opts);
  };

  beforeAll(async () => {
    const candidate = `t-${cleanPrefix}-${randomBytes(4).toString('hex')}`;
    const args = ['create', 'namespace', candidate];
    const created = await runKubectl(inject('binDir'), inject('kubeconfigPath'), args);
    if (created.code !== 0) throw new KubectlError(args, created);
    name = candidate;
  });

  afterAll(async () => {
    if (name === undefined) return;
    const args = ['delete', 'namespace', name, '--wait=false', '--ignore-not-found'];
    const deleted = await runKubectl(inject('binDir'), inject('kubeconfigPath'), args);
    if (deleted.code !== 0) throw new KubectlError(args, deleted);
  });

  return {
    get name() {
      if (name === undefined) throw new NamespaceNotReadyError();
      return name;
    },
    kubectl,
    async apply(yaml) {
      const args = ['apply', '-f', '-'];
      const result = await kubectl(args, { input: yaml });
      if (result.code !== 0) throw new KubectlError(args, result);
      return result;
    },
  };
}
