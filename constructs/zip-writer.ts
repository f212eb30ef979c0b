import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * The one zip writer of the project: Lambda deployment packages built at synth (deterministic,
 * so an unchanged handler never shows as a diff in a plan) and the archives tests hand to the
 * local stand-in. Not a package export.
 */

export interface ZipEntry {
  /** `/`-separated path inside the archive. */
  name: string;
  /** Content, stored as it is (`method: 'stored'`) or deflated. */
  data: Buffer;
}

/** An entry whose compressed bytes and declared size are given as they are, true or not. */
export interface RawZipEntry {
  name: string;
  /** Raw deflate stream. */
  deflated: Buffer;
  /** The uncompressed size the headers declare. */
  size: number;
  crc?: number;
}

/**
 * A zip of `entries`, every field fixed (1980-01-01 00:00, mode 0644, made by Unix, UTF-8 names),
 * so the same files give the same bytes. Lambda runs the handler as a user other than the file's
 * owner: the entries must be world-readable, hence the Unix mode in the central directory.
 */
export function zipEntries(entries: ZipEntry[], method: 'stored' | 'deflated' = 'stored'): Buffer {
  return zipOf(
    entries.map(({ name, data }) => {
      const compressed = method === 'stored' ? data : deflateRawSync(data);
      return { name, compressed, size: data.length, crc: crc32(data), method: method === 'stored' ? 0 : 8 };
    }),
  );
}

/** name -> UTF-8 text as a deflated zip (handler fixtures). */
export function zipFiles(files: Record<string, string>): Buffer {
  return zipEntries(
    Object.entries(files).map(([name, text]) => ({ name, data: Buffer.from(text, 'utf8') })),
    'deflated',
  );
}

/** Every file under `directory` (sorted, `/`-separated names) as a zip of stored entries. */
export function zipDirectory(directory: string): Buffer {
  const names = listFiles(directory).sort();
  return zipEntries(names.map((name) => ({ name, data: fs.readFileSync(path.join(directory, ...name.split('/'))) })));
}

/**
 * A zip of already-deflated entries with the sizes given, true or not: how tests build a zip bomb
 * (a few hundred KB that inflate to hundreds of MB) without holding the inflated bytes.
 */
export function zipOfDeflated(entries: RawZipEntry[]): Buffer {
  return zipOf(entries.map(({ name, deflated, size, crc = 0 }) => ({ name, compressed: deflated, size, crc, method: 8 })));
}

interface WrittenEntry {
  name: string;
  compressed: Buffer;
  size: number;
  crc: number;
  /** 0 stored, 8 deflated (APPNOTE.TXT 4.4.5). */
  method: number;
}

/** Local headers, data, central directory and its end record (PKWARE APPNOTE.TXT, section 4.3). */
function zipOf(entries: WrittenEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, compressed, size, crc, method } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const version = method === 0 ? 10 : 20;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the mode below is honoured
    entry.writeUInt16LE(version, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(size, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, compressed);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...central, end]);
}

function listFiles(directory: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(directory, prefix), { withFileTypes: true }).flatMap((entry) => {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? listFiles(directory, name) : [name];
  });
}
