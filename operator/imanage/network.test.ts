// The SSRF guard's decision for every address class, in IPv4 and IPv6 forms, and how a target is
// resolved: all through a stub resolver, so no name is looked up and no packet is sent.
import { describe, expect, it, vi } from 'vitest';
import {
  HostOverrides,
  InvalidCidrError,
  ipLiteral,
  parseCidr,
  ProbeGuard,
  ProbeTargetForbiddenError,
  resolveTarget,
  tlsIdentity,
} from './network.ts';

const production = new ProbeGuard({ allowLoopback: false, serviceCidrs: ['10.96.0.0/12', 'fd00:10:96::/112'] });
const opened = new ProbeGuard({
  allowLoopback: false,
  serviceCidrs: ['10.96.0.0/12'],
  allowedCidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '100.64.0.0/10'],
});
const testing = new ProbeGuard({ allowLoopback: true, serviceCidrs: ['10.96.0.0/12'] });

describe('the SSRF guard (production defaults: no flags but the service range)', () => {
  it.each([
    // Unspecified: connecting to it reaches the pod itself.
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    // Loopback, and the IPv6 forms that carry it.
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['2002:7f00:1::', 'loopback'],
    // Link-local, where 169.254.169.254 lives.
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['::ffff:0:169.254.169.254', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    // Cloud metadata outside link-local.
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd20:ce::254', 'metadata'],
    ['::ffff:100.100.100.200', 'metadata'],
    ['64:ff9b::6464:64c8', 'metadata'],
    ['::ffff:168.63.129.16', 'metadata'],
    // Multicast, broadcast, reserved, deprecated.
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['ff02::1', 'reserved'],
    ['::a9fe:a9fe', 'reserved'],
    ['fec0::1', 'reserved'],
    ['2001::1', 'reserved'],
    // The cluster's services.
    ['10.96.0.1', 'service'],
    ['10.111.255.254', 'service'],
    ['::ffff:10.96.0.10', 'service'],
    ['64:ff9b::a60:a', 'service'],
    ['fd00:10:96::a', 'service'],
    // Private and special ranges: closed until an admin opens them.
    ['10.0.0.1', 'private'],
    ['10.200.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.10', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['198.18.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['64:ff9b::c0a8:101', 'private'],
    ['64:ff9b:1::a00:1', 'private'],
    ['2001:db8::1', 'private'],
  ])('refuses %s (%s)', (address, category) => {
    expect(production.judge(address)).toMatchObject({ allowed: false, category });
  });

  it.each([
    '52.1.2.3',
    '8.8.8.8',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '11.0.0.1',
    '2606:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:52.1.2.3',
    '64:ff9b::808:808',
  ])('lets %s through (public)', (address) => {
    expect(production.judge(address)).toMatchObject({ allowed: true, category: 'public' });
  });

  it('judges an IPv6 address carrying an IPv4 one as that IPv4 address', () => {
    expect(production.judge('64:ff9b::a9fe:a9fe')).toEqual({
      allowed: false,
      category: 'link-local',
      judged: '169.254.169.254',
      range: '169.254.0.0/16',
    });
    expect(production.judge('::ffff:8.8.8.8')).toEqual({ allowed: true, category: 'public', judged: '8.8.8.8' });
  });

  it('refuses what is not an IP address at all', () => {
    expect(production.judge('metadata.google.internal')).toMatchObject({ allowed: false });
  });
});

describe('what the flags change', () => {
  it.each([
    ['10.20.0.1', true],
    ['172.20.0.1', true],
    ['192.168.1.10', true],
    ['fd12::1', true],
    ['::ffff:10.20.0.1', true],
    ['100.64.0.1', true],
    // Opening a private range never opens what it contains of the always-refused ones.
    ['10.96.0.1', false],
    ['100.100.100.200', false],
    ['fd00:ec2::254', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
  ])('--allow-probe-cidr 10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10: %s allowed: %s', (address, allowed) => {
    expect(opened.judge(address).allowed).toBe(allowed);
  });

  it('only the ranges opened: 10.20.0.0/16 opens 10.20.x.x and not 10.21.x.x', () => {
    const narrow = new ProbeGuard({ allowLoopback: false, serviceCidrs: [], allowedCidrs: ['10.20.0.0/16'] });
    expect(narrow.judge('10.20.3.4').allowed).toBe(true);
    expect(narrow.judge('10.21.0.1').allowed).toBe(false);
  });

  it.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::', false],
    ['0.0.0.0', false],
    ['169.254.169.254', false],
    ['10.96.0.10', false],
    ['10.0.0.1', false],
  ])('--allow-loopback-probes (tests): %s allowed: %s', (address, allowed) => {
    expect(testing.judge(address).allowed).toBe(allowed);
  });

  it('a service range inside loopback still wins over --allow-loopback-probes', () => {
    const guard = new ProbeGuard({ allowLoopback: true, serviceCidrs: ['127.0.0.64/26'] });
    expect(guard.judge('127.0.0.70')).toMatchObject({ allowed: false, category: 'service' });
    expect(guard.judge('127.0.0.1').allowed).toBe(true);
  });
});

describe('parseCidr', () => {
  it.each(['10.96.0.0/12', 'fd00:10:96::/112', '0.0.0.0/0', '::/0', '10.96.0.1/32'])('accepts %s', (cidr) => {
    expect(parseCidr(cidr).text).toBe(cidr);
  });

  it.each([
    '10.96.0.0',
    '10.96.0.0/33',
    'fd00::/129',
    '10.96.0/12',
    'ten/8',
    '',
    '/8',
    '10.96.0.0/-1',
    '10.96.0.0/1e1',
  ])('refuses %j with a typed error', (cidr) => {
    expect(() => parseCidr(cidr)).toThrow(InvalidCidrError);
    expect(() => parseCidr(cidr)).toThrow(/such as 10\.96\.0\.0\/12/);
  });
});

describe('resolveTarget', () => {
  const stub = (answers: Record<string, string>) =>
    vi.fn(async (host: string) => {
      const address = answers[host];
      if (address === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return { address };
    });

  it.each([
    [
      'metadata.example',
      '169.254.169.254',
      /^metadata\.example resolves to 169\.254\.169\.254, a link-local address .* in 169\.254\.0\.0\/16, which/,
    ],
    [
      'mapped.example',
      '::ffff:169.254.169.254',
      /^mapped\.example resolves to ::ffff:169\.254\.169\.254 \(IPv4 169\.254\.169\.254\), a link-local/,
    ],
    ['zero.example', '::', /^zero\.example resolves to ::, the unspecified address .* which probes never reach$/],
    ['svc.example', '10.96.0.10', /service range in 10\.96\.0\.0\/12, which probes never reach$/],
    [
      'private.example',
      '10.1.2.3',
      /a private address in 10\.0\.0\.0\/8, which probes reach only in ranges the operator's --allow-probe-cidr opens$/,
    ],
  ])(
    'refuses %s → %s before any connection, says why in its detail, and only "cannot connect" in its message',
    async (host, address, detail) => {
      const lookup = stub({ [host]: address });
      const error = await resolveTarget(host, 443, new HostOverrides([], lookup), production).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProbeTargetForbiddenError);
      expect((error as ProbeTargetForbiddenError).detail).toMatch(detail);
      // The message reaches status: no DNS oracle for the cluster's network (issue 18, finding 11).
      expect((error as Error).message).toBe(`cannot connect to ${host}`);
      expect(lookup).toHaveBeenCalledWith(host);
    },
  );

  it('judges an override answer like a DNS answer', async () => {
    const overrides = new HostOverrides(['dms.example:443:[::]:8443'], stub({}));
    const error = await resolveTarget('dms.example', 443, overrides, testing).catch((e: unknown) => e);
    expect((error as ProbeTargetForbiddenError).detail).toMatch(/resolves to ::, the unspecified address/);
  });

  it('names the class of an IP literal the URL wrote, in its message too', async () => {
    const error = await resolveTarget('169.254.169.254', 443, new HostOverrides([], stub({})), production).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ literal: true });
    expect((error as Error).message).toMatch(
      /^169\.254\.169\.254 is a link-local address .* which probes never reach$/,
    );
  });

  it.each([
    ['[2001:db8::1]', '2001:db8::1', 6],
    ['[::ffff:52.1.2.3]', '::ffff:52.1.2.3', 6],
    ['52.1.2.3', '52.1.2.3', 4],
  ] as const)('takes the IP literal %s as it is, without DNS', async (host, address, family) => {
    const lookup = stub({});
    const guard = new ProbeGuard({ allowLoopback: false, serviceCidrs: [], allowedCidrs: ['2001:db8::/32'] });
    await expect(resolveTarget(host, 443, new HostOverrides([], lookup), guard)).resolves.toEqual({
      address,
      port: 443,
      family,
      overridden: false,
    });
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each([
    ['[::1]', /^\[::1\] is a loopback address in ::1\/128, which probes reach only when .* --allow-loopback-probes/],
    ['[fe80::1]', /^\[fe80::1\] is a link-local address/],
    ['[::ffff:169.254.169.254]', /^\[::ffff:169\.254\.169\.254\] is a link-local address/],
    ['[::]', /^\[::\] is the unspecified address/],
  ])('judges the IP literal %s with the guard', async (host, message) => {
    const lookup = stub({});
    await expect(resolveTarget(host, 443, new HostOverrides([], lookup), production)).rejects.toThrow(message);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('lets [::1] through with --allow-loopback-probes', async () => {
    await expect(resolveTarget('[::1]', 8443, new HostOverrides([], stub({})), testing)).resolves.toMatchObject({
      address: '::1',
      port: 8443,
      family: 6,
    });
  });
});

describe('IP literals and TLS', () => {
  it.each([
    ['[2001:db8::1]', '2001:db8::1'],
    ['192.0.2.1', '192.0.2.1'],
    ['dms.example.com', undefined],
    ['[not-an-ip]', undefined],
  ])('ipLiteral(%j) is %j', (hostname, literal) => expect(ipLiteral(hostname)).toBe(literal));

  it('sends SNI for a host name; none for an IP literal, whose certificate is checked against its IPs', () => {
    expect(tlsIdentity('dms.example.com')).toEqual({ servername: 'dms.example.com' });
    const literal = tlsIdentity('[::1]');
    expect(literal.servername).toBeUndefined();
    const forIp = (ip: string) => ({ subject: {}, subjectaltname: `IP Address:${ip}` }) as never;
    expect(literal.checkServerIdentity!('ignored', forIp('0:0:0:0:0:0:0:1'))).toBeUndefined();
    expect(literal.checkServerIdentity!('ignored', forIp('127.0.0.1'))).toBeInstanceOf(Error);
  });
});
