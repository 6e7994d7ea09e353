import { describe, expect, it } from 'vitest';
import { bitString, objectIdentifier, time, tlv, unsignedInteger } from './der.ts';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER encoding', () => {
  it.each([
    [0, '0400'],
    [127, `047f${'00'.repeat(127)}`],
    [128, `048180${'00'.repeat(128)}`],
    [300, `0482012c${'00'.repeat(300)}`],
  ])('encodes a %i-byte length', (length, expected) => {
    expect(hex(tlv(0x04, Buffer.alloc(length)))).toBe(expected);
  });

  it.each([
    ['2.5.4.3', '0603550403'],
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['1.3.6.1.5.5.7.3.1', '06082b06010505070301'],
  ])('encodes OID %s', (oid, expected) => {
    expect(hex(objectIdentifier(oid))).toBe(expected);
  });

  it.each([
    ['00', '020100'],
    ['7f', '02017f'],
    ['80', '02020080'],
    ['000001', '020101'],
  ])('encodes unsigned integer bytes %s as a positive INTEGER', (bytes, expected) => {
    expect(hex(unsignedInteger(Buffer.from(bytes, 'hex')))).toBe(expected);
  });

  it.each([
    ['2025-01-02T03:04:05Z', 0x17, '250102030405Z'],
    ['2049-12-31T23:59:59Z', 0x17, '491231235959Z'],
    ['2050-01-01T00:00:00Z', 0x18, '20500101000000Z'],
  ])('encodes %s as UTCTime or GeneralizedTime', (iso, tag, text) => {
    const encoded = time(new Date(iso));
    expect(encoded[0]).toBe(tag);
    expect(encoded.subarray(2).toString('ascii')).toBe(text);
  });

  it('counts unused bits in a BIT STRING', () => {
    expect(hex(bitString(Buffer.from([0x80]), 7))).toBe('03020780');
  });
});
