import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { Lazy } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { FunctionUrlInvokeGrant, InvokeGrantee } from './invoke-grant';
import { type PolicyDocument, policyDocument, renderPolicy } from './policy-document';

/**
 * The role whose sessions are vended. It trusts only the vending function's execution role (to
 * assume it, tag the session and set its source identity), and may call the URLs granted to it
 * (`url.grantInvokeUrl(vendRole)`; every entitled URL is). Each vended session is the intersection
 * of this policy and the caller's session policy.
 */
export class VendRole extends Construct implements InvokeGrantee {
  readonly roleArn: string;
  readonly roleName: string;
  private readonly grants: FunctionUrlInvokeGrant[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: { name: string; executionRoleArn: string; path?: string; permissionsBoundary?: string; tags?: Record<string, string> },
  ) {
    super(sameConstructsCopy(scope), id);
    const role = new IamRole(this, 'Role', {
      name: props.name,
      path: props.path,
      permissionsBoundary: props.permissionsBoundary,
      tags: props.tags,
      // Role chaining caps the vended session at one hour whatever this says (IAM User Guide, "Role chaining").
      maxSessionDuration: 3600,
      assumeRolePolicy: renderPolicy(vendRoleTrustPolicy(props.executionRoleArn)),
    });
    this.roleArn = role.arn;
    this.roleName = role.name;
    new IamRolePolicy(this, 'Policy', {
      name: 'VendableRights',
      role: role.id,
      policy: Lazy.stringValue({ produce: () => renderPolicy(this.policy()) }),
    });
  }

  addInvokeGrant(grant: FunctionUrlInvokeGrant): void {
    if (!this.grants.some((held) => held.invokeArn === grant.invokeArn)) this.grants.push(grant);
  }

  /** The union of what may be vended, as data; Sids of later grants are numbered. */
  policy(): PolicyDocument {
    return policyDocument(
      this.grants.flatMap((grant, index) =>
        grant.statements.map((statement) =>
          index === 0 || statement.Sid === undefined ? statement : { ...statement, Sid: `${statement.Sid}${index + 1}` },
        ),
      ),
    );
  }
}

export function vendRoleTrustPolicy(executionRoleArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: 'VendingFunctionOnly',
      Effect: 'Allow',
      Principal: { AWS: executionRoleArn },
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
    },
  ]);
}

export function executionPolicy(vendRoleArn: string, logGroupArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: 'AssumeVendRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Resource: vendRoleArn,
    },
    // The log group is created by the construct (with retention), so no logs:CreateLogGroup.
    { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupArn}:*` },
  ]);
}
