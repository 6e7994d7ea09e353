import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startControlPlane, type ControlPlane } from './harness/controlplane.ts';
import { runKubectl } from './harness/exec.ts';
import { useTestNamespace } from './harness/namespace.ts';

describe('the shared control plane', () => {
  const ns = useTestNamespace('controlplane');

  it('serves Kubernetes v1.37.2', async () => {
    const result = await runKubectl(inject('binDir'), inject('kubeconfigPath'), ['version', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    const version = JSON.parse(result.stdout) as { serverVersion?: { gitVersion?: string } };
    expect(version.serverVersion?.gitVersion).toBe('v1.37.2');
  });

  it('gives each test file a namespace of its own', async () => {
    expect(ns.name).toMatch(/^t-controlplane-[0-9a-f]{8}$/);
    const result = await ns.kubectl(['get', 'namespace', ns.name, '-o', 'jsonpath={.status.phase}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Active');
  });

  it('applies manifests into that namespace', async () => {
    await ns.apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  k: v\n');
    const result = await ns.kubectl(['get', 'configmap', 'probe', '-o', 'jsonpath={.metadata.namespace}/{.data.k}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${ns.name}/v`);
  });
});

describe('a control plane with an extra identity', () => {
  let controlPlane: ControlPlane;

  beforeAll(async () => {
    controlPlane = await startControlPlane({ identities: [{ user: 'nobody', groups: ['testers'] }] });
  });

  afterAll(async () => {
    await controlPlane?.stop();
  });

  it('authenticates the identity by its token', async () => {
    const result = await controlPlane.kubectl(['auth', 'whoami', '-o', 'json'], {
      env: { KUBECONFIG: controlPlane.kubeconfigFor('nobody') },
    });
    expect(result.code, result.stderr).toBe(0);
    const review = JSON.parse(result.stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(review.status.userInfo.username).toBe('nobody');
    expect(review.status.userInfo.groups).toContain('testers');
  });

  it('enforces RBAC: without bindings the identity may not list namespaces', async () => {
    const denied = await controlPlane.kubectl(['get', 'namespaces'], {
      env: { KUBECONFIG: controlPlane.kubeconfigFor('nobody') },
    });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden/i);

    const admin = await controlPlane.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toContain('namespace/default');
  });

  it('stops cleanly: nothing listens on its port any more and the work folder is gone', async () => {
    const workDir = controlPlane.workDir;
    const port = Number(new URL(controlPlane.server).port);
    expect(existsSync(workDir)).toBe(true);
    expect(await connects(port)).toBe(true);
    await controlPlane.stop();
    await controlPlane.stop();
    expect(existsSync(workDir)).toBe(false);
    expect(await connects(port)).toBe(false);
  });
});

function connects(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
