// Profile rules that need a repository and its connection together, so neither the CRD (one
// object at a time) nor the operator's InvalidSpec gate can check them alone. `validate` checks
// them when both objects are in its input; the repository controller can call the same
// function with the connection it reads (see the README, "Product profiles").

import type { WorkspaceRepositorySpec } from '../generated/types.ts';
import { ResolverSyntaxError, parseResolver, type ParsedResolver, type Template } from '../resolver/index.ts';
import { guideSays, type Profile, type SeedRule } from '../schemas/profiles.ts';
import type { Problem } from './problems.ts';

/** What a repository's profile rules need to know of its connection. */
export interface ConnectionFacts {
  readonly profile: Profile;
  readonly library?: string;
}

/** The seven functional areas of seed 000's table. */
export const CLIO_OPERATE_AREAS = [
  'DocumentTemplates',
  'DataUploads',
  'InboundEmail',
  'Instructions',
  'ServiceRequests',
  'Scanning',
  'ClientDocuments',
] as const;

/**
 * Work-item values Actionstep maps to iManage (seed 003, Metadata Mapping): Client ID, Matter ID,
 * Matter Type, Matter Title, File Reference, Assigned To, and the first client's name.
 */
export const ACTIONSTEP_WORK_ITEM_PATHS = [
  'workitem.id',
  'workitem.client.id',
  'workitem.client.name',
  'workitem.matterType',
  'workitem.title',
  'workitem.fileReference',
  'workitem.owner.name',
] as const;

const SEVEN_AREAS: SeedRule = {
  seed: '000',
  says: 'it is possible to configure a single workspace for all of these functional areas, one workspace for each',
};
const MATTERS_ONLY: SeedRule = {
  seed: '003',
  says: 'When you open a new matter in Actionstep, a corresponding iManage workspace is created automatically',
};
const ONE_LIBRARY: SeedRule = {
  seed: '003',
  says: 'Only one iManage library can be connected per Actionstep organization',
};
const MATTER_ID_FIRST: SeedRule = {
  seed: '003',
  says: 'Actionstep first attempts to match using the Actionstep Matter ID field',
};
const FILE_REFERENCE_NEXT: SeedRule = {
  seed: '003',
  says:
    'If no match is found and File Reference (legacy system ID) is mapped …, Actionstep will attempt to match ' +
    'using the File Reference value',
};
const ASK_ON_MANY: SeedRule = {
  seed: '003',
  says: 'If no match is found, or multiple matches are returned, you will be prompted to paste the … workspace URL',
};
const MAPPED_FIELDS: SeedRule = {
  seed: '003',
  says: 'Client ID, Matter ID, and Matter Type … Matter Title, File Reference, Assigned To, Priority, and Status',
};

function problem(profile: Profile, from: SeedRule, path: string, what: string, fix: string): Problem {
  return {
    path,
    message: `profile ${profile} (${guideSays(from)}): ${what}`,
    fix,
    code: 'ProfileRuleBroken',
  };
}

/** Never throws; reads defensively (the schema check reports what is malformed). */
export function repositoryProfileProblems(connection: ConnectionFacts, spec: WorkspaceRepositorySpec): Problem[] {
  switch (connection.profile) {
    case 'ClioOperate':
      return clioOperateProblems(spec);
    case 'Actionstep':
      return actionstepProblems(connection, spec);
    default:
      return [];
  }
}

function clioOperateProblems(spec: WorkspaceRepositorySpec): Problem[] {
  if (typeof spec?.area !== 'string' || (CLIO_OPERATE_AREAS as readonly string[]).includes(spec.area)) return [];
  return [
    problem(
      'ClioOperate',
      SEVEN_AREAS,
      'spec.area',
      `area ${spec.area} is not one of Clio Operate's functional areas`,
      `use one of ${CLIO_OPERATE_AREAS.join(', ')}`,
    ),
  ];
}

function actionstepProblems(connection: ConnectionFacts, spec: WorkspaceRepositorySpec): Problem[] {
  const problems: Problem[] = [];
  if (typeof spec?.area === 'string' && spec.area !== 'Matters') {
    problems.push(
      problem(
        'Actionstep',
        MATTERS_ONLY,
        'spec.area',
        `area ${spec.area}: Actionstep links matters only`,
        'use area Matters',
      ),
    );
  }
  if (typeof spec?.library === 'string' && connection.library !== undefined && spec.library !== connection.library) {
    problems.push(
      problem(
        'Actionstep',
        ONE_LIBRARY,
        'spec.library',
        `library ${spec.library} differs from the connection's library ${connection.library}`,
        "remove library from the repository; it searches the connection's one library",
      ),
    );
  }
  const resolvers = Array.isArray(spec?.resolvers) ? spec.resolvers : [];
  resolvers.forEach((entry, i) => problems.push(...actionstepResolverProblems(entry, `spec.resolvers[${i}]`)));
  return problems;
}

type ResolverEntry = NonNullable<WorkspaceRepositorySpec['resolvers']>[number];

function actionstepResolverProblems(entry: ResolverEntry, at: string): Problem[] {
  const problems: Problem[] = [];
  const main = referencesOf(entry?.resolver);
  if (main && !main.includes('workitem.id')) {
    problems.push(
      problem(
        'Actionstep',
        MATTER_ID_FIRST,
        `${at}.resolver`,
        'the resolver does not search by [workitem.id] (the Matter ID)',
        'search the field the Matter ID is mapped to, for example custom2=[workitem.id]',
      ),
    );
  }
  const fallbacks = Array.isArray(entry?.fallbacks) ? entry.fallbacks : [];
  const first = referencesOf(fallbacks[0]);
  if (first && !first.includes('workitem.fileReference')) {
    problems.push(
      problem(
        'Actionstep',
        FILE_REFERENCE_NEXT,
        `${at}.fallbacks[0]`,
        'the first fallback does not search by [workitem.fileReference] (the File Reference)',
        'make the first fallback search the File Reference, for example custom2=[workitem.fileReference], ' +
          'or remove the fallbacks',
      ),
    );
  }
  if ((entry?.onMultipleMatches ?? 'First') !== 'Fail') {
    problems.push(
      problem(
        'Actionstep',
        ASK_ON_MANY,
        `${at}.onMultipleMatches`,
        'several matches must not be guessed at',
        'set onMultipleMatches: Fail',
      ),
    );
  }
  [entry?.resolver, ...fallbacks].forEach((resolver, j) => {
    const unmapped = (referencesOf(resolver) ?? []).filter(
      (p) => !(ACTIONSTEP_WORK_ITEM_PATHS as readonly string[]).includes(p),
    );
    if (unmapped.length === 0) return;
    problems.push(
      problem(
        'Actionstep',
        MAPPED_FIELDS,
        j === 0 ? `${at}.resolver` : `${at}.fallbacks[${j - 1}]`,
        `[${unmapped.join('], [')}] is not a value Actionstep maps to iManage`,
        `use ${ACTIONSTEP_WORK_ITEM_PATHS.map((p) => `[${p}]`).join(', ')}`,
      ),
    );
  });
  return problems;
}

/** The work-item paths a resolver uses, or undefined when it is not a valid resolver (reported elsewhere). */
function referencesOf(resolver: unknown): string[] | undefined {
  if (typeof resolver !== 'string') return undefined;
  let parsed: ParsedResolver;
  try {
    parsed = parseResolver(resolver);
  } catch (error) {
    if (error instanceof ResolverSyntaxError) return undefined;
    throw error;
  }
  const templates: Template[] = parsed.mode === 'DefaultSearch' ? [parsed.name] : parsed.criteria.map((c) => c.value);
  return templates.flatMap((t) => t.flatMap((part) => (part.kind === 'ref' ? [part.path] : [])));
}
