// A token payload and a connection for the application-settings tests (what the token responses
// told, against what a profile expects), shared by the token code's tests and the controller's.
import { baseConnection, mergePatch } from '../../api/validation/fixtures.ts';
import type { StoredPayload } from '../stored.ts';

export const payload = (minutes: number | undefined, refresh: boolean): StoredPayload => ({
  access_token: 'a',
  token_type: 'Bearer',
  obtained_at: '2026-11-23T11:59:00.000Z',
  ...(minutes === undefined
    ? {}
    : { access_token_expires_at: new Date(Date.parse('2026-11-23T11:59:00Z') + minutes * 60_000).toISOString() }),
  ...(refresh ? { refresh_token: 'r', refresh_token_expires_at: '2027-11-23T11:59:00.000Z' } : {}),
});
export const connection = (profile: string, grant: string) =>
  mergePatch(baseConnection(), {
    metadata: { generation: 1 },
    spec: { profile, environments: null, auth: { grant, credentialsSecretRef: { name: 'svc' } } },
  });
