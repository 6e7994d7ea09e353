// Discovery and the Work API v2 paths (imanage-api.md, "Work API v2").
import type { Route } from '../http/router.ts';
import { withCustomer, withToken } from './auth.ts';
import { libraries, ping, userProfile } from './customer.ts';
import { discovery } from './discovery.ts';
import { deleteDocument, deleteFolder } from './delete.ts';
import { uploadDocument } from './documents.ts';
import { createFolder, createSubfolder, folderChildren, getFolder } from './folders.ts';
import { getWorkspace, searchAcrossLibraries, searchLibrary, workspaceChildren } from './workspaces.ts';

const V2 = '/work/api/v2/customers/:cid';
const LIB = `${V2}/libraries/:lib`;

export function workRoutes(): Route[] {
  return [
    { method: 'GET', pattern: '/api', handler: withToken(discovery) },
    { method: 'GET', pattern: '/work/api', handler: withToken(discovery) },
    { method: 'GET', pattern: `${V2}/libraries`, handler: withCustomer(libraries) },
    { method: 'GET', pattern: `${V2}/ping`, handler: withCustomer(ping) },
    { method: 'GET', pattern: `${V2}/users/:userId`, handler: withCustomer(userProfile) },
    { method: 'GET', pattern: `${V2}/workspaces`, handler: withCustomer(searchAcrossLibraries) },
    { method: 'GET', pattern: `${LIB}/workspaces`, handler: withCustomer(searchLibrary) },
    { method: 'GET', pattern: `${LIB}/workspaces/:id`, handler: withCustomer(getWorkspace) },
    { method: 'GET', pattern: `${LIB}/workspaces/:id/children`, handler: withCustomer(workspaceChildren) },
    { method: 'POST', pattern: `${LIB}/workspaces/:id/folders`, handler: withCustomer(createFolder) },
    { method: 'GET', pattern: `${LIB}/folders/:id`, handler: withCustomer(getFolder) },
    { method: 'GET', pattern: `${LIB}/folders/:id/children`, handler: withCustomer(folderChildren) },
    { method: 'POST', pattern: `${LIB}/folders/:id/subfolders`, handler: withCustomer(createSubfolder) },
    { method: 'POST', pattern: `${LIB}/folders/:id/documents`, handler: withCustomer(uploadDocument) },
    { method: 'DELETE', pattern: `${LIB}/folders/:id`, handler: withCustomer(deleteFolder) },
    { method: 'DELETE', pattern: `${LIB}/documents/:id`, handler: withCustomer(deleteDocument) },
  ];
}
