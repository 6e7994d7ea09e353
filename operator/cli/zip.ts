// A ZIP archive writer for the application package: a few small files, deflated. Why our own:
// a ZIP of known entries is three fixed headers around zlib's raw deflate (PKWARE APPNOTE 6.3.10,
// sections 4.3.7, 4.3.12, 4.3.16), about 60 lines, while the registry's writers (archiver with 30+
// transitive packages, jszip, yazl) would be a dependency for one command. No ZIP64, no
// encryption: entries stay far below 4 GiB, and the package's secret is protected by the file's
// mode (0600), as iManage's upload takes a plain archive.

import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly content: Uint8Array | string;
  /** Unix permission bits recorded for the entry. @default 0o600 */
  readonly mode?: number;
}

export class ZipLimitError extends Error {
  override readonly name = 'ZipLimitError';
}

// A fixed timestamp (1980-01-01 00:00, the earliest DOS date): the same input gives the same bytes.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION_NEEDED = 20;
const MADE_BY_UNIX = (3 << 8) | 20;

interface Written {
  readonly name: Buffer;
  readonly crc: number;
  readonly compressed: Buffer;
  readonly size: number;
  readonly offset: number;
  readonly mode: number;
}

/** The fields both headers share, in the same order: flags through the name's length. */
function writeCommon(h: Buffer, at: number, e: Written): void {
  h.writeUInt16LE(UTF8_NAMES, at);
  h.writeUInt16LE(DEFLATE, at + 2);
  h.writeUInt16LE(DOS_TIME, at + 4);
  h.writeUInt16LE(DOS_DATE, at + 6);
  h.writeUInt32LE(e.crc, at + 8);
  h.writeUInt32LE(e.compressed.length, at + 12);
  h.writeUInt32LE(e.size, at + 16);
  h.writeUInt16LE(e.name.length, at + 20);
}

function localHeader(e: Written): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(VERSION_NEEDED, 4);
  writeCommon(h, 6, e);
  // extra field length stays 0
  return Buffer.concat([h, e.name]);
}

function centralHeader(e: Written): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(MADE_BY_UNIX, 4);
  h.writeUInt16LE(VERSION_NEEDED, 6);
  writeCommon(h, 8, e);
  // extra, comment, disk number and internal attributes stay 0
  h.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38);
  h.writeUInt32LE(e.offset, 42);
  return Buffer.concat([h, e.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(0x06054b50, 0);
  h.writeUInt16LE(count, 8);
  h.writeUInt16LE(count, 10);
  h.writeUInt32LE(size, 12);
  h.writeUInt32LE(offset, 16);
  return h;
}

const LIMIT = 0xffff_fff0;

/** The whole archive. Throws ZipLimitError for what would need ZIP64. */
export function zip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > 0xffff) throw new ZipLimitError('more than 65535 entries needs ZIP64');
  const parts: Buffer[] = [];
  const written: Written[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : Buffer.from(entry.content);
    if (data.length > LIMIT) throw new ZipLimitError(`${entry.name} is larger than 4 GiB`);
    const e: Written = {
      name: Buffer.from(entry.name, 'utf8'),
      crc: crc32(data),
      compressed: deflateRawSync(data),
      size: data.length,
      offset,
      mode: entry.mode ?? 0o600,
    };
    const header = localHeader(e);
    parts.push(header, e.compressed);
    written.push(e);
    offset += header.length + e.compressed.length;
  }
  const central = Buffer.concat(written.map(centralHeader));
  if (offset + central.length > LIMIT) throw new ZipLimitError('the archive would be larger than 4 GiB');
  return Buffer.concat([...parts, central, endOfCentralDirectory(written.length, central.length, offset)]);
}
