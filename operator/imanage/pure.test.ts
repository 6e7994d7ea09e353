import { describe, expect, it } from 'vitest';
import { forbiddenAddresses, HostOverrides } from './network.ts';
import { retryAfterMs } from './reachability.ts';
import { classifyAuthorize, lintRedirectUri } from './registration.ts';

describe('lintRedirectUri', () => {
  it.each([
    ['https://acme.clioweb.com/externalServices/replyFrom', undefined],
    ['http://acme.clioweb.com/cb', 'does not start with https://'],
    ['https://Acme.clioweb.com/cb', 'has upper-case letters in its host'],
    ['https://acme.clioweb.com/Callback', undefined],
    ['https://acme.clioweb.com/cb/', "ends with '/'"],
    ['https://acme.clioweb.com/c b', 'contains whitespace'],
    [' https://acme.clioweb.com/cb', 'contains whitespace'],
    ['https://acme.clioweb.com/cb#x', 'has a fragment'],
  ])('%j → %j', (uri, problem) => expect(lintRedirectUri(uri)).toBe(problem));
});

describe('classifyAuthorize', () => {
  const uri = 'https://acme.clioweb.com/externalServices/replyFrom';
  it.each([
    [{ status: 302, location: 'https://acme.cloudimanage.com/auth/signin?x=1', body: '' }, 'Registered'],
    [{ status: 200, body: '<html><form method="post">Sign in</form></html>' }, 'Registered'],
    [{ status: 400, body: '{"error":"invalid_redirect_uri","error_description":"…"}' }, 'NotRegistered'],
    [{ status: 400, body: '<html>invalid_redirect_uri</html>' }, 'NotRegistered'],
    [{ status: 401, body: '{"error":"invalid_client"}' }, 'InvalidClient'],
    [{ status: 302, location: `${uri}?error=access_denied&state=s`, body: '' }, 'Unknown'],
    [{ status: 502, body: '<html>Bad gateway</html>' }, 'Unknown'],
    [{ status: 200, body: 'hello' }, 'Unknown'],
  ])('%j → %s', (res, answer) => expect(classifyAuthorize(res, uri).answer).toBe(answer));

  it('says what came back when it cannot tell', () => {
    expect(classifyAuthorize({ status: 502, body: '<h1>Bad   gateway</h1>' }, uri).detail).toBe('HTTP 502: <h1>Bad gateway</h1>');
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it.each([
    ['30', 30_000],
    [' 5 ', 5_000],
    ['Mon, 23 Nov 2026 12:01:00 GMT', 60_000],
    ['Mon, 23 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('%j → %j', (value, ms) => expect(retryAfterMs(value, now)).toBe(ms));
});

describe('HostOverrides', () => {
  it('maps host:port to an address, host case-insensitively', () => {
    const o = new HostOverrides(['acme.cloudimanage.com:8443:127.0.0.1', 'v6.example:443:[::1]', 'cloudimanage.com:443:127.0.0.1:9443']);
    expect(o.get('ACME.cloudimanage.com', 8443)).toEqual({ address: '127.0.0.1', port: 8443 });
    expect(o.get('acme.cloudimanage.com', 443)).toBeUndefined();
    expect(o.get('v6.example', 443)).toEqual({ address: '::1', port: 443 });
    expect(o.get('cloudimanage.com', 443)).toEqual({ address: '127.0.0.1', port: 9443 });
  });

  it.each(['acme:443', 'acme:x:127.0.0.1', 'acme:443:not-an-ip'])('refuses %j', (entry) => {
    expect(() => new HostOverrides([entry])).toThrow(/host:port:address\[:port\]/);
  });
});

describe('the SSRF guard', () => {
  it.each([
    ['169.254.169.254', 'ipv4', false, true],
    ['fe80::1', 'ipv6', false, true],
    ['127.0.0.1', 'ipv4', false, true],
    ['127.0.0.1', 'ipv4', true, false],
    ['::1', 'ipv6', false, true],
    ['10.96.0.10', 'ipv4', false, true],
    ['10.200.0.1', 'ipv4', false, false],
    ['52.1.2.3', 'ipv4', false, false],
  ] as const)('%s (%s, loopback allowed: %s) blocked: %s', (address, family, allowLoopback, blocked) => {
    expect(forbiddenAddresses({ allowLoopback, serviceCidrs: ['10.96.0.0/12'] }).check(address, family)).toBe(blocked);
  });
});
