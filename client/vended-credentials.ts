import type { CredentialSource, Credentials, CredentialsInput } from './credentials';
import { ClientOptionError, VendedCredentialsError } from './errors';
import { FunctionUrlClient } from './function-url-client';
import { type RefreshEvent, type RefreshingCredentials, refreshingCredentials } from './refreshing-credentials';

/**
 * The vended source: temporary credentials from a credential vendor (the `CredentialVendor`
 * construct's function URL), asked for with a SigV4-signed call made with the caller's own
 * credentials, and cached and refreshed by `refreshingCredentials` like an AssumeRole session.
 */

export interface VendedCredentialsOptions {
  /** The vendor's function URL (the `vendor_url` output). */
  vendorUrl: string;
  /** Who calls the vendor: an entitled IAM user or role session (a provider such as the AWS SDK's chain). */
  credentials: CredentialsInput;
  /** 900 to 3600, at most the caller's entitlement. @default the entitlement's maximum */
  durationSeconds?: number;
  /** Signing region of the vendor URL. @default the region in its host */
  region?: string;
  /** Per attempt. @default 10000 */
  timeoutMs?: number;
  /** Retries of 5xx, 429 and network errors. @default 2 */
  retries?: number;
  /** @default 300 */
  refreshBeforeExpirySeconds?: number;
  onEvent?: (event: RefreshEvent) => void;
  /** For tests. */
  fetch?: typeof fetch;
  clock?: () => number;
}

/** Vended credentials always carry a session token and an expiry. */
export interface VendedCredentialsValue extends Credentials {
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** The answer a vendor gives, checked: what `credential_process` prints (AWS CLI User Guide, "Sourcing credentials with an external process"). */
export interface CredentialProcessOutput {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

export function vendedCredentials(options: VendedCredentialsOptions): VendedCredentials {
  return new VendedCredentials(options);
}

export class VendedCredentials implements CredentialSource<VendedCredentialsValue> {
  private readonly client: FunctionUrlClient;
  private readonly cache: RefreshingCredentials<VendedCredentialsValue>;
  private readonly clock: () => number;
  private calls = 0;

  constructor(private readonly options: VendedCredentialsOptions) {
    if (typeof options?.vendorUrl !== 'string')
      throw new ClientOptionError('vendorUrl', options?.vendorUrl, 'must be the URL of a credential vendor');
    if (options.credentials === undefined)
      throw new ClientOptionError(
        'credentials',
        undefined,
        'must be given: the vendor is an AWS_IAM function URL, so the call must be signed',
      );
    const duration = options.durationSeconds;
    if (duration !== undefined && (!Number.isInteger(duration) || duration < 900 || duration > 3600))
      throw new ClientOptionError(
        'durationSeconds',
        duration,
        'must be a whole number of seconds from 900 to 3600 (role chaining caps a vended session at one hour)',
      );
    this.clock = options.clock ?? Date.now;
    this.client = new FunctionUrlClient({
      url: options.vendorUrl,
      credentials: options.credentials,
      region: options.region,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      // A credentials answer is a few hundred bytes; anything far larger is not one.
      maxBodyBytes: 64 * 1024,
      fetch: options.fetch,
    });
    this.cache = refreshingCredentials(() => this.vend(), {
      refreshBeforeExpirySeconds: options.refreshBeforeExpirySeconds,
      onEvent: options.onEvent,
      clock: this.clock,
    });
  }

  /** Calls made to the vendor (successful or not), for tests and the benchmark. */
  get vendCalls(): number {
    return this.calls;
  }

  getCredentials(options: { validForSeconds?: number } = {}): Promise<VendedCredentialsValue> {
    return this.cache.getCredentials(options);
  }

  invalidate(): void {
    this.cache.invalidate();
  }

  private async vend(): Promise<VendedCredentialsValue> {
    this.calls++;
    const query: Record<string, string> = { format: 'credential_process' };
    if (this.options.durationSeconds !== undefined) query.durationSeconds = String(this.options.durationSeconds);
    const response = await this.client.invoke({ method: 'GET', query });
    if (response.status !== 200) throw refusalOf(response.status, response.json, this.options.vendorUrl);
    return parseVendedAnswer(response.json, this.clock());
  }
}

/** Turns a vendor's answer into credentials, or says what is wrong with it (never echoing a secret). */
export function parseVendedAnswer(body: unknown, now: number): VendedCredentialsValue {
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Partial<Record<keyof CredentialProcessOutput, unknown>>;
  const invalid = (what: string) =>
    new VendedCredentialsError('vend-failed', `the vendor's answer is not credentials: ${what}`, [
      'Is `vendorUrl` the URL of a credential vendor (the `vendor_url` output), not of another function?',
    ]);
  if (answer.Version !== 1) throw invalid('Version is not 1');
  if (typeof answer.AccessKeyId !== 'string' || !ACCESS_KEY_ID.test(answer.AccessKeyId))
    throw invalid('AccessKeyId is missing or malformed');
  for (const field of ['SecretAccessKey', 'SessionToken'] as const) {
    const value = answer[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 4096) throw invalid(`${field} is missing or malformed`);
  }
  const expiration = typeof answer.Expiration === 'string' ? new Date(answer.Expiration) : new Date(Number.NaN);
  if (Number.isNaN(expiration.getTime())) throw invalid('Expiration is not a date');
  if (expiration.getTime() <= now) throw invalid(`the credentials expired at ${expiration.toISOString()}`);
  return {
    accessKeyId: answer.AccessKeyId,
    secretAccessKey: answer.SecretAccessKey as string,
    sessionToken: answer.SessionToken as string,
    expiration,
  };
}

/** The credentials in the `credential_process` format (what `lambda-url-invoke --credential-process` prints). */
export function credentialProcessOutput(credentials: VendedCredentialsValue): CredentialProcessOutput {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration.toISOString(),
  };
}

function refusalOf(status: number, body: unknown, vendorUrl: string): VendedCredentialsError {
  const said = typeof body === 'object' && body !== null ? (body as { error?: unknown; reason?: unknown }) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value.replace(/[^\x20-\x7e]/g, '?').slice(0, 300) : undefined);
  const vendorError = text(said.error);
  const reason = text(said.reason);
  const details = { status, vendorError, reason };
  if (status === 400 || status === 403) {
    const message =
      vendorError !== undefined
        ? `the credential vendor refused (HTTP ${status} ${vendorError}): ${reason ?? 'no reason given'}`
        : `the credential vendor's URL refused the call (HTTP ${status}): IAM did not let these credentials call it`;
    return new VendedCredentialsError(
      'vend-refused',
      message,
      [
        'The caller must be listed in an entitlement of the CredentialVendor (its user, or the role whose session it is).',
        `The caller needs lambda:InvokeFunction on the vendor (with lambda:InvokedViaFunctionUrl) in its identity policy where the vendor's resource policy cannot grant it: see ${vendorUrl}'s CredentialVendor.invokeStatements().`,
      ],
      details,
    );
  }
  return new VendedCredentialsError(
    'vend-failed',
    `the credential vendor failed (HTTP ${status}${vendorError ? ` ${vendorError}` : ''})`,
    ["The vendor's log says why."],
    details,
  );
}
