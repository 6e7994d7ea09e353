import { describe, expect, it } from 'vitest';
import { registrationState, summarizeRegistration } from './registration.ts';

const env = { name: 'uat', redirectUri: 'https://acme-uat.clioweb.com/externalServices/replyFrom' };
const now = new Date('2026-11-23T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString();

describe('registrationState', () => {
  it.each([
    ['Registered', undefined, 'Registered', /accepts/],
    ['NotRegistered', undefined, 'NotRegistered', /ask iManage .* then set spec\.registration\.requestedAt/],
    ['NotRegistered', hoursAgo(1), 'Pending', /requested 1 h ago; .* within 47 h/],
    ['NotRegistered', hoursAgo(47.5), 'Pending', /within 30 min/],
    ['NotRegistered', hoursAgo(48), 'Overdue', /requested 48 h ago .* contact iManage support/],
    ['NotRegistered', hoursAgo(24 * 30), 'Overdue', /requested 30 days ago/],
    ['InvalidClient', undefined, 'InvalidClient', /does not know client id 'abc'/],
    ['Unknown', undefined, 'Unknown', /could not tell .*: HTTP 502/],
  ] as const)('%s requested %s → %s', (answer, requestedAt, state, message) => {
    const r = registrationState(env, { answer, detail: answer === 'Unknown' ? 'HTTP 502' : 'invalid_redirect_uri' },
      { now, clientId: 'abc', customerId: '4021', ...(requestedAt ? { requestedAt } : {}) });
    expect(r.state).toBe(state);
    expect(r.message).toMatch(message);
  });
});

describe('summarizeRegistration', () => {
  const s = (name: string, state: Parameters<typeof summarizeRegistration>[0][number]['state']) => ({ name, redirectUri: `https://${name}.example/cb`, state, message: `${name} says` });

  it('is True only when every environment is registered', () => {
    expect(summarizeRegistration([s('a', 'Registered'), s('b', 'Registered')])).toMatchObject({ ok: true, state: 'Registered' });
    expect(summarizeRegistration([])).toMatchObject({ ok: true, message: 'no environments to register' });
  });

  it('names the environments that are not, worst state first', () => {
    const r = summarizeRegistration([s('prod', 'Registered'), s('uat', 'Pending'), s('test', 'Overdue')]);
    expect(r).toMatchObject({ ok: false, state: 'Overdue' });
    expect(r.message).toBe('uat: Pending — uat says; test: Overdue — test says');
  });
});
