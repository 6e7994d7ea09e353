// The scenario most simulator tests run against. Secrets and passwords contain "canary" so the
// request-log test can prove none of them is ever logged.
import type { HostSpec, Scenario } from '../config/spec.ts';
import type { RunningSimulator } from '../server.ts';
import { form, send, type Target } from './client.ts';

export const CLOUD = 'cloudimanage.com';
export const VANITY = 'acme.cloudimanage.com';
export const ONPREM = 'dms.onprem.example';

export const SECRETS = {
  webApp: 'canary-secret-webapp-5d1c',
  noRefresh: 'canary-secret-norefresh-8e2a',
  service: 'canary-secret-service-3f9b',
  jsmith: 'canary-password-jsmith-71aa',
  svc: 'canary-password-svc-0c4e',
  bbrown: 'canary-password-bbrown-aa02',
  onprem: 'canary-password-onprem-66d0',
} as const;

export const REDIRECT = 'https://app.example/callback';
export const UAT_REDIRECT = 'https://uat.app.example/callback';
export const BRAVO_REDIRECT = 'https://bravo.app.example/callback';

const bulk = Array.from({ length: 5 }, (_, i) => ({ name: `Bulk Matter ${i + 1}`, custom3: 'BULK' }));

export const scenario: Scenario = {
  hosts: [
    { name: CLOUD, customers: ['100', '200'] },
    { name: VANITY, customers: ['100'] },
    { name: ONPREM, customers: ['300'], versions: { work: '10.4.1' } },
  ],
  customers: [
    {
      id: '100',
      name: 'Acme LLP',
      libraries: [
        {
          id: 'ACTIVE_US',
          workspaces: [
            {
              id: 'ACTIVE_US!100',
              name: 'Smith v Jones',
              owner: 'JSMITH',
              description: 'Contract litigation for Smith',
              custom1: { alias: '12345', description: 'Smith Holdings' },
              custom2: '00001',
              custom17: 42,
              custom21: '2024-03-01T00:00:00Z',
              custom25: true,
              folders: [
                {
                  id: 'ACTIVE_US!200',
                  name: 'Correspondence',
                  documents: [{ name: 'Engagement letter', extension: 'docx', content: 'hello' }],
                },
                { id: 'ACTIVE_US!201', name: 'Pleadings', folders: [{ id: 'ACTIVE_US!202', name: 'Drafts' }] },
              ],
            },
            { id: 'ACTIVE_US!101', name: 'Smith v Jones Appeal', custom1: '12345', custom2: '00002' },
            { id: 'ACTIVE_US!102', name: 'Brown Estate', owner: 'ACASE', custom1: 'Abc-1' },
            ...bulk,
          ],
        },
        { id: 'ARCHIVE', isHidden: true, workspaces: [{ name: 'Smith v Jones', custom1: '12345' }] },
      ],
      users: [
        {
          username: 'jsmith',
          password: SECRETS.jsmith,
          fullName: 'Jane Smith',
          email: 'jsmith@acme.example',
          preferredLibrary: 'ACTIVE_US',
        },
        { username: 'svc', password: SECRETS.svc },
      ],
      applications: [
        {
          clientId: 'web-app',
          clientSecret: SECRETS.webApp,
          redirectUris: [REDIRECT],
          pendingRedirectUris: [{ uri: UAT_REDIRECT, registeredAfterSeconds: 86_400 }],
          allowRefreshToken: true,
        },
        { clientId: 'no-refresh', clientSecret: SECRETS.noRefresh, redirectUris: [REDIRECT] },
        { clientId: 'service-app', clientSecret: SECRETS.service, grants: ['client_credentials'], serviceUser: 'svc' },
      ],
    },
    {
      id: '200',
      name: 'Bravo',
      libraries: [{ id: 'BRAVO', workspaces: [{ name: 'Bravo General' }] }],
      users: [{ username: 'bbrown', password: SECRETS.bbrown }],
      applications: [
        { clientId: 'web-app', clientSecret: SECRETS.webApp, redirectUris: [BRAVO_REDIRECT], allowRefreshToken: true },
      ],
    },
    {
      id: '300',
      libraries: [{ id: 'DMS', workspaces: [{ name: 'Precedents' }] }],
      users: [{ username: 'admin', password: SECRETS.onprem }],
      applications: [
        { clientId: 'web-app', clientSecret: SECRETS.webApp, redirectUris: [REDIRECT], allowRefreshToken: true },
      ],
    },
  ],
};

export function target(sim: RunningSimulator, host: string): Target {
  return { port: sim.httpsPort, host, ca: sim.caPem };
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in: number;
  readonly token_type: string;
}

/** A token for jsmith (or another user) through the password grant. */
export async function passwordToken(
  sim: RunningSimulator,
  host = VANITY,
  user: { username: string; password: string } = { username: 'jsmith', password: SECRETS.jsmith },
): Promise<string> {
  const res = await send(target(sim, host), {
    method: 'POST',
    path: '/auth/oauth2/token',
    ...form({ grant_type: 'password', client_id: 'web-app', client_secret: SECRETS.webApp, ...user }),
  });
  if (res.status !== 200) throw new Error(`password grant failed: ${res.status} ${res.text}`);
  return res.json<Tokens>().access_token;
}

/** Hosts that answer in the shapes public iManage clients disagree on (config `dialect`), for customer 100. */
export const DIALECT_HOSTS = {
  imanage: 'imanage-errors.example',
  array: 'array-errors.example',
  strict: 'strict.example',
  numeric: 'numeric.example',
  apiList: 'api-list.example',
} as const;

/** Adds DIALECT_HOSTS and a password-grant application registered without a secret ('desktop-auth'). */
export function addDialectHosts(sim: RunningSimulator): void {
  const h = DIALECT_HOSTS;
  const hosts: HostSpec[] = [
    { name: h.imanage, customers: ['100'], dialect: { tokenErrors: 'imanage', tokenType: 'omit' } },
    { name: h.array, customers: ['100'], dialect: { tokenErrors: 'array', tokenType: 'omit' } },
    { name: h.strict, customers: ['100'], dialect: { unknownParameters: 'reject' } },
    {
      name: h.numeric,
      customers: ['100'],
      dmsVersion: '10.4.2',
      versions: ['v1', 'v2'],
      dialect: { customerIdAs: 'number' },
    },
    { name: h.apiList, customers: ['100'], versions: ['v1', 'v2'] },
  ];
  for (const host of hosts) sim.admin.putHost(host);
  sim.admin.putApplication('100', { clientId: 'desktop-auth', grants: ['password'], allowRefreshToken: true });
}
