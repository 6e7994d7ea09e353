// Creating workspaces, folders and documents inside one library, with iManage-style ids
// (`LIB!123` for containers, `LIB!453.1` for documents).
import { ConfigError } from '../errors.ts';
import type { DocumentConfig, FolderConfig, LibraryConfig, WorkspaceConfig } from '../config/types.ts';
import type { Container, Folder, Library, StoredDocument, Workspace } from './model.ts';

const CONTAINER_ID = /^([^!]+)!([0-9]+)$/;

export function newLibrary(config: LibraryConfig): Library {
  return {
    id: config.id,
    type: config.type,
    isHidden: config.isHidden,
    usedContainerNumbers: new Set(),
    nextContainerNumber: 1,
    nextDocumentNumber: 1,
    workspaces: new Map(),
    folders: new Map(),
    documents: new Map(),
  };
}

/** Reserves an explicit id, or hands out the next free number. */
function containerId(library: Library, explicit: string | undefined, path: string): string {
  if (explicit === undefined) {
    while (library.usedContainerNumbers.has(library.nextContainerNumber)) library.nextContainerNumber++;
    library.usedContainerNumbers.add(library.nextContainerNumber);
    return `${library.id}!${library.nextContainerNumber++}`;
  }
  const match = CONTAINER_ID.exec(explicit);
  if (!match || match[1] !== library.id) {
    throw new ConfigError(`${path}.id`, `must look like '${library.id}!123' (got '${explicit}')`);
  }
  const n = Number(match[2]);
  if (library.usedContainerNumbers.has(n)) throw new ConfigError(`${path}.id`, `duplicate id '${explicit}'`);
  library.usedContainerNumbers.add(n);
  return explicit;
}

export function addWorkspace(library: Library, config: WorkspaceConfig, now: Date, path: string): Workspace {
  const workspace: Workspace = {
    kind: 'workspace',
    id: containerId(library, config.id, path),
    library: library.id,
    name: config.name,
    description: config.description,
    owner: config.owner,
    defaultSecurity: config.defaultSecurity,
    custom: { ...config.custom },
    createDate: now,
    editDate: now,
    folderIds: [],
  };
  library.workspaces.set(workspace.id, workspace);
  config.folders.forEach((f, i) => addFolder(library, workspace, f, workspace.owner, now, `${path}.folders[${i}]`));
  return workspace;
}

export function addFolder(
  library: Library,
  parent: Container,
  config: FolderConfig,
  owner: string,
  now: Date,
  path: string,
): Folder {
  const folder: Folder = {
    kind: 'folder',
    id: containerId(library, config.id, path),
    library: library.id,
    name: config.name,
    description: config.description,
    folderType: config.folderType,
    owner,
    defaultSecurity: 'inherit',
    parentId: parent.id,
    workspaceId: parent.kind === 'workspace' ? parent.id : parent.workspaceId,
    createDate: now,
    editDate: now,
    folderIds: [],
    documentIds: [],
  };
  library.folders.set(folder.id, folder);
  parent.folderIds.push(folder.id);
  config.folders.forEach((f, i) => addFolder(library, folder, f, owner, now, `${path}.folders[${i}]`));
  config.documents.forEach((d) => addDocument(library, folder, { ...d, content: Buffer.from(d.content) }, now));
  return folder;
}

export interface NewDocument extends Omit<DocumentConfig, 'content'> {
  readonly content: Buffer;
  readonly type?: string;
}

export function addDocument(library: Library, folder: Folder, doc: NewDocument, now: Date): StoredDocument {
  const number = library.nextDocumentNumber++;
  const stored: StoredDocument = {
    id: `${library.id}!${number}.1`,
    library: library.id,
    number,
    version: 1,
    name: doc.name,
    extension: doc.extension,
    type: doc.type ?? documentType(doc.extension),
    author: doc.author ?? folder.owner,
    content: doc.content,
    folderId: folder.id,
    workspaceId: folder.workspaceId,
    createDate: now,
  };
  library.documents.set(stored.id, stored);
  folder.documentIds.push(stored.id);
  return stored;
}

// assumption: upload-document — iManage reports an application type, not the extension.
const TYPES: Readonly<Record<string, string>> = {
  doc: 'WORD',
  docx: 'WORD',
  xls: 'EXCEL',
  xlsx: 'EXCEL',
  ppt: 'PPT',
  pptx: 'PPT',
  pdf: 'ACROBAT',
  msg: 'MIME',
  eml: 'MIME',
  txt: 'ANSI',
};

export function documentType(extension: string): string {
  return TYPES[extension.toLowerCase()] ?? extension.toUpperCase();
}

export function findContainer(library: Library, id: string): Container | undefined {
  return library.workspaces.get(id) ?? library.folders.get(id);
}
