import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Construct } from 'constructs';
import { App, AssetType, TerraformAsset } from 'cdktf';
import { zipDirectory } from './zip-writer';

/**
 * A handler directory as a Lambda deployment package, zipped in this process (the demo's handler,
 * the credential vendor's).
 *
 * cdktf's `AssetType.ARCHIVE` zips by starting a child `node` (its `archiveSync`), ~0.3 s of every
 * synth; a handler of a few kB needs none of that. `zipDirectory` writes fixed dates and modes,
 * so the bytes, and with them the hash and the asset's path, change only when a file's content or
 * name does: an unchanged handler never shows as a diff in a plan.
 */
export interface HandlerPackage {
  readonly asset: TerraformAsset;
  /** Base64 SHA-256 of the zip: what Lambda reports as CodeSha256 (for `source_code_hash`). */
  readonly sourceCodeHash: string;
  /** The LambdaFunction props that deploy it: `index.mjs`'s `handler` export, the zip and its hash. */
  readonly functionCode: { handler: string; filename: string; sourceCodeHash: string };
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
  const asset = new TerraformAsset(scope, id, { path: source, type: AssetType.FILE, assetHash });
  const sourceCodeHash = sha256.toString('base64');
  return { asset, sourceCodeHash, functionCode: { handler: 'index.handler', filename: asset.path, sourceCodeHash } };
}
