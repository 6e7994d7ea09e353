// Deleting folders and documents (assumption: delete-objects), the extra search-result fields
// (assumption: search-result-fields), and stop() after a reset fault.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../server.ts';
import { jsonBody, send, type Received, type Target } from '../testing/client.ts';
import { passwordToken, scenario, target, VANITY } from '../testing/fixture.ts';

type Json = Record<string, any>;
const LIB = '/work/api/v2/customers/100/libraries/ACTIVE_US';

let sim: RunningSimulator;
let token: string;
let vanity: Target;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  token = await passwordToken(sim);
  vanity = target(sim, VANITY);
});
afterAll(() => sim.stop());

function call(method: string, path: string, value?: unknown): Promise<Received> {
  const body = value === undefined ? {} : jsonBody(value);
  return send(vanity, {
    method,
    path,
    ...body,
    headers: { ...body.headers, 'x-auth-token': token },
  });
}

describe('deletion', () => {
  it('deletes an empty folder, refuses a folder that is not empty, and never cascades', async () => {
    const outer = (
      await call('POST', `${LIB}/workspaces/ACTIVE_US!102/folders`, {
        name: 'Outer',
      })
    ).json<Json>().data;
    const inner = (
      await call('POST', `${LIB}/folders/${outer.id}/subfolders`, {
        name: 'Inner',
      })
    ).json<Json>().data;
    const refused = await call('DELETE', `${LIB}/folders/${outer.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json<Json>().error.code).toBe('FOLDER_NOT_EMPTY');
    expect((await call('GET', `${LIB}/folders/${inner.id}`)).status).toBe(200);
    expect((await call('DELETE', `${LIB}/folders/${inner.id}`)).status).toBe(204);
    expect((await call('DELETE', `${LIB}/folders/${outer.id}`)).status).toBe(204);
    expect((await call('GET', `${LIB}/folders/${outer.id}`)).status).toBe(404);
    const children = (await call('GET', `${LIB}/workspaces/ACTIVE_US!102/children`)).json<Json>().data as Json[];
    expect(children.map((c) => c['id'])).not.toContain(outer.id);
  });

  it('deletes a document by its LIB!n.v id and takes it out of its folder', async () => {
    const listed = (await call('GET', `${LIB}/folders/ACTIVE_US!200/children`)).json<Json>().data as Json[];
    const doc = listed.find((c) => c['wstype'] === 'document')!;
    expect((await call('DELETE', `${LIB}/documents/${doc['id']}`)).status).toBe(204);
    const after = (await call('GET', `${LIB}/folders/ACTIVE_US!200/children`)).json<Json>().data as Json[];
    expect(after.map((c) => c['id'])).not.toContain(doc['id']);
    expect((await call('DELETE', `${LIB}/documents/${doc['id']}`)).status).toBe(404);
    expect((await call('DELETE', `${LIB}/documents/ACTIVE_US!100`)).status).toBe(404);
  });
});

describe('search results', () => {
  it.each([`${LIB}/workspaces?name=Brown Estate`, '/work/api/v2/customers/100/workspaces?name=Brown Estate'])(
    '%s carries the fields public clients read',
    async (path) => {
      const [result] = (await call('GET', path.replace(' ', '%20'))).json<Json>().data.results as Json[];
      expect(result).toMatchObject({
        default_security: 'inherit',
        is_external_as_normal: false,
        is_hipaa: false,
        iwl: `iwl:dms=${VANITY}&&lib=ACTIVE_US&&num=102`,
        file_create_date: result?.['create_date'],
        file_edit_date: result?.['edit_date'],
      });
    },
  );
});

describe('stop', () => {
  it('closes after a reset fault left a connection behind', async () => {
    const own = await startSimulator(scenario, {
      httpPort: false,
      adminPort: false,
    });
    own.admin.addFault({ kind: 'reset', host: VANITY });
    await send(target(own, VANITY), { path: '/api' }).catch(() => undefined);
    await expect(own.stop()).resolves.toBeUndefined();
  });
});
