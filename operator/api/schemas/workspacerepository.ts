// The WorkspaceRepository API: the single source of the CRD, the TypeScript types and the
// validator. Run `npm run generate` after changing it.

import { celRule } from './cel.ts';
import {
  FIX, type Schema, bool, conditionsSchema, localObjectRef, obj, observedGenerationSchema, str,
} from './common.ts';

export const AREAS = [
  'DocumentTemplates', 'DataUploads', 'InboundEmail', 'Instructions',
  'ServiceRequests', 'Scanning', 'ClientDocuments', 'Matters',
] as const;

const WORK_TYPE = '^(\\*|[A-Za-z0-9][A-Za-z0-9 _./-]*)$';

const resolverString = (description: string) =>
  str(description, {
    minLength: 1,
    maxLength: 1024,
    [FIX]: "write a title such as 'Clio Operate Document Templates' or '[workitem.title]', or fields such as 'custom1=[workitem.client.reference], custom2=[workitem.reference]'",
  });

const resolver = obj('How to find the workspace, and the folder in it, for one work type.', {
  workType: str('The work type this entry applies to; * is the default for every other work type.', {
    minLength: 1,
    maxLength: 128,
    pattern: WORK_TYPE,
    [FIX]: 'use * for the default, or the work type\'s system name such as matter-litigation',
  }),
  resolver: resolverString(
    'The workspace resolver, in the products\' own syntax. A title (Default Search): Clio Operate Document Templates, or [workitem.title]. ' +
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
    'What to do when a search finds more than one workspace: First takes the first (Clio Operate\'s rule); Fail reports it (Actionstep asks the user).',
    { enum: ['First', 'Fail'], default: 'First' },
  ),
  folder: str('Folder path inside the workspace, for example Document Templates or Documents/Invoices.', {
    minLength: 1,
    maxLength: 1024,
    'x-kubernetes-validations': [
      celRule({
        rule: "!self.startsWith('/') && !self.endsWith('/') && !self.contains('//')",
        message: 'folder is a path inside the workspace: no leading or trailing /, no empty segment; for example Documents/Invoices',
        twin: (s) => typeof s === 'string' && !s.startsWith('/') && !s.endsWith('/') && !s.includes('//'),
        rejects: [{
          title: 'folder with a leading slash',
          kind: 'WorkspaceRepository',
          patch: { spec: { resolvers: [{ workType: '*', resolver: '[workitem.title]', folder: '/Documents' }] } },
        }],
      }),
    ],
  }),
}, { required: ['workType', 'resolver'] });

const previewItem = obj('A sample work item to resolve in a dry run. Today its work type is checked against the resolvers; the resolved result is not yet shown in status.', {
  workType: str('Work type of the sample; it picks the resolver entry (or *).', { minLength: 1, maxLength: 128, pattern: WORK_TYPE }),
  workItem: {
    type: 'object',
    description: 'The sample work item, as the product would pass it: title, reference, client.reference, client.name, matterType, fileReference, id, …',
    'x-kubernetes-preserve-unknown-fields': true,
  },
}, { required: ['workType', 'workItem'] });

export const workspaceRepositorySpec: Schema = obj(
  'The desired state of a repository: where, in iManage, the documents of one functional area live.',
  {
    connectionRef: localObjectRef('The IManageConnection, in the same namespace, through which the workspaces are searched.'),
    area: str(
      'The functional area this repository serves: DocumentTemplates, DataUploads, InboundEmail, Instructions, ServiceRequests, Scanning, ClientDocuments or Matters.',
      { enum: [...AREAS] },
    ),
    library: str('Library to search, overriding the connection\'s preferred library.', {
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
      description: 'Sample work items resolved in a dry run, so that a resolver can be checked before users depend on it.',
      maxItems: 16,
      items: previewItem,
    },
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
    items: obj('One parsed resolver.', {
      workType: str('Work type.'),
      mode: str('DefaultSearch searches workspace names; AdvancedSearch searches fields.', { enum: ['DefaultSearch', 'AdvancedSearch'] }),
      query: str('Canonical form of the resolver.'),
      fallbacks: { type: 'array', description: 'Canonical form of each fallback, in order.', items: str('A fallback.') },
      folder: str('Folder inside the workspace.'),
    }, { required: ['workType', 'mode', 'query'] }),
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
