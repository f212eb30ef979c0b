import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity } from '@smithy/types';
import { CredentialsUnavailableError } from './errors';
import { DEFAULT_STS_TIMEOUT_MS } from './sts';

export interface HeldCredentialsOptions {
  /** A named profile (may itself assume a role: role_arn + source_profile, SSO, …). @default AWS_PROFILE, else the default chain */
  profile?: string;
  /** @default AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials */
  credentialsFile?: string;
  /** @default AWS_CONFIG_FILE, else ~/.aws/config */
  configFile?: string;
  /** Region of the STS calls a profile with role_arn or web identity makes. */
  stsRegion?: string;
  /** Endpoint of those STS calls. @default AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL, else AWS's */
  stsEndpoint?: string;
  /** Per STS call the chain makes (connection and idle socket). @default 10000 */
  stsTimeoutMs?: number;
}

/**
 * The credentials the caller already holds, to sign with as they are (no AssumeRole of our own):
 * the AWS SDK's default chain (env, SSO, profile with role_arn/source_profile, web identity,
 * container and instance roles), which caches and refreshes them itself. For a caller that is
 * already in the invoker role: a role cannot assume itself unless its trust policy says so.
 * When the chain has nothing to give, the provider throws a `CredentialsUnavailableError`.
 */
export function heldCredentials(options: HeldCredentialsOptions = {}): () => Promise<AwsCredentialIdentity> {
  const timeoutMs = options.stsTimeoutMs ?? DEFAULT_STS_TIMEOUT_MS;
  const chain = fromNodeProviderChain({
    profile: options.profile,
    filepath: options.credentialsFile,
    configFilepath: options.configFile,
    // Passed to the SDK's own STS client (nested-clients spreads it into STSClient's config).
    clientConfig: {
      ...(options.stsRegion === undefined ? {} : { region: options.stsRegion }),
      ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    },
  });
  return async () => {
    try {
      return await chain();
    } catch (error) {
      throw new CredentialsUnavailableError(
        `no usable credentials from the AWS SDK's default chain${options.profile ? ` (profile "${options.profile}")` : ''}: ${(error as Error).message}`,
        [
          'The credentials you already hold are used as they are: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE or `profile` (a profile with role_arn + source_profile, SSO, web identity).',
        ],
        { cause: error },
      );
    }
  };
}
