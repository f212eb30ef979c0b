import * as fs from 'node:fs';
import * as path from 'node:path';
import { readZip } from './zip-archive';

/**
 * A function's folders under the runner's code root: `fn-<uid>/` (0700, the function's own), its
 * unpacked code `task-<CodeSha256>/` and its `tmp/`, owned by the user it runs as when it has one.
 */
export interface FunctionDirectories {
  /** The user the function runs as; undefined when functions cannot have users of their own. */
  uid: number | undefined;
  codeDir: string;
  tmpDir: string;
}

/** Makes (or reuses) the folders of `code` under `codeRoot`: `dirUid` names the folder, `uid` owns it when defined. */
export function prepareFunctionDirectories(
  codeRoot: string,
  dirUid: number,
  uid: number | undefined,
  code: { codeSha256: string; zipBase64: string },
): FunctionDirectories {
  const functionDir = path.join(codeRoot, `fn-${dirUid}`);
  const codeDir = path.join(functionDir, `task-${code.codeSha256.replace(/[^A-Za-z0-9]/g, '_')}`);
  const tmpDir = path.join(functionDir, 'tmp');
  if (!fs.existsSync(codeDir)) unpack(code.zipBase64, codeDir);
  fs.mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  if (uid !== undefined) {
    for (const entry of [functionDir, tmpDir, codeDir, ...walk(codeDir)]) fs.chownSync(entry, uid, uid);
  }
  fs.chmodSync(functionDir, 0o700);
  return { uid, codeDir, tmpDir };
}

/** Unpacks the zip (bounded by Lambda's unzipped limit) into a directory of its own, 0700. */
function unpack(zipBase64: string, codeDir: string): void {
  const files = readZip(Buffer.from(zipBase64, 'base64'));
  fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
  for (const [name, data] of files) {
    const target = path.resolve(codeDir, name);
    if (!target.startsWith(codeDir + path.sep)) continue; // no zip-slip
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    fs.writeFileSync(target, data, { mode: 0o600 });
  }
}

function walk(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((entry) => path.join(dir, entry));
}
