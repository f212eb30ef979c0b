import { noSuchEntity } from './aws-error';
import {
  type Handler,
  type Resource,
  checkName,
  checkPath,
  checkPolicyDocument,
  iam,
  newEntity,
  parseTags,
  renderTags,
} from './iam-operation';
import type { QueryOperation } from './operation';
import { required } from './query-parameters';
import type { ManagedPolicy } from './world-state';
import { el, members } from './xml';

/**
 * IAM customer managed policies over the Query protocol: create, read, version and delete (what
 * hashicorp/aws 5.100 calls for aws_iam_policy). AWS-managed policies are read-only documents of
 * the world (world.ts). Attaching them is the users' and roles' operations (iam-api.ts).
 */

function renderPolicy(policy: ManagedPolicy, attachmentCount: number): string[] {
  return [
    el('PolicyName', policy.name),
    el('PolicyId', policy.policyId),
    el('Arn', policy.arn),
    el('Path', policy.path),
    el('DefaultVersionId', policy.defaultVersionId),
    el('AttachmentCount', attachmentCount),
    el('PermissionsBoundaryUsageCount', 0),
    el('IsAttachable', 'true'),
    el('Description', policy.description),
    el('CreateDate', policy.createDate),
    el('UpdateDate', policy.updateDate),
    renderTags(policy.tags),
  ];
}

const createPolicy: Handler = async ({ request: { params }, world }) => {
  const name = checkName(required(params, 'PolicyName'), 'PolicyName', 128);
  const path = checkPath(params.get('Path'));
  const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
  const policy = world.createPolicy({ name, path, document, description: params.get('Description') ?? undefined, tags: parseTags(params) });
  return [el('Policy', renderPolicy(policy, 0))];
};

const getPolicy: Handler = async ({ request: { params }, world }) => {
  const policy = world.policy(required(params, 'PolicyArn'));
  return [el('Policy', renderPolicy(policy, world.attachmentCount(policy.arn)))];
};

const getPolicyVersion: Handler = async ({ request: { params }, world }) => {
  const policy = world.policy(required(params, 'PolicyArn'));
  const versionId = required(params, 'VersionId');
  const version = policy.versions.find((v) => v.versionId === versionId);
  if (version === undefined) throw noSuchEntity(`Policy ${policy.arn} version ${versionId} does not exist or is not attachable.`);
  return [
    el('PolicyVersion', [
      el('Document', encodeURIComponent(version.document)),
      el('VersionId', version.versionId),
      el('IsDefaultVersion', String(version.versionId === policy.defaultVersionId)),
      el('CreateDate', version.createDate),
    ]),
  ];
};

const listPolicyVersions: Handler = async ({ request: { params }, world }) => {
  const policy = world.policy(required(params, 'PolicyArn'));
  return [
    el(
      'Versions',
      members(
        policy.versions.map((v) => [
          el('VersionId', v.versionId),
          el('IsDefaultVersion', String(v.versionId === policy.defaultVersionId)),
          el('CreateDate', v.createDate),
        ]),
      ),
    ),
    el('IsTruncated', 'false'),
  ];
};

const createPolicyVersion: Handler = async ({ request: { params }, world }) => {
  const policy = world.policy(required(params, 'PolicyArn'));
  const document = checkPolicyDocument(required(params, 'PolicyDocument'), 'identity', 'policyDocument');
  const version = world.createPolicyVersion(policy, document, params.get('SetAsDefault') === 'true');
  return [
    el('PolicyVersion', [
      el('VersionId', version.versionId),
      el('IsDefaultVersion', String(policy.defaultVersionId === version.versionId)),
      el('CreateDate', version.createDate),
    ]),
  ];
};

const deletePolicyVersion: Handler = async ({ request: { params }, world }) => {
  const policy = world.policy(required(params, 'PolicyArn'));
  world.deletePolicyVersion(policy, required(params, 'VersionId'));
  return undefined;
};

const deletePolicy: Handler = async ({ request: { params }, world }) => {
  world.deletePolicy(world.policy(required(params, 'PolicyArn')));
  return undefined;
};

export const namedPolicy: Resource = ({ request }) => request.params.get('PolicyArn') ?? '*';

export const MANAGED_POLICY_OPERATIONS: QueryOperation[] = [
  iam('CreatePolicy', newEntity('policy', 'PolicyName'), createPolicy),
  iam('GetPolicy', namedPolicy, getPolicy),
  iam('DeletePolicy', namedPolicy, deletePolicy),
  iam('GetPolicyVersion', namedPolicy, getPolicyVersion),
  iam('ListPolicyVersions', namedPolicy, listPolicyVersions),
  iam('CreatePolicyVersion', namedPolicy, createPolicyVersion),
  iam('DeletePolicyVersion', namedPolicy, deletePolicyVersion),
];
