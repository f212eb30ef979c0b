import type { QueryOperation } from './operation';
import type { World } from './world';
import { el } from './xml';

/**
 * IAM GetAccountSummary: the account's entity counts and IAM's default quotas (IAM User Guide,
 * "IAM and AWS STS quotas"), as AWS renders the SummaryMap (entry/key/value). Groups, instance
 * profiles, MFA devices, OIDC/SAML providers and server certificates are not emulated: 0.
 */
const QUOTAS: [string, number][] = [
  ['UsersQuota', 5000],
  ['RolesQuota', 1000],
  ['PoliciesQuota', 1500],
  ['GroupsQuota', 300],
  ['InstanceProfilesQuota', 1000],
  ['ServerCertificatesQuota', 20],
  ['AccessKeysPerUserQuota', 2],
  ['SigningCertificatesPerUserQuota', 2],
  ['GroupsPerUserQuota', 10],
  ['AttachedPoliciesPerUserQuota', 10],
  ['AttachedPoliciesPerRoleQuota', 10],
  ['AttachedPoliciesPerGroupQuota', 10],
  ['VersionsPerPolicyQuota', 5],
  ['PolicySizeQuota', 6144],
  ['UserPolicySizeQuota', 2048],
  ['RolePolicySizeQuota', 10240],
  ['GroupPolicySizeQuota', 5120],
  ['AssumeRolePolicySizeQuota', 2048],
  ['PolicyVersionsInUseQuota', 10000],
  ['GlobalEndpointTokenVersion', 1],
];

export const getAccountSummary: QueryOperation['handle'] = async ({ world }) => [
  el(
    'SummaryMap',
    [...counts(world), ...QUOTAS].map(([key, value]) => el('entry', [el('key', key), el('value', value)])),
  ),
];

function counts(world: World): [string, number][] {
  const { users, roles, policies } = world.state;
  const attached = [...Object.values(users), ...Object.values(roles)].reduce((n, entity) => n + entity.attachedPolicies.length, 0);
  return [
    ['Users', Object.keys(users).length],
    ['Roles', Object.keys(roles).length],
    ['Policies', Object.keys(policies).length],
    ['PolicyVersionsInUse', attached],
    ['Groups', 0],
    ['InstanceProfiles', 0],
    ['MFADevices', 0],
    ['MFADevicesInUse', 0],
    ['Providers', 0],
    ['ServerCertificates', 0],
    ['AccountMFAEnabled', 0],
    // The bootstrap key is the account root's access key.
    ['AccountAccessKeysPresent', 1],
    ['AccountSigningCertificatesPresent', 0],
  ];
}
