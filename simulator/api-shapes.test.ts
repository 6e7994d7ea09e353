// Real HTTPS requests (the test CA, SNI and Host of a virtual host, like `curl --resolve`) against
// every Work API endpoint, asserting the shapes in shared/imanage-api.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './server.ts';
import { jsonBody, send, type Received, type Target } from './testing/client.ts';
import { ONPREM, passwordToken, scenario, SECRETS, target, VANITY } from './testing/fixture.ts';

type Json = Record<string, any>;

const V2 = '/work/api/v2/customers/100';
const LIB = `${V2}/libraries/ACTIVE_US`;

let sim: RunningSimulator;
let token: string;
let vanity: Target;

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  token = await passwordToken(sim);
  vanity = target(sim, VANITY);
});
afterAll(() => sim.stop());

function get(path: string, t: Target = vanity, authToken = token): Promise<Received> {
  return send(t, { path, headers: { 'x-auth-token': authToken } });
}

function postJson(path: string, value: unknown): Promise<Received> {
  const { headers, body } = jsonBody(value);
  return send(vanity, { method: 'POST', path, headers: { ...headers, 'x-auth-token': token }, body });
}

function ids(res: Received): string[] {
  return (res.json<Json>().data.results as Json[]).map((w) => w['id'] as string);
}

function expectErrorBody(res: Received, status: number, code: string): Json {
  expect(res.status).toBe(status);
  const body = res.json<Json>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({ code, code_message: expect.any(String), messages: expect.any(Array) });
  return body.error;
}

describe('discovery', () => {
  it.each(['/api', '/work/api'])('%s returns the signed-in user and libraries', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      data: {
        user: {
          customer_id: '100',
          id: 'JSMITH',
          name: 'Jane Smith',
          email: 'jsmith@acme.example',
          full_name: 'Jane Smith',
          preferred_library: 'ACTIVE_US',
        },
        work: {
          preferred_library: 'ACTIVE_US',
          libraries: [
            { alias: 'ACTIVE_US', type: 'worksite', is_hidden: false },
            { alias: 'ARCHIVE', type: 'worksite', is_hidden: true },
          ],
        },
      },
    });
  });

  it('reports versions only where the host configures them', async () => {
    const onprem = target(sim, ONPREM);
    const onpremToken = await passwordToken(sim, ONPREM, { username: 'admin', password: SECRETS.onprem });
    const res = await get('/api', onprem, onpremToken);
    expect(res.json<Json>().data.versions).toEqual({ work: '10.4.1' });
    expect((await get('/api')).json<Json>().data).not.toHaveProperty('versions');
  });
});

describe('customer endpoints', () => {
  it('lists libraries as a plain data array of {id, type, is_hidden}', async () => {
    const res = await get(`${V2}/libraries`);
    expect(res.json()).toEqual({
      data: [
        { id: 'ACTIVE_US', type: 'worksite', is_hidden: false },
        { id: 'ARCHIVE', type: 'worksite', is_hidden: true },
      ],
    });
  });

  it('answers ping with 2xx', async () => {
    const res = await get(`${V2}/ping`);
    expect(res.status).toBe(200);
  });

  it('returns a user profile with libraries on request', async () => {
    const res = await get(`${V2}/users/JSMITH?include_libraries=true`);
    expect(res.json<Json>().data).toEqual({
      id: 'JSMITH',
      email: 'jsmith@acme.example',
      full_name: 'Jane Smith',
      preferred_library: 'ACTIVE_US',
      libraries: [
        { id: 'ACTIVE_US', library_id: 'ACTIVE_US', preferred: true },
        { id: 'ARCHIVE', library_id: 'ARCHIVE', preferred: false },
      ],
    });
  });
});

describe('workspace search in one library', () => {
  it('answers the {data:{results}} envelope with iManage workspace fields', async () => {
    const res = await get(`${LIB}/workspaces?name=Smith%20v%20Jones`);
    expect(res.status).toBe(200);
    const body = res.json<Json>();
    expect(Object.keys(body)).toEqual(['data']);
    expect(body.data.results).toEqual([
      expect.objectContaining({
        id: 'ACTIVE_US!100',
        name: 'Smith v Jones',
        database: 'ACTIVE_US',
        wstype: 'workspace',
        owner: 'JSMITH',
        description: 'Contract litigation for Smith',
        default_security: 'inherit',
        has_subfolders: true,
        custom1: '12345',
        custom1_description: 'Smith Holdings',
        custom2: '00001',
        custom17: 42,
        custom21: '2024-03-01T00:00:00.000Z',
        custom25: true,
        create_date: expect.any(String),
        edit_date: expect.any(String),
      }),
    ]);
  });

  it.each(['Smith v Jones', 'SMITH V JONES', 'smith v jones'])(
    'matches name %j whole and case-insensitively',
    async (name) => {
      expect(ids(await get(`${LIB}/workspaces?name=${encodeURIComponent(name)}`))).toEqual(['ACTIVE_US!100']);
    },
  );

  it.each(['Smith', 'Smith v', 'Smith*', '*Jones', 'Smith v Jones '])(
    'does not match name %j partially',
    async (name) => {
      expect(ids(await get(`${LIB}/workspaces?name=${encodeURIComponent(name)}`))).toEqual([]);
    },
  );

  it.each([
    ['custom1=12345&custom2=00001', ['ACTIVE_US!100']],
    ['custom1=12345', ['ACTIVE_US!100', 'ACTIVE_US!101']],
    ['custom1=abc-1', ['ACTIVE_US!102']],
    ['custom1=ABC-1', ['ACTIVE_US!102']],
    ['custom1=1234', []],
    ['custom1=12345&custom2=00003', []],
  ])('matches custom aliases whole and case-insensitively: %s', async (query, expected) => {
    expect(ids(await get(`${LIB}/workspaces?${query}`))).toEqual(expected);
  });

  it('refuses a parameter in the wrong case instead of ignoring it', async () => {
    const error = expectErrorBody(await get(`${LIB}/workspaces?Custom1=12345`), 400, 'INVALID_PARAMETER');
    expect(error.messages).toEqual([expect.objectContaining({ field: 'Custom1' })]);
  });
});

describe('paging', () => {
  const bulk = `${LIB}/workspaces?custom3=BULK`;

  it('pages with limit and zero-based offset', async () => {
    const first = (await get(`${bulk}&limit=2`)).json<Json>();
    const second = (await get(`${bulk}&limit=2&offset=2`)).json<Json>();
    const names = (b: Json): string[] => b.data.results.map((w: Json) => w['name']);
    expect(names(first)).toEqual(['Bulk Matter 1', 'Bulk Matter 2']);
    expect(names(second)).toEqual(['Bulk Matter 3', 'Bulk Matter 4']);
  });

  it('answers an offset past the end with an empty list, not an error', async () => {
    const res = await get(`${bulk}&offset=50`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ data: { results: [] } });
  });

  it('adds top-level total_count for total=true', async () => {
    const body = (await get(`${bulk}&limit=2&total=true`)).json<Json>();
    expect(body.total_count).toBe(5);
    expect(body.data.results).toHaveLength(2);
  });

  it('walks every result with paging_mode=standard_cursor, without total_count', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const query = `${bulk}&limit=2&total=true&paging_mode=standard_cursor${cursor ? `&cursor=${cursor}` : ''}`;
      const body = (await get(query)).json<Json>();
      expect(body).not.toHaveProperty('total_count');
      seen.push(...body.data.results.map((w: Json) => w['name']));
      cursor = body.cursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(['Bulk Matter 1', 'Bulk Matter 2', 'Bulk Matter 3', 'Bulk Matter 4', 'Bulk Matter 5']);
  });

  it('refuses a cursor sent with different filters', async () => {
    const { cursor } = (await get(`${bulk}&limit=2&paging_mode=standard_cursor`)).json<Json>();
    const res = await get(`${LIB}/workspaces?custom1=12345&paging_mode=standard_cursor&cursor=${cursor}`);
    expectErrorBody(res, 400, 'INVALID_PARAMETER');
  });
});

describe('search across libraries', () => {
  it('answers {data:{results}, total_count} from every library', async () => {
    const body = (await get(`${V2}/workspaces?name=Smith%20v%20Jones`)).json<Json>();
    expect(Object.keys(body).sort()).toEqual(['data', 'total_count']);
    expect(body.total_count).toBe(2);
    expect(body.data.results.map((w: Json) => [w['database'], w['id']])).toEqual([
      ['ACTIVE_US', 'ACTIVE_US!100'],
      ['ARCHIVE', 'ARCHIVE!1'],
    ]);
  });

  it('searches only the libraries named in libraries=', async () => {
    const body = (await get(`${V2}/workspaces?libraries=ARCHIVE&custom1=12345`)).json<Json>();
    expect(body.data.results.map((w: Json) => w['id'])).toEqual(['ARCHIVE!1']);
    expect(body.total_count).toBe(1);
  });

  it('refuses an unknown library', async () => {
    expectErrorBody(await get(`${V2}/workspaces?libraries=NOPE`), 400, 'INVALID_PARAMETER');
  });
});

describe('workspaces and folders', () => {
  it('returns one workspace as data:{…}', async () => {
    const body = (await get(`${LIB}/workspaces/ACTIVE_US!100`)).json<Json>();
    expect(body.data).toMatchObject({ id: 'ACTIVE_US!100', wstype: 'workspace', database: 'ACTIVE_US' });
  });

  it('lists workspace children as plain data:[…], total_count for total=true', async () => {
    const withTotal = (
      await get(`${LIB}/workspaces/ACTIVE_US!100/children?exclude_docs=true&total=true&limit=50`)
    ).json<Json>();
    expect(withTotal.total_count).toBe(2);
    expect(withTotal.data.map((f: Json) => [f['id'], f['name'], f['wstype']])).toEqual([
      ['ACTIVE_US!200', 'Correspondence', 'folder'],
      ['ACTIVE_US!201', 'Pleadings', 'folder'],
    ]);
    const plain = (await get(`${LIB}/workspaces/ACTIVE_US!100/children`)).json<Json>();
    expect(Object.keys(plain)).toEqual(['data']);
  });

  it('returns a folder profile with its place in the workspace', async () => {
    const body = (await get(`${LIB}/folders/ACTIVE_US!201`)).json<Json>();
    expect(body.data).toEqual({
      id: 'ACTIVE_US!201',
      name: 'Pleadings',
      description: '',
      wstype: 'folder',
      database: 'ACTIVE_US',
      parent_id: 'ACTIVE_US!100',
      workspace_id: 'ACTIVE_US!100',
      workspace_name: 'Smith v Jones',
      folder_type: 'regular',
      has_subfolders: true,
      has_documents: false,
      owner: 'JSMITH',
      default_security: 'inherit',
      create_date: expect.any(String),
      edit_date: expect.any(String),
    });
  });

  it('lists folder children: subfolders and documents, documents left out on request', async () => {
    const all = (await get(`${LIB}/folders/ACTIVE_US!200/children?total=true`)).json<Json>();
    expect(all.data).toEqual([
      expect.objectContaining({
        id: 'ACTIVE_US!1.1',
        document_number: 1,
        version: 1,
        name: 'Engagement letter',
        extension: 'docx',
        type: 'WORD',
        size: 5,
        database: 'ACTIVE_US',
      }),
    ]);
    const foldersOnly = (await get(`${LIB}/folders/ACTIVE_US!200/children?exclude_docs=true`)).json<Json>();
    expect(foldersOnly.data).toEqual([]);
  });

  it('creates a folder and a subfolder, answering data.id', async () => {
    const created = await postJson(`${LIB}/workspaces/ACTIVE_US!100/folders`, {
      name: 'Disclosure',
      description: 'From the other side',
    });
    expect(created.status).toBe(201);
    const folderId = created.json<Json>().data.id as string;
    expect(folderId).toMatch(/^ACTIVE_US![0-9]+$/);
    const sub = await postJson(`${LIB}/folders/${folderId}/subfolders`, {
      name: 'Batch 1',
      description: '',
      profile: {},
    });
    expect(sub.status).toBe(201);
    expect(sub.json<Json>().data).toMatchObject({
      parent_id: folderId,
      workspace_id: 'ACTIVE_US!100',
      owner: 'JSMITH',
    });
    const children = (await get(`${LIB}/workspaces/ACTIVE_US!100/children`)).json<Json>();
    expect(children.data.map((f: Json) => f['id'])).toContain(folderId);
  });

  it('refuses a folder without a name, naming the field', async () => {
    const res = await postJson(`${LIB}/workspaces/ACTIVE_US!100/folders`, { description: 'no name' });
    const error = expectErrorBody(res, 400, 'INVALID_PARAMETER');
    expect(error.messages).toEqual([{ field: 'name', code: 'required', code_message: expect.any(String) }]);
  });

  it('uploads a document as multipart profile + file', async () => {
    const upload = new FormData();
    upload.set('profile', JSON.stringify({ name: 'Witness statement', author: 'JSMITH' }));
    upload.set('file', new Blob(['statement text']), 'statement.pdf');
    const request = new Request('http://multipart.invalid', { method: 'POST', body: upload });
    const res = await send(vanity, {
      method: 'POST',
      path: `${LIB}/folders/ACTIVE_US!202/documents`,
      headers: { 'x-auth-token': token, 'content-type': request.headers.get('content-type') ?? '' },
      body: Buffer.from(await request.arrayBuffer()),
    });
    expect(res.status).toBe(201);
    const doc = res.json<Json>().data;
    expect(doc).toMatchObject({ name: 'Witness statement', extension: 'pdf', type: 'ACROBAT', version: 1, size: 14 });
    expect(doc.id).toMatch(/^ACTIVE_US![0-9]+\.1$/);
    const children = (await get(`${LIB}/folders/ACTIVE_US!202/children`)).json<Json>();
    expect(children.data.map((d: Json) => d['id'])).toEqual([doc.id]);
  });

  it('refuses an upload without a file with NRC_INVALID_PROFILE', async () => {
    const upload = new FormData();
    upload.set('profile', JSON.stringify({ name: 'nothing attached' }));
    const request = new Request('http://multipart.invalid', { method: 'POST', body: upload });
    const res = await send(vanity, {
      method: 'POST',
      path: `${LIB}/folders/ACTIVE_US!202/documents`,
      headers: { 'x-auth-token': token, 'content-type': request.headers.get('content-type') ?? '' },
      body: Buffer.from(await request.arrayBuffer()),
    });
    expectErrorBody(res, 400, 'NRC_INVALID_PROFILE');
  });
});

describe('errors', () => {
  it('answers 401 with the error body when the token is missing', async () => {
    expectErrorBody(await send(vanity, { path: `${V2}/libraries` }), 401, 'UNAUTHORIZED');
  });

  it('answers 401 for a token sent as Authorization: Bearer instead of X-Auth-Token', async () => {
    const res = await send(vanity, { path: `${V2}/libraries`, headers: { authorization: `Bearer ${token}` } });
    expectErrorBody(res, 401, 'UNAUTHORIZED');
  });

  it('answers 401 for an unknown token', async () => {
    expectErrorBody(await get(`${V2}/libraries`, vanity, 'not-a-token'), 401, 'UNAUTHORIZED');
  });

  it('answers 403 for another customer in the path', async () => {
    expectErrorBody(await get('/work/api/v2/customers/200/libraries'), 403, 'FORBIDDEN');
  });

  it('answers 404 for a workspace that does not exist, or lives in another library', async () => {
    expectErrorBody(await get(`${LIB}/workspaces/ACTIVE_US!999`), 404, 'NOT_FOUND');
    expectErrorBody(await get(`${LIB}/workspaces/ARCHIVE!1`), 404, 'NOT_FOUND');
  });
});
