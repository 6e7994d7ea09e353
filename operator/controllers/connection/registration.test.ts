import { describe, expect, it } from 'vitest';
import { registrationState, summarizeRegistration } from './registration.ts';

const env = { name: 'uat', redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom' };
const now = new Date('2026-11-23T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

describe('registrationState', () => {
  const context = {
    now,
    clientIdSource: "Secret 'app' key clientId",
    authorizeHost: 'acme.cloudimanage.com:443',
    customerId: '4021',
  };
  it.each([
    [{ kind: 'Registered', via: 'redirect' }, undefined, 'Registered', /accepts/],
    [{ kind: 'NotRegistered' }, undefined, 'NotRegistered', /ask iManage .* then set spec\.registration\.requestedAt/],
    [{ kind: 'NotRegistered' }, hoursAgo(1), 'Pending', /requested 1 h ago; .* within 47 h/],
    [{ kind: 'NotRegistered' }, hoursAgo(47.5), 'Pending', /within 30 min/],
    [{ kind: 'NotRegistered' }, hoursAgo(48), 'Overdue', /requested 48 h ago .* contact iManage support/],
    [{ kind: 'NotRegistered' }, hoursAgo(24 * 30), 'Overdue', /requested 30 days ago/],
    [
      { kind: 'InvalidClient' },
      undefined,
      'InvalidClient',
      /^iManage does not know the client id in Secret 'app' key clientId; check it$/,
    ],
    [
      { kind: 'Unrecognised', httpStatus: 502, excerpt: 'Bad gateway' },
      undefined,
      'Unknown',
      /could not tell .*: HTTP 502, .*\(the page begins: Bad gateway\)/,
    ],
    [{ kind: 'RateLimited', retryAfterMs: 5000 }, undefined, 'Unknown', /could not tell .*: HTTP 429/],
    [{ kind: 'RedirectedWithError', error: 'access_denied' }, undefined, 'Unknown', /with error access_denied$/],
    [
      { kind: 'NotAsked', cause: 'ECONNREFUSED' },
      undefined,
      'Unknown',
      /: cannot connect to acme\.cloudimanage\.com:443$/,
    ],
    [
      { kind: 'NotAsked', cause: 'ProbeTargetForbiddenError' },
      undefined,
      'Unknown',
      /: cannot connect to acme\.cloudimanage\.com:443$/,
    ],
    [
      { kind: 'Malformed', problem: "ends with '/'" },
      hoursAgo(1),
      'NotRegistered',
      /not sent to iManage: the redirect URI ends with '\/'/,
    ],
  ] as const)('%j requested %s → %s', (outcome, requestedAt, state, message) => {
    const r = registrationState(env, outcome, { ...context, ...(requestedAt ? { requestedAt } : {}) });
    expect(r.state).toBe(state);
    expect(r.message).toMatch(message);
  });
});

describe('summarizeRegistration', () => {
  const s = (name: string, state: Parameters<typeof summarizeRegistration>[0][number]['state']) => ({
    name,
    redirectUri: `https://${name}.example/cb`,
    state,
    message: `${name} says`,
  });

  it('is True only when every environment is registered', () => {
    expect(summarizeRegistration([s('a', 'Registered'), s('b', 'Registered')])).toMatchObject({
      ok: true,
      state: 'Registered',
    });
    expect(summarizeRegistration([])).toMatchObject({ ok: true, message: 'no environments to register' });
  });

  it('names the environments that are not, worst state first', () => {
    const r = summarizeRegistration([s('prod', 'Registered'), s('uat', 'Pending'), s('test', 'Overdue')]);
    expect(r).toMatchObject({ ok: false, state: 'Overdue' });
    expect(r.message).toBe('uat: Pending — uat says; test: Overdue — test says');
  });
});
