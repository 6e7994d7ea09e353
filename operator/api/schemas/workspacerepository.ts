// The WorkspaceRepository API: the single source of the CRD, the TypeScript types and the
// validator. Run `npm run generate` after changing it.

import { celRule } from './cel.ts';
import {
  FIX,
  type Schema,
  TS_TYPE,
  bool,
  conditionsSchema,
  localObjectRef,
  obj,
  observedGenerationSchema,
  str,
} from './common.ts';

export const AREAS = [
  'DocumentTemplates',
  'DataUploads',
  'InboundEmail',
  'Instructions',
  'ServiceRequests',
  'Scanning',
  'ClientDocuments',
  'Matters',
] as const;

const WORK_TYPE = '^(\\*|[A-Za-z0-9][A-Za-z0-9 _./-]*)$';

const resolverString = (description: string) =>
  str(description, {
    minLength: 1,
    maxLength: 1024,
    [FIX]:
      "write a title such as 'Clio Operate Document Templates' or '[workitem.title]', or fields such as 'custom1=[workitem.client.reference], custom2=[workitem.reference]'",
  });

const resolver = obj(
  'How to find the workspace, and the folder in it, for one work type.',
  {
    workType: str('The work type this entry applies to; * is the default for every other work type.', {
      minLength: 1,
      maxLength: 128,
      pattern: WORK_TYPE,
      [FIX]: "use * for the default, or the work type's system name such as matter-litigation",
    }),
    resolver: resolverString(
      "The workspace resolver, in the products' own syntax. A title (Default Search): Clio Operate Document Templates, or [workitem.title]. " +
        'Fields (Advanced Search): custom1=[workitem.client.reference], custom2=[workitem.reference]. ' +
        'Fields are name and custom1…custom30; [workitem.…] paths come from the declared work-item model.',
    ),
    fallbacks: {
      type: 'array',
      description:
        'More resolvers, tried in order when the resolver finds nothing (Actionstep: Matter ID, then File Reference).',
      maxItems: 8,
      items: resolverString('A fallback resolver, in the same syntax as resolver.'),
    },
    onMultipleMatches: str(
      "What to do when a search finds more than one workspace: First takes the first (Clio Operate's rule); Fail reports it (Actionstep asks the user).",
      { enum: ['First', 'Fail'], default: 'First' },
    ),
    folder: str('Folder path inside the workspace, for example Document Templates or Documents/Invoices.', {
      minLength: 1,
      maxLength: 1024,
      'x-kubernetes-validations': [
        celRule({
          rule: "!self.startsWith('/') && !self.endsWith('/') && !self.contains('//')",
          message:
            'folder is a path inside the workspace: no leading or trailing /, no empty segment; for example Documents/Invoices',
          twin: (s) => typeof s === 'string' && !s.startsWith('/') && !s.endsWith('/') && !s.includes('//'),
          rejects: [
            {
              title: 'folder with a leading slash',
              kind: 'WorkspaceRepository',
              patch: { spec: { resolvers: [{ workType: '*', resolver: '[workitem.title]', folder: '/Documents' }] } },
            },
          ],
        }),
      ],
    }),
  },
  { required: ['workType', 'resolver'] },
);

const PREVIEW_DESCRIPTION =
  'A sample work item resolved in a dry run through the entry for its work type: what it finds goes to status.previews.';

const previewItem = obj(
  PREVIEW_DESCRIPTION,
  {
    workType: str('Work type of the sample; it picks the resolver entry (or *).', {
      minLength: 1,
      maxLength: 128,
      pattern: WORK_TYPE,
    }),
    workItem: {
      type: 'object',
      description:
        'The sample work item, as the product would pass it: title, reference, client.reference, client.name, matterType, fileReference, id, …',
      'x-kubernetes-preserve-unknown-fields': true,
    },
  },
  { required: ['workType', 'workItem'] },
);

const OUTCOMES = [
  'Resolved',
  'NoMatch',
  'AmbiguousMatch',
  'FolderMissing',
  'Forbidden',
  'LibraryNotFound',
  'NeedsWorkItem',
  'IncompleteWorkItem',
  'NoResolver',
  'InvalidResolver',
  'Unavailable',
] as const;

const workspaceRef = (description: string) =>
  obj(
    description,
    {
      id: str('Workspace id, e.g. ACTIVE_US!123.'),
      name: str('Workspace name.'),
    },
    { required: ['id', 'name'], [TS_TYPE]: 'WorkspaceRef' },
  );

/** The outcome of one resolution, shared by status.resolvers[].resolution and status.previews[]. */
function resolution(description: string): Schema {
  return obj(
    description,
    {
      outcome: str(
        'Resolved; NoMatch (nothing matches: the product has no workspace to file in); AmbiguousMatch (several match and ' +
          'onMultipleMatches is Fail); FolderMissing; Forbidden; LibraryNotFound; NeedsWorkItem (a dynamic resolver: ' +
          'see previews); IncompleteWorkItem (a preview lacks a value every resolver needs); NoResolver (no entry for ' +
          'the work type and no *); InvalidResolver; Unavailable (iManage did not answer; retried).',
        { enum: [...OUTCOMES] },
      ),
      workspace: workspaceRef('The workspace found.'),
      folder: obj(
        'The folder found inside the workspace; absent when the entry names none.',
        {
          id: str('Folder id.'),
          path: str('Folder path from the workspace down, e.g. Documents/Invoices.'),
        },
        { required: ['id', 'path'] },
      ),
      matches: { type: 'integer', description: 'How many workspaces the deciding search matched.' },
      matchedBy: str('Which resolver found the workspace: resolver, or fallbacks[0], fallbacks[1], …'),
      candidates: {
        type: 'array',
        description: 'With AmbiguousMatch: up to five of the workspaces that match.',
        maxItems: 5,
        items: workspaceRef('A candidate.'),
      },
      message: str('Why not resolved, and what to do.'),
    },
    { required: ['outcome'], [TS_TYPE]: 'Resolution' },
  );
}

export const workspaceRepositorySpec: Schema = obj(
  'The desired state of a repository: where, in iManage, the documents of one functional area live.',
  {
    connectionRef: localObjectRef(
      'The IManageConnection, in the same namespace, through which the workspaces are searched.',
    ),
    area: str(
      'The functional area this repository serves: DocumentTemplates, DataUploads, InboundEmail, Instructions, ServiceRequests, Scanning, ClientDocuments or Matters.',
      { enum: [...AREAS] },
    ),
    library: str("Library to search, overriding the connection's preferred library.", {
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]+$',
      [FIX]: 'use the library id as iManage shows it, for example ACTIVE_US',
    }),
    resolvers: {
      type: 'array',
      description: 'One entry per work type, keyed by workType; * is the default.',
      minItems: 1,
      maxItems: 64,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['workType'],
      items: resolver,
    },
    preview: {
      type: 'array',
      description:
        'Sample work items resolved in a dry run, so that a resolver can be checked before users depend on it.',
      maxItems: 16,
      items: previewItem,
    },
    ensureFolders: bool(
      'Create the folders of a static resolver that are missing in its workspace, idempotently. The operator never ' +
        'deletes a folder it did not create, and never a document.',
      false,
    ),
    accessCheck: bool(
      'Clio Operate\'s "Test the integration": at each new generation, browse each resolved folder, create a probe ' +
        'folder, upload a small probe document, then remove exactly those two. Condition AccessVerified.',
      false,
    ),
    suspend: bool('Leave the repository alone: no resolution and no status changes beyond Suspended.', false),
  },
  { required: ['connectionRef', 'area', 'resolvers'] },
);

export const workspaceRepositoryStatus: Schema = obj('The observed state of the repository, written by the operator.', {
  observedGeneration: observedGenerationSchema(),
  conditions: conditionsSchema(),
  resolvers: {
    type: 'array',
    description: 'The resolvers as the operator parsed them: the search mode and the canonical query.',
    maxItems: 64,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['workType'],
    items: obj(
      'One parsed resolver.',
      {
        workType: str('Work type.'),
        mode: str('DefaultSearch searches workspace names; AdvancedSearch searches fields.', {
          enum: ['DefaultSearch', 'AdvancedSearch'],
        }),
        query: str('Canonical form of the resolver.'),
        fallbacks: {
          type: 'array',
          description: 'Canonical form of each fallback, in order.',
          items: str('A fallback.'),
        },
        folder: str('Folder inside the workspace.'),
        resolution: resolution(
          'What the operator found for this entry (static resolvers; a dynamic one resolves per work item).',
        ),
      },
      { required: ['workType', 'mode', 'query'] },
    ),
  },
  previews: {
    type: 'array',
    description: 'The outcome of each spec.preview sample, in the same order.',
    maxItems: 16,
    items: obj(
      'One preview.',
      {
        workType: str("The sample's work type."),
        entry: str("The resolvers entry used: the sample's work type, or * for the default."),
        resolution: resolution('What the sample resolved to.'),
      },
      { required: ['workType', 'resolution'] },
    ),
  },
});

export const workspaceRepository = {
  kind: 'WorkspaceRepository',
  plural: 'workspacerepositories',
  singular: 'workspacerepository',
  shortNames: ['wsr'],
  description:
    'Where the documents of one functional area (Document Templates, Matters, …) live in iManage: per work type, a resolver that finds the workspace and a folder inside it.',
  spec: workspaceRepositorySpec,
  status: workspaceRepositoryStatus,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'Area', type: 'string', jsonPath: '.spec.area' },
    { name: 'Connection', type: 'string', jsonPath: '.spec.connectionRef.name', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
} as const;
