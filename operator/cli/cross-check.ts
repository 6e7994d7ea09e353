// The profile rules that need a repository and its connection together (operator/api/validation/
// profiles.ts), for `validate`: it reads one document at a time, so it keeps only what those
// rules read of each valid object (a few short strings and the line of each field they may
// report), pairs repositories with connections of the same namespace and name at the end, and
// reports nothing for a repository whose connection is not in the input.

import { connectionKey, profileOf } from '../api/connection.ts';
import type { IManageConnection, WorkspaceRepository, WorkspaceRepositorySpec } from '../api/generated/types.ts';
import { type ConnectionFacts, repositoryProfileProblems } from '../api/validation/profiles.ts';
import type { Problem } from '../api/validation/problems.ts';

/** A problem and the line of its field. */
export type Report = (problem: Problem, line: number) => void;

interface PendingRepository {
  readonly connectionKey: string;
  readonly spec: WorkspaceRepositorySpec;
  /** The line of each field a rule may name, found while the document's text is at hand. */
  readonly lines: ReadonlyMap<string, number>;
  readonly report: Report;
}

function reportablePaths(spec: WorkspaceRepositorySpec): string[] {
  return [
    'spec.area',
    'spec.library',
    ...spec.resolvers.flatMap((entry, i) => [
      `spec.resolvers[${i}].resolver`,
      `spec.resolvers[${i}].onMultipleMatches`,
      ...(entry.fallbacks ?? []).map((_f, j) => `spec.resolvers[${i}].fallbacks[${j}]`),
    ]),
  ];
}

export class CrossResourceChecks {
  readonly #connections = new Map<string, ConnectionFacts>();
  readonly #repositories: PendingRepository[] = [];

  /** `value` is the object as validated (with defaults); `lineOf` reads its document's text now, never later. */
  add(value: IManageConnection | WorkspaceRepository, lineOf: (path: string) => number, report: Report): void {
    if (value.kind === 'IManageConnection') {
      const spec = (value as IManageConnection).spec;
      this.#connections.set(connectionKey(value.metadata?.namespace, value.metadata?.name), {
        profile: profileOf(value as IManageConnection),
        ...(spec.library !== undefined ? { library: spec.library } : {}),
      });
      return;
    }
    const spec = (value as WorkspaceRepository).spec;
    const { connectionRef, area, library, resolvers } = spec;
    this.#repositories.push({
      connectionKey: connectionKey(value.metadata?.namespace, connectionRef.name),
      spec: { connectionRef, area, resolvers, ...(library !== undefined ? { library } : {}) },
      lines: new Map(reportablePaths(spec).map((path) => [path, lineOf(path)])),
      report,
    });
  }

  /** Reports every broken rule, through the `report` each repository was added with. */
  finish(): void {
    for (const repository of this.#repositories) {
      const connection = this.#connections.get(repository.connectionKey);
      if (!connection) continue;
      for (const problem of repositoryProfileProblems(connection, repository.spec)) {
        repository.report(problem, repository.lines.get(problem.path) ?? 0);
      }
    }
  }
}
