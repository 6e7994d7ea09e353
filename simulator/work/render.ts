// The JSON shapes of workspaces, folders and documents (imanage-api.md, "Object shapes").
import type { CustomValue } from '../config/types.ts';
import type { Folder, Library, StoredDocument, Workspace } from '../state/model.ts';
import { hasDescription } from './custom-fields.ts';

export type Json = Record<string, unknown>;

export function workspaceJson(w: Workspace, library: Library): Json {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    database: w.library,
    wstype: 'workspace',
    workspace_id: w.id,
    owner: w.owner,
    default_security: w.defaultSecurity,
    has_subfolders: w.folderIds.length > 0,
    has_documents: w.folderIds.some((id) => (library.folders.get(id)?.documentIds.length ?? 0) > 0),
    create_date: w.createDate.toISOString(),
    edit_date: w.editDate.toISOString(),
    ...customFieldsJson(w.custom),
  };
}

/**
 * A workspace as a search returns it: the fields a public client reads from a result [C,
 * iManCloudCore getWorkspaceFromLibrary.go] besides the workspace's own (assumption: search-result-fields).
 */
export function workspaceSearchResultJson(w: Workspace, library: Library, hostName: string): Json {
  const number = w.id.slice(w.id.indexOf('!') + 1);
  return {
    ...workspaceJson(w, library),
    file_create_date: w.createDate.toISOString(),
    file_edit_date: w.editDate.toISOString(),
    is_external_as_normal: false,
    is_hipaa: false,
    iwl: `iwl:dms=${hostName}&&lib=${library.id}&&num=${number}`,
  };
}

/** Set fields only (the Go clients read them with omitempty); descriptions where iManage has them. */
export function customFieldsJson(custom: Readonly<Record<string, CustomValue>>): Json {
  const out: Json = {};
  for (const [name, value] of Object.entries(custom)) {
    if (typeof value === 'number' || typeof value === 'boolean') {
      out[name] = value;
    } else if ('date' in value) {
      out[name] = value.date;
    } else {
      out[name] = value.alias;
      if (hasDescription(name) && value.description !== undefined) out[`${name}_description`] = value.description;
    }
  }
  return out;
}

export function folderJson(f: Folder, library: Library): Json {
  return {
    id: f.id,
    name: f.name,
    description: f.description,
    wstype: 'folder',
    database: f.library,
    parent_id: f.parentId,
    workspace_id: f.workspaceId,
    workspace_name: library.workspaces.get(f.workspaceId)?.name ?? '',
    folder_type: f.folderType,
    has_subfolders: f.folderIds.length > 0,
    has_documents: f.documentIds.length > 0,
    owner: f.owner,
    default_security: f.defaultSecurity,
    create_date: f.createDate.toISOString(),
    edit_date: f.editDate.toISOString(),
  };
}

export function documentJson(d: StoredDocument): Json {
  return {
    id: d.id,
    document_number: d.number,
    version: d.version,
    name: d.name,
    extension: d.extension,
    size: d.content.length,
    type: d.type,
    author: d.author,
    database: d.library,
    wstype: 'document',
    workspace_id: d.workspaceId,
    create_date: d.createDate.toISOString(),
    edit_date: d.createDate.toISOString(),
  };
}
