// Our two kinds as the runtime addresses them: descriptors built from the schemas' own
// definitions, so the group, version, plural and kind are written once (operator/api/schemas).

import type { IManageConnection, WorkspaceRepository } from './generated/types.ts';
import type { Resource } from './meta.ts';
import { GROUP, VERSION } from './schemas/common.ts';
import { iManageConnection } from './schemas/imanageconnection.ts';
import { workspaceRepository } from './schemas/workspacerepository.ts';

export const imanageConnections: Resource<IManageConnection> = {
  group: GROUP,
  version: VERSION,
  plural: iManageConnection.plural,
  kind: iManageConnection.kind,
  namespaced: true,
};

export const workspaceRepositories: Resource<WorkspaceRepository> = {
  group: GROUP,
  version: VERSION,
  plural: workspaceRepository.plural,
  kind: workspaceRepository.kind,
  namespaced: true,
};

/** Every kind the operator owns: the ones a label selector shards across operator deployments. */
export const OPERATOR_KINDS: readonly Resource[] = [imanageConnections, workspaceRepositories];

/** How the operator names itself in Events (`reportingController`) and field managers. */
export const CONTROLLER_NAME = `${GROUP}/imanage-operator`;
