import * as fs from 'node:fs';

/**
 * Reads at most `maxBytes` of a file, or says it is larger. `fs.statSync(file).size` cannot be the
 * guard: a device, a FIFO or a process substitution (/dev/stdin, `<(…)`) reports size 0, and
 * `readFileSync` then reads until memory runs out (on /dev/zero, until Node aborts with
 * std::bad_alloc). Not a package export: the CLI and the outputs reader share it.
 */
export function readFileAtMost(file: string, maxBytes: number): { bytes: Buffer } | { tooLarge: true } {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, Math.min(buffer.length, maxBytes + 1 - total), null);
      if (read === 0) return { bytes: Buffer.concat(chunks, total) };
      chunks.push(Buffer.from(buffer.subarray(0, read)));
      total += read;
      if (total > maxBytes) return { tooLarge: true };
    }
  } finally {
    fs.closeSync(fd);
  }
}
