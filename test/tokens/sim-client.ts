// Token requests a test sends to the simulator as an administrator would (curl-like), to seed a
// refresh token or to check whether an old one still works.
import type { RunningSimulator } from '../../simulator/index.ts';
import { type Received, send } from '../../simulator/testing/client.ts';

function tokenRequest(sim: RunningSimulator, host: string, form: Record<string, string>): Promise<Received> {
  return send({ port: sim.httpsPort, host, ca: sim.caPem }, {
    method: 'POST',
    path: '/auth/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** jsmith's tokens by the password grant on application `clientId` (secret `<clientId>-secret`). */
export async function getJson(sim: RunningSimulator, host: string, clientId: string): Promise<{ refresh_token: string }> {
  const answer = await tokenRequest(sim, host, {
    grant_type: 'password', client_id: clientId, client_secret: `${clientId}-secret`,
    username: 'jsmith', password: 'jsmith-pass', scope: 'user',
  });
  if (answer.status !== 200) throw new Error(`password grant: HTTP ${answer.status}`);
  return answer.json<{ refresh_token: string }>();
}

export function refreshWith(sim: RunningSimulator, host: string, clientId: string, refreshToken: string): Promise<Received> {
  return tokenRequest(sim, host, {
    grant_type: 'refresh_token', client_id: clientId, client_secret: `${clientId}-secret`, refresh_token: refreshToken,
  });
}
