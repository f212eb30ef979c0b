import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { readZip } from '../local-aws/zip-archive';
import { handlerDirectory } from '../stacks/demo-stack';
import { zipDirectory } from '../constructs/zip-writer';
import { handlerPackage } from '../stacks/handler-archive';
import { useTempDir } from './support/temp-dir';

describe('the demo handler package, zipped in-process', () => {
  const temp = useTempDir('handler-archive-');

  it('holds the handler sources byte for byte, readable by an unzip of the stand-in', () => {
    const files = readZip(zipDirectory(handlerDirectory()));
    expect([...files.keys()]).toEqual(['index.mjs']);
    expect(files.get('index.mjs')!.equals(fs.readFileSync(path.join(handlerDirectory(), 'index.mjs')))).toBe(true);
  });

  it('is the same bytes every time (no timestamps), and changes when a file does', () => {
    const dir = temp();
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'index.mjs'), 'export const handler = async () => 1;\n');
    fs.writeFileSync(path.join(dir, 'lib', 'a.mjs'), 'export default 1;\n');
    const first = zipDirectory(dir);
    fs.utimesSync(path.join(dir, 'index.mjs'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(zipDirectory(dir).equals(first)).toBe(true);
    expect([...readZip(first).keys()]).toEqual(['index.mjs', 'lib/a.mjs']);
    fs.writeFileSync(path.join(dir, 'lib', 'a.mjs'), 'export default 2;\n');
    expect(zipDirectory(dir).equals(first)).toBe(false);
  });

  it("synthesizes as an asset under the stack, with source_code_hash = base64 SHA-256 of the zip (Lambda's CodeSha256)", () => {
    const outdir = temp();
    const app = new App({ outdir });
    const stack = new TerraformStack(app, 'pkg');
    const code = handlerPackage(stack, 'HandlerCode', handlerDirectory());
    app.synth();
    const zip = fs.readFileSync(path.join(outdir, 'stacks', 'pkg', code.asset.path));
    expect(code.asset.path).toMatch(/^assets\/HandlerCode\/[A-F0-9]{64}\/archive\.zip$/);
    expect(code.sourceCodeHash).toBe(createHash('sha256').update(zip).digest('base64'));
  });
});
