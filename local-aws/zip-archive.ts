import { inflateRawSync } from 'node:zlib';

/**
 * Reads the files of a zip archive (stored or deflated entries), as Lambda does with a deployment
 * package. Throws on anything it cannot read, so a broken upload is refused at CreateFunction.
 */

/** Lambda's limit on a deployment package once unzipped (its error message names this number). */
export const MAX_UNZIPPED_BYTES = 262144000;

/** A package whose files add up to more than Lambda's unzipped limit. */
export class UnzippedSizeError extends Error {
  constructor(limit: number) {
    super(`Unzipped size must be smaller than ${limit} bytes`);
    this.name = 'UnzippedSizeError';
  }
}

/**
 * The files of `zip`. The sizes the central directory declares are summed against `limit` first,
 * and each entry is inflated with its declared size as the output cap (zlib stops there), so a
 * bomb that lies about its size fails while inflating, never after allocating what it expands to.
 */
export function readZip(zip: Buffer, limit = MAX_UNZIPPED_BYTES): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const eocd = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries: { name: string; method: number; compressedSize: number; size: number; localOffset: number }[] = [];
  let declared = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('corrupt zip: bad central directory entry');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    declared += size;
    if (declared > limit) throw new UnzippedSizeError(limit);
    entries.push({ name, method, compressedSize, size, localOffset });
  }
  for (const { name, method, compressedSize, size, localOffset } of entries) {
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== 0x04034b50)
      throw new Error(`corrupt zip: bad local header for ${name}`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    let content: Buffer;
    if (method === 0) content = Buffer.from(data);
    else if (method === 8) {
      try {
        // One byte over the declared size is enough to know the entry lies.
        content = inflateRawSync(data, { maxOutputLength: Math.max(1, size + 1) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          throw new Error(`corrupt zip: ${name} inflates to more than its declared ${size} bytes`);
        throw error;
      }
    } else throw new Error(`zip entry ${name} uses compression method ${method}; only stored and deflate are supported`);
    if (content.length !== size) throw new Error(`corrupt zip: ${name} is ${content.length} bytes, its header says ${size}`);
    files.set(name, content);
  }
  return files;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return i;
  }
  throw new Error('not a zip archive (no end of central directory)');
}
