// The Work API client against the simulator over HTTPS on loopback (its own CA, the virtual host
// reached through a host override, as oauth.test.ts does): search semantics and paging, folders,
// upload and deletion, and each failure as its typed error. No request leaves 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/index.ts';
import { passwordToken, scenario, VANITY } from '../../simulator/testing/fixture.ts';
import { MAX_PROBE_DELAY_MS } from './delays.ts';
import { HostOverrides, ProbeGuard } from './network.ts';
import type { OAuthNetwork } from './oauth.ts';
import { WorkClient, type WorkClientOptions, type WorkTarget } from './work.ts';
import {
  Forbidden,
  InvalidRequest,
  LibraryNotFound,
  NotFound,
  RateLimited,
  ServerError,
  TargetForbidden,
  Unauthorized,
  Unreachable,
} from './work-errors.ts';

let sim: RunningSimulator;
let network: OAuthNetwork;
let token: string;
const requests: string[] = [];

beforeAll(async () => {
  sim = await startSimulator(scenario, { httpPort: false, adminPort: false });
  network = {
    overrides: new HostOverrides([`${VANITY}:443:127.0.0.1:${sim.httpsPort}`]),
    guard: new ProbeGuard({ allowLoopback: true, serviceCidrs: [] }),
    timeoutMs: 5_000,
  };
  token = await passwordToken(sim);
});
afterAll(() => sim.stop());
beforeEach(() => {
  sim.admin.clearFaults();
  requests.length = 0;
});

const TARGET: Omit<WorkTarget, 'ca'> = {
  apiBase: new URL(`https://${VANITY}`),
  customerId: '100',
};

function client(options: WorkClientOptions = {}, target: Partial<WorkTarget> = {}, net: Partial<OAuthNetwork> = {}) {
  const onRequest = (method: string, path: string) => requests.push(`${method} ${path}`);
  return new WorkClient({ ...TARGET, ca: sim.caPem, ...target }, { ...network, ...net }, () => token, {
    onRequest,
    ...options,
  });
}

const search = (query: string, options: WorkClientOptions = {}, bound?: number) =>
  client(options).searchWorkspaces('ACTIVE_US', new URLSearchParams(query), bound);

describe('workspace search', () => {
  it.each([
    ['name=smith v jones', ['ACTIVE_US!100']],
    ['name=Smith', []],
    ['custom1=12345&custom2=00001', ['ACTIVE_US!100']],
    ['custom1=12345', ['ACTIVE_US!100', 'ACTIVE_US!101']],
  ])('%s finds %j', async (query, ids) => {
    const found = await search(query);
    expect(found.items.map((w) => w.id)).toEqual(ids);
    expect(found).toMatchObject({ totalCount: ids.length, complete: true });
  });

  it('reads the fields public clients read from a result, custom fields included', async () => {
    const [smith] = (await search('name=Smith v Jones')).items;
    expect(smith).toMatchObject({
      name: 'Smith v Jones',
      library: 'ACTIVE_US',
      custom: {
        custom1: '12345',
        custom2: '00001',
        custom17: 42,
        custom25: true,
      },
      defaultSecurity: 'inherit',
      isExternalAsNormal: false,
      isHipaa: false,
      iwl: `iwl:dms=${VANITY}&&lib=ACTIVE_US&&num=100`,
    });
    expect(Date.parse(smith?.fileCreateDate ?? '')).not.toBeNaN();
    expect(Date.parse(smith?.fileEditDate ?? '')).not.toBeNaN();
  });

  it('reads page after page to the end', async () => {
    const found = await search('custom3=BULK', { pageSize: 2 });
    expect(found.items.map((w) => w.name)).toEqual([1, 2, 3, 4, 5].map((n) => `Bulk Matter ${n}`));
    expect(found).toMatchObject({ totalCount: 5, complete: true });
    expect(requests).toHaveLength(3);
  });

  it('stops at the bound and reports the total the server counted', async () => {
    const found = await search('custom3=BULK', { pageSize: 2 }, 3);
    expect(found.items).toHaveLength(3);
    expect(found).toMatchObject({ totalCount: 5, complete: false });
    expect(requests).toHaveLength(2);
  });

  it('sends the token as X-Auth-Token to the customer path', async () => {
    await search('name=Brown Estate');
    expect(requests).toEqual(['GET /work/api/v2/customers/100/libraries/ACTIVE_US/workspaces']);
    expect(
      sim
        .requestLog({
          path: '/work/api/v2/customers/100/libraries/ACTIVE_US/workspaces',
        })
        .at(-1)?.status,
    ).toBe(200);
  });
});

describe('folders and documents', () => {
  it('lists the folders of a workspace and of a folder, without documents', async () => {
    const work = client();
    const top = await work.subfolders('ACTIVE_US', {
      kind: 'workspace',
      id: 'ACTIVE_US!100',
    });
    expect(top.items.map((f) => f.name)).toEqual(['Correspondence', 'Pleadings']);
    const below = await work.subfolders('ACTIVE_US', {
      kind: 'folder',
      id: 'ACTIVE_US!200',
    });
    expect(below.items).toEqual([]);
  });

  it('creates a folder and a subfolder, uploads a document, and deletes all three', async () => {
    const work = client();
    const ws = { kind: 'workspace', id: 'ACTIVE_US!102' } as const;
    const folder = await work.createFolder('ACTIVE_US', ws, 'Probe');
    const sub = await work.createFolder('ACTIVE_US', { kind: 'folder', id: folder.id }, 'Inner');
    expect(sub.parentId).toBe(folder.id);
    const doc = await work.uploadDocument('ACTIVE_US', folder.id, {
      name: 'probe',
      extension: 'txt',
      content: new TextEncoder().encode('hello'),
    });
    expect(doc.id).toMatch(/^ACTIVE_US![0-9]+\.1$/);
    await expect(work.deleteFolder('ACTIVE_US', folder.id)).rejects.toBeInstanceOf(InvalidRequest);
    await work.deleteDocument('ACTIVE_US', doc.id);
    await work.deleteFolder('ACTIVE_US', sub.id);
    await work.deleteFolder('ACTIVE_US', folder.id);
    expect((await work.subfolders('ACTIVE_US', ws)).items).toEqual([]);
    await expect(work.deleteDocument('ACTIVE_US', doc.id)).rejects.toBeInstanceOf(NotFound);
  });
});

describe('failures as typed errors', () => {
  it('a workspace that does not exist is NotFound', async () => {
    await expect(client().getWorkspace('ACTIVE_US', 'ACTIVE_US!9999')).rejects.toBeInstanceOf(NotFound);
  });

  it('a search in a library that does not exist is LibraryNotFound', async () => {
    const error = await client()
      .searchWorkspaces('NO_SUCH', new URLSearchParams('name=x'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LibraryNotFound);
    expect(error).toMatchObject({
      httpStatus: 404,
      serverCode: 'NOT_FOUND',
      retryable: false,
    });
  });

  it("another customer's path is Forbidden", async () => {
    await expect(client({}, { customerId: '200' }).getWorkspace('BRAVO', 'BRAVO!1')).rejects.toBeInstanceOf(Forbidden);
  });

  it('a rejected token is Unauthorized, and retryable after a refresh', async () => {
    const stale = new WorkClient({ ...TARGET, ca: sim.caPem }, network, () => 'not-a-token');
    const error = await stale.getWorkspace('ACTIVE_US', 'ACTIVE_US!100').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unauthorized);
    expect(String((error as Error).message)).not.toContain('not-a-token');
  });

  it('a 429 is RateLimited with its Retry-After, bounded to an hour', async () => {
    sim.admin.addFault({
      kind: 'rate-limit',
      path: '/work/api/v2/*',
      retryAfterSeconds: 7,
      times: 1,
    });
    await expect(search('name=x')).rejects.toMatchObject({
      name: 'RateLimited',
      retryAfterMs: 7_000,
    });
    sim.admin.addFault({
      kind: 'rate-limit',
      path: '/work/api/v2/*',
      retryAfterSeconds: 99_999_999,
      times: 1,
    });
    const error = await search('name=x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).retryAfterMs).toBe(MAX_PROBE_DELAY_MS);
  });

  it('a 503 is ServerError; a reset connection and a refused address are Unreachable and TargetForbidden', async () => {
    sim.admin.addFault({
      kind: 'status',
      status: 503,
      path: '/work/api/v2/*',
      times: 1,
    });
    await expect(search('name=x')).rejects.toBeInstanceOf(ServerError);
    sim.admin.addFault({ kind: 'reset', path: '/work/api/v2/*', times: 1 });
    await expect(search('name=x')).rejects.toBeInstanceOf(Unreachable);
    const guard = new ProbeGuard({ allowLoopback: false, serviceCidrs: [] });
    await expect(client({}, {}, { guard }).getWorkspace('ACTIVE_US', 'ACTIVE_US!100')).rejects.toBeInstanceOf(
      TargetForbidden,
    );
  });

  it('reports how each request ended, for the Work API request metric', async () => {
    const results: string[] = [];
    const counted = client({ onAnswer: (result) => results.push(result) });
    await counted.searchWorkspaces('ACTIVE_US', new URLSearchParams('name=Smith v Jones'));
    sim.admin.addFault({ kind: 'status', status: 503, path: '/work/api/v2/*', times: 1 });
    await expect(counted.searchWorkspaces('ACTIVE_US', new URLSearchParams('name=x'))).rejects.toThrow();
    sim.admin.addFault({ kind: 'rate-limit', path: '/work/api/v2/*', retryAfterSeconds: 1, times: 1 });
    await expect(counted.getWorkspace('ACTIVE_US', 'ACTIVE_US!100')).rejects.toThrow();
    await expect(counted.getWorkspace('ACTIVE_US', 'ACTIVE_US!nothing')).rejects.toThrow();
    expect(results).toEqual(['success', 'ServerError', 'RateLimited', 'NotFound']);
    expect(requests).toHaveLength(4);
  });
});
