// The simulator's in-memory world. Mutable on purpose: the admin API and the Work API change it.
import type { ApplicationConfig, CustomValue, UserConfig } from '../config/types.ts';

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly libraries: Map<string, Library>;
  /** Keyed by user name (sign-in), not by user id. */
  readonly users: Map<string, UserConfig>;
  readonly applications: Map<string, Application>;
}

export interface Application {
  config: ApplicationConfig;
  /** Redirect URIs requested but not yet registered (iManage takes 24–48 hours on cloud). */
  pending: PendingRegistration[];
}

export interface PendingRegistration {
  readonly uri: string;
  readonly effectiveAtMs: number;
}

export interface Library {
  readonly id: string;
  readonly type: string;
  readonly isHidden: boolean;
  /** Workspaces and folders share one number sequence (assumption: ids). */
  readonly usedContainerNumbers: Set<number>;
  nextContainerNumber: number;
  nextDocumentNumber: number;
  readonly workspaces: Map<string, Workspace>;
  readonly folders: Map<string, Folder>;
  readonly documents: Map<string, StoredDocument>;
}

export interface Workspace {
  readonly kind: 'workspace';
  readonly id: string;
  readonly library: string;
  name: string;
  description: string;
  owner: string;
  defaultSecurity: string;
  custom: Record<string, CustomValue>;
  readonly createDate: Date;
  editDate: Date;
  /** Ids of the folders directly under the workspace, in creation order. */
  readonly folderIds: string[];
}

export interface Folder {
  readonly kind: 'folder';
  readonly id: string;
  readonly library: string;
  name: string;
  description: string;
  folderType: string;
  owner: string;
  defaultSecurity: string;
  readonly parentId: string;
  readonly workspaceId: string;
  readonly createDate: Date;
  editDate: Date;
  readonly folderIds: string[];
  readonly documentIds: string[];
}

export interface StoredDocument {
  readonly id: string;
  readonly library: string;
  readonly number: number;
  readonly version: number;
  readonly name: string;
  readonly extension: string;
  readonly type: string;
  readonly author: string;
  readonly content: Buffer;
  readonly folderId: string;
  readonly workspaceId: string;
  readonly createDate: Date;
}

export type Container = Workspace | Folder;
