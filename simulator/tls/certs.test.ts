import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuthority, currentValidity, expiredValidity, issueServerCertificate } from './certs.ts';

const ca = createAuthority('Unit Test CA', new Date(Date.UTC(2030, 0, 1)));
const caCert = new X509Certificate(ca.certPem);

describe('test CA', () => {
  it('is a CA certificate named as asked', () => {
    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toContain('CN=Unit Test CA');
    expect(caCert.verify(caCert.publicKey)).toBe(true);
  });
});

describe('server certificates', () => {
  const now = new Date(Date.UTC(2030, 0, 1));
  const leaf = new X509Certificate(
    issueServerCertificate(ca, ['acme.cloudimanage.com', '127.0.0.1'], currentValidity(now)).certPem,
  );

  it('is signed by the CA and names its hosts and addresses', () => {
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkHost('acme.cloudimanage.com')).toBe('acme.cloudimanage.com');
    expect(leaf.checkHost('cloudimanage.com')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it.each([
    ['current', currentValidity(now), true],
    ['expired', expiredValidity(now), false],
  ])('is %s at the time it was made for', (_label, validity, valid) => {
    const cert = new X509Certificate(issueServerCertificate(ca, ['x.example'], validity).certPem);
    const t = now.getTime();
    expect(Date.parse(cert.validFrom) <= t && t <= Date.parse(cert.validTo)).toBe(valid);
  });
});
