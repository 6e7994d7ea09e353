// A throwaway test CA and the server certificates it signs (ECDSA P-256, SHA-256). Validity is on
// real time, not the simulator's clock: TLS clients check certificates against their own clock.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicit,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from './der.ts';

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const ORGANIZATION = 'iManage Simulator (test only)';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface Authority {
  readonly name: string;
  readonly certPem: string;
  readonly privateKey: KeyObject;
  readonly keyId: Buffer;
}

export interface ServerCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function createAuthority(name = 'iManage Simulator Test CA', now = new Date()): Authority {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = keyIdentifier(spki);
  const extensions = [
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    // keyCertSign (bit 5) and cRLSign (bit 6): 0000 0110, the last bit unused.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
  ];
  const validity = { notBefore: new Date(now.getTime() - HOUR_MS), notAfter: new Date(now.getTime() + 3650 * DAY_MS) };
  const der = signCertificate({ subject: name, issuer: name, validity, spki, extensions }, privateKey);
  return { name, certPem: toPem(der), privateKey, keyId };
}

/** A server certificate for `names` (DNS names or IP addresses), signed by `ca`. */
export function issueServerCertificate(ca: Authority, names: readonly string[], validity: Validity): ServerCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const extensions = [
    extension(OID.basicConstraints, true, sequence()),
    // digitalSignature (bit 0): 1000 0000, seven bits unused.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
    extension(OID.subjectAltName, false, sequence(...names.map(generalName))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
    extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, ca.keyId))),
  ];
  const subject = names[0] ?? 'localhost';
  const der = signCertificate({ subject, issuer: ca.name, validity, spki, extensions }, ca.privateKey);
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: toPem(der) };
}

/** Valid from an hour ago for a year: the certificate a healthy host presents. */
export function currentValidity(now = new Date()): Validity {
  return { notBefore: new Date(now.getTime() - HOUR_MS), notAfter: new Date(now.getTime() + 365 * DAY_MS) };
}

/** Expired yesterday: for the expired-cert fault. */
export function expiredValidity(now = new Date()): Validity {
  return { notBefore: new Date(now.getTime() - 30 * DAY_MS), notAfter: new Date(now.getTime() - DAY_MS) };
}

interface CertificateFields {
  readonly subject: string;
  readonly issuer: string;
  readonly validity: Validity;
  readonly spki: Buffer;
  readonly extensions: readonly Buffer[];
}

function signCertificate(fields: CertificateFields, signer: KeyObject): Buffer {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // RFC 5280 §4.1.2.2: positive, at most 20 bytes
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    distinguishedName(fields.issuer),
    sequence(time(fields.validity.notBefore), time(fields.validity.notAfter)),
    distinguishedName(fields.subject),
    fields.spki,
    explicit(3, sequence(...fields.extensions)),
  );
  // node:crypto signs ECDSA in DER (ECDSA-Sig-Value), which is what X.509 carries.
  const signature = sign('sha256', tbs, signer);
  return sequence(tbs, algorithm, bitString(signature));
}

function distinguishedName(commonName: string): Buffer {
  return sequence(
    set(sequence(objectIdentifier(OID.organization), utf8String(ORGANIZATION))),
    set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  const flag = critical ? [boolean(true)] : [];
  return sequence(objectIdentifier(oid), ...flag, octetString(value));
}

function generalName(name: string): Buffer {
  if (isIP(name) === 4) return implicit(7, Buffer.from(name.split('.').map(Number)));
  return implicit(2, Buffer.from(name, 'ascii')); // dNSName
}

function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
