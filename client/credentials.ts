/**
 * Layer 1 of the client: credentials. One contract for every source: an async provider of
 * `{ accessKeyId, secretAccessKey, sessionToken?, expiration? }`. A source that fetches temporary
 * credentials is a function that fetches, plugged into `refreshingCredentials` (which caches and
 * refreshes them); AssumeRole is one (`assumeRoleCredentials`). `heldCredentials` is the AWS SDK's
 * chain, which caches and refreshes itself.
 */

/** Signing credentials: a key pair, and for temporary credentials their session token and expiry. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A source of credentials that can be asked for credentials valid for a while (a presigned URL's lifetime). */
export interface CredentialSource<C extends Credentials = Credentials> {
  /** `validForSeconds`: a source that can renew its credentials returns ones that last that long, if it can. */
  getCredentials(options?: { validForSeconds?: number }): Promise<C>;
}

/** An async provider, such as the AWS SDK's (`fromNodeProviderChain()`, `fromIni({ profile })`). */
export type CredentialProvider = () => Promise<Credentials>;

/** What the client accepts as `credentials`: a source, or a provider function (which refreshes itself). */
export type CredentialsInput = CredentialSource | CredentialProvider;

export function credentialSourceOf(input: CredentialsInput): CredentialSource {
  return typeof input === 'function' ? { getCredentials: () => input() } : input;
}

export * from './assume-role';
export * from './held-credentials';
export * from './refreshing-credentials';
export {
  DEFAULT_STS_TIMEOUT_MS,
  StsApi,
  StsTimeoutError,
  createStsApi,
  getCallerIdentity,
  stsEndpointFromEnv,
  stsEndpointLabel,
} from './sts';
export * from './web-identity';
