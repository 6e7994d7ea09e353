// The examples' deliberate failures, defined once: the demo prints why each one is not Ready, its
// test checks them, and the image test expects every other example object Ready. Each one teaches
// something an administrator meets for real:
// - clio-operate-hosted: its `uat` redirect URI is deliberately not registered in
//   simulator/scenarios/examples.yaml and was requested long ago, so it is Overdue; its
//   repository follows the connection (ConnectionRegistrationOverdue).
// - legatics-onprem: linked interactively (no refresh token in a Secret), so it waits NotLinked
//   until someone signs in; a repository of it would wait with ConnectionNotLinked.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

export interface ExampleObject {
  /** The example's folder (the demo's namespace). */
  readonly example: string;
  readonly kind: string;
  readonly name: string;
  /** A repository's spec.connectionRef.name. */
  readonly connection?: string;
}

interface DeliberateFailure {
  readonly example: string;
  readonly connection: string;
  /** Ready's reason on the connection, and on each of its repositories. */
  readonly connectionReason: string;
  readonly repositoryReason: string;
  readonly why: string;
}

export const DELIBERATE_FAILURES: readonly DeliberateFailure[] = [
  {
    example: 'clio-operate-hosted',
    connection: 'clio-operate-hosted',
    connectionReason: 'RegistrationOverdue',
    repositoryReason: 'ConnectionRegistrationOverdue',
    why: "its uat environment's redirect URI was never registered with iManage (examples.yaml leaves it out)",
  },
  {
    example: 'legatics',
    connection: 'legatics-onprem',
    connectionReason: 'NotLinked',
    repositoryReason: 'ConnectionNotLinked',
    why: 'it is linked interactively, and nobody has signed in yet',
  },
];

/** The Ready reason an example object is meant to fail with, or undefined when it must be Ready. */
export function deliberateReason(object: ExampleObject): string | undefined {
  const connection = object.kind === 'IManageConnection' ? object.name : object.connection;
  const failure = DELIBERATE_FAILURES.find((f) => f.example === object.example && f.connection === connection);
  if (!failure) return undefined;
  return object.kind === 'IManageConnection' ? failure.connectionReason : failure.repositoryReason;
}

/** One line per deliberate failure, for the demo's output. */
export function deliberateLines(): string[] {
  return DELIBERATE_FAILURES.map((f) => `${f.example}/${f.connection} is not Ready on purpose: ${f.why}`);
}

type RepositoryDoc = { metadata?: { name?: string }; spec?: { connectionRef?: { name?: string } } } | undefined;

/** Each example repository's connection (spec.connectionRef.name), by `example/name`, read from examples/. */
export async function exampleRepositoryConnections(examplesDir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const example of await readdir(examplesDir)) {
    const text = await readFile(join(examplesDir, example, 'repositories.yaml'), 'utf8').catch(() => '');
    for (const doc of loadAll(text) as RepositoryDoc[]) {
      const connection = doc?.spec?.connectionRef?.name;
      if (doc?.metadata?.name && connection) found.set(`${example}/${doc.metadata.name}`, connection);
    }
  }
  return found;
}
