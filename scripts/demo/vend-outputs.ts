import * as fs from 'node:fs';
import type { Credentials } from '../../client/credentials';
import { VEND_DEMO_OUTPUTS } from '../../stacks/vend-demo-stack';
import { indent } from './callers';

/** What the vend demo's proofs read from its deployment, and how they report. */

export interface VendOutputs {
  urlA: string;
  urlB: string;
  vendorUrl: string;
  vendRoleArn: string;
  invoker: Credentials;
  unlisted: Credentials;
}

/** Collects failures; prints one PASS/FAIL line per expectation. */
export class Checks {
  readonly failed: string[] = [];
  constructor(private readonly out: (text: string) => void) {}
  expect(name: string, passed: boolean, got: string): void {
    if (!passed) this.failed.push(name);
    this.out(indent(`${passed ? 'PASS' : 'FAIL'}  ${name.padEnd(58)} got ${got}\n`));
  }
  throwIfFailed(what: string): void {
    if (this.failed.length > 0) throw new Error(`${what}: ${this.failed.join(', ')}`);
  }
}

/** The session ARN a vend for the invoker user must produce: `assumed-role/<vend role>/<user name>`. */
export function sessionArn(outputs: VendOutputs): string {
  const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(outputs.vendRoleArn) ?? [];
  return `arn:aws:sts::${account}:assumed-role/${roleName}/${invokerUserName(outputs)}`;
}

/** The vend role's prefix is the invoker user's: both come from the demo's name prefix. */
function invokerUserName(outputs: VendOutputs): string {
  const roleName = outputs.vendRoleArn.split('/').pop() ?? '';
  return `${roleName.slice(0, -'credential-vend'.length)}lambda_invoker`;
}

/** The stack's outputs, wherever cdktf's outputs file nests them. */
export function readVendOutputs(file: string): VendOutputs {
  const found = new Map<string, string>();
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) typeof value === 'string' ? found.set(key, value) : walk(value);
  };
  walk(JSON.parse(fs.readFileSync(file, 'utf8')));
  const get = (name: string): string => {
    const value = found.get(name);
    if (value === undefined) throw new Error(`the outputs file ${file} has no "${name}"`);
    return value;
  };
  const o = VEND_DEMO_OUTPUTS;
  return {
    urlA: get(o.urlA),
    urlB: get(o.urlB),
    vendorUrl: get(o.vendorUrl),
    vendRoleArn: get(o.vendRoleArn),
    invoker: { accessKeyId: get(o.invokerAccessKeyId), secretAccessKey: get(o.invokerSecretAccessKey) },
    unlisted: { accessKeyId: get(o.unlistedAccessKeyId), secretAccessKey: get(o.unlistedSecretAccessKey) },
  };
}
