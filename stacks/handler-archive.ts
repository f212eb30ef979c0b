import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { App, AssetType, TerraformAsset } from 'cdktf';

/**
 * The demo handler as a Lambda deployment package, zipped in this process.
 *
 * cdktf's `AssetType.ARCHIVE` zips by starting a child `node` (its `archiveSync`), ~0.3 s of every
 * synth; a handler of a few kB needs none of that. The entries are stored (not deflated) with a
 * fixed 1980-01-01 date, so the bytes, and with them the hash and the asset's path, change only
 * when a file's content or name does: an unchanged handler never shows as a diff in a plan.
 */
export interface HandlerPackage {
  readonly asset: TerraformAsset;
  /** Base64 SHA-256 of the zip: what Lambda reports as CodeSha256 (for `source_code_hash`). */
  readonly sourceCodeHash: string;
}

export function handlerPackage(scope: Construct, id: string, directory: string): HandlerPackage {
  const zip = zipDirectory(directory);
  const sha256 = createHash('sha256').update(zip).digest();
  const assetHash = sha256.toString('hex').toUpperCase();
  // TerraformAsset copies a file into the stack's assets at synth; the source lives in the app's
  // output folder (cdktf.out/ or the caller's outdir), so nothing is written anywhere else.
  const source = path.join(App.of(scope).outdir, '.handler-packages', assetHash, 'archive.zip');
  if (!fs.existsSync(source)) {
    fs.mkdirSync(path.dirname(source), { recursive: true });
    fs.writeFileSync(source, zip);
  }
  return { asset: new TerraformAsset(scope, id, { path: source, type: AssetType.FILE, assetHash }), sourceCodeHash: sha256.toString('base64') };
}

/** Every file under `directory` (sorted, `/`-separated names) as a zip with stored entries. */
export function zipDirectory(directory: string): Buffer {
  const names = listFiles(directory).sort();
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    const data = fs.readFileSync(path.join(directory, ...name.split('/')));
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, so the mode below is honoured
    entry.writeUInt16LE(10, 6);
    entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    // Lambda runs the handler as a user other than the file's owner: it must be world-readable.
    entry.writeUInt32LE(((0o100644 << 16) >>> 0), 38);
    entry.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    central.push(entry, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(names.length, 8);
  end.writeUInt16LE(names.length, 10);
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

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
