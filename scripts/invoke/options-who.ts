import { DEFAULT_PROPAGATION_WAIT_SECONDS, DEFAULT_SESSION_DURATION_SECONDS } from '../../client/assume-role';
import { DEFAULT_STS_TIMEOUT_MS } from '../../client/sts';
import { type CliOption, CLI_STS_RETRIES } from './options-row';
import { fileText, wholeNumber } from './parsers';

/** The rows of the option table in --help's group "Who calls": who signs the call: the invoker role, its session and the other credential sources. */

/** A session policy is at most 2048 characters (checked by the library); a file far larger is not one. */
const MAX_SESSION_POLICY_FILE_BYTES = 64 * 1024;

export const WHO_CALLS_OPTIONS = {
  roleArn: {
    flag: 'role-arn',
    kind: 'value',
    placeholder: 'ARN',
    env: 'INVOKE_ROLE_ARN',
    output: 'roleArn',
    libraryOption: 'roleArn',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['role to assume'],
  },
  externalId: {
    flag: 'external-id',
    kind: 'value',
    placeholder: 'ID',
    env: 'INVOKE_EXTERNAL_ID',
    output: 'externalId',
    libraryOption: 'externalId',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['sts:ExternalId the role requires'],
  },
  sessionName: {
    flag: 'session-name',
    kind: 'value',
    placeholder: 'NAME',
    env: 'INVOKE_SESSION_NAME',
    libraryOption: 'sessionName',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['2-64 of [A-Za-z0-9+=,.@_-] (default lambda-url-invoke-<time>)'],
  },
  duration: {
    flag: 'duration',
    kind: 'value',
    placeholder: 'S',
    env: 'INVOKE_DURATION',
    libraryOption: 'durationSeconds',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: [`session length, 900-43200 s (default ${DEFAULT_SESSION_DURATION_SECONDS})`],
    parse: wholeNumber(900, 43200),
  },
  sessionPolicy: {
    flag: 'session-policy',
    kind: 'value',
    placeholder: 'FILE',
    libraryOption: 'sessionPolicy',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['scope-down session policy (JSON, at most 2048 characters)'],
    parse: fileText(MAX_SESSION_POLICY_FILE_BYTES, 'a session policy is at most 2048 characters'),
  },
  stsRegion: {
    flag: 'sts-region',
    kind: 'value',
    placeholder: 'R',
    libraryOption: 'stsRegion',
    group: 'Who calls',
    help: ['region of the STS endpoint (default: the signing region)'],
  },
  stsTimeout: {
    flag: 'sts-timeout',
    kind: 'value',
    placeholder: 'MS',
    libraryOption: 'stsTimeoutMs',
    group: 'Who calls',
    help: [`per STS call, then retried (${CLI_STS_RETRIES} retries) and exit 5 (default ${DEFAULT_STS_TIMEOUT_MS})`],
    parse: wholeNumber(1, 120_000),
  },
  propagationWait: {
    flag: 'propagation-wait',
    kind: 'value',
    placeholder: 'S',
    env: 'INVOKE_PROPAGATION_WAIT',
    libraryOption: 'propagationWaitSeconds',
    group: 'Who calls',
    help: [
      'retry AccessDenied this long right after a deploy, while IAM',
      `propagates (default ${DEFAULT_PROPAGATION_WAIT_SECONDS}; 0 fails at once)`,
    ],
    parse: wholeNumber(0, 600),
  },
  webIdentityTokenFile: {
    flag: 'web-identity-token-file',
    kind: 'value',
    placeholder: 'FILE',
    env: 'INVOKE_WEB_IDENTITY_TOKEN_FILE',
    libraryOption: 'tokenFile',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: [
      "assume the role with this OIDC token (a CI job's, e.g. GitHub Actions)",
      'by AssumeRoleWithWebIdentity: no AWS key at all; read again on every refresh',
    ],
  },
  useDefaultCredentials: {
    flag: 'use-default-credentials',
    kind: 'switch',
    assumeRoleOnly: true,
    group: 'Who calls',
    help: ['assume the role from your own identity (AWS SDK chain: env,', 'profile, SSO) instead of the invoker key in the outputs'],
  },
  noAssumeRole: {
    flag: 'no-assume-role',
    kind: 'switch',
    group: 'Who calls',
    help: [
      'sign with the credentials you already hold, as they are (AWS SDK',
      'chain: env, AWS_PROFILE / --profile with role_arn, SSO, web identity),',
      'for a caller that already is the invoker role; no AssumeRole',
    ],
  },
  profile: {
    flag: 'profile',
    kind: 'value',
    placeholder: 'NAME',
    env: 'AWS_PROFILE',
    libraryOption: 'profile',
    group: 'Who calls',
    help: ['the profile for --no-assume-role / --use-default-credentials'],
  },
  vendorUrl: {
    flag: 'vendor-url',
    kind: 'value',
    placeholder: 'URL',
    env: 'INVOKE_VENDOR_URL',
    libraryOption: 'vendorUrl',
    group: 'Who calls',
    help: [
      'sign with credentials from this credential vendor, which is called',
      'with the credentials you hold (AWS SDK chain, --profile); no AssumeRole',
    ],
  },
} as const satisfies Record<string, CliOption>;
