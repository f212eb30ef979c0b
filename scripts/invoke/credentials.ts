import { AssumeRoleCredentials, type CredentialEvent } from '../../client/assume-role';
import type { CredentialSource } from '../../client/credentials';
import { AssumeRoleError, isClientError } from '../../client/errors';
import { heldCredentials } from '../../client/held-credentials';
import { getCallerIdentity, stsEndpointFromEnv } from '../../client/sts';
import { vendedCredentials } from '../../client/vended-credentials';
import { type WebIdentityEvent, WebIdentityCredentials } from '../../client/web-identity';
import { CLI_STS_RETRIES } from './options';
import { maskKeyId } from './redaction';
import type { Settings } from './settings';

/** Where the signing credentials come from, and what the CLI reports about them. */
export interface CallerCredentials extends CredentialSource {
  /** In --verbose: "a session of ROLE, AssumeRole by the invoker user's key AKIA…WXYZ …". */
  readonly description: string;
  assumeRoleCalls(): number;
  /** The ARN the function should see as caller, when it can be known. */
  expectedCaller(): Promise<{ arn?: string; how: string }>;
}

export interface CredentialsContext {
  env: NodeJS.ProcessEnv;
  /** Retries and refresh failures: always shown. */
  notice: (line: string) => void;
  /** The other steps: --verbose. */
  verbose: (line: string) => void;
  /** The --presign lifetime, which the session must outlive. */
  presignSeconds?: number;
}

/**
 * The credentials the CLI signs with: those held, as they are (--no-assume-role), or a session of
 * the role, assumed with the invoker key from the outputs or with your own identity (both through
 * the AWS SDK's chain, so a profile with role_arn gets the STS endpoint and timeouts too).
 */
export function callerCredentials(settings: Settings, context: CredentialsContext): CallerCredentials {
  const stsEndpoint = stsEndpointFromEnv(context.env);
  const held = heldCredentials({
    profile: settings.profile,
    credentialsFile: context.env.AWS_SHARED_CREDENTIALS_FILE,
    configFile: context.env.AWS_CONFIG_FILE,
    stsRegion: settings.stsRegion,
    stsEndpoint,
    stsTimeoutMs: settings.stsTimeoutMs,
  });
  const chain = `AWS SDK default chain${settings.profile ? `, profile "${settings.profile}"` : ''}`;
  if (settings.vendorUrl !== undefined) {
    const vended = vendedCredentials({
      vendorUrl: settings.vendorUrl,
      credentials: held,
      // --region signs for a host that does not name its region (the stand-in, a proxy); an AWS
      // function URL names its own.
      region: settings.region,
      onEvent: (event) => context.notice(describeEvent(event)),
    });
    return withIdentityCheck(
      settings,
      stsEndpoint,
      `credentials from the vendor ${settings.vendorUrl}, asked for with the credentials you hold (${chain})`,
      (options) => vended.getCredentials(options),
    );
  }
  if (!settings.assumeRole)
    return withIdentityCheck(settings, stsEndpoint, `the credentials you hold (${chain}), without AssumeRole`, held);
  if (settings.webIdentityTokenFile !== undefined) return webIdentityCaller(settings, context, stsEndpoint);
  const assumed = new AssumeRoleCredentials({
    roleArn: settings.roleArn!,
    sessionName: settings.sessionName,
    durationSeconds: sessionSecondsFor(settings, context.presignSeconds),
    externalId: settings.externalId,
    sessionPolicy: settings.sessionPolicy,
    stsRegion: settings.stsRegion,
    sourceCredentials: settings.useInvokerKey ? settings.invokerKey : held,
    stsEndpoint,
    stsTimeoutMs: settings.stsTimeoutMs,
    transientRetries: CLI_STS_RETRIES,
    propagationWaitSeconds: settings.propagationWaitSeconds,
    onEvent: (event) =>
      (event.type === 'retry' || event.type === 'refresh-failed' ? context.notice : context.verbose)(describeEvent(event)),
  });
  const source = settings.useInvokerKey
    ? `the invoker user's key ${maskKeyId(settings.invokerKey!.accessKeyId)} from the outputs (${settings.outputs!.location})`
    : 'your own identity (AWS SDK default credential chain)';
  const viaAssumeRole: CallerCredentials = {
    description: `a session of ${settings.roleArn}, AssumeRole by ${source}${settings.externalId ? ', with the external ID' : ''}${settings.sessionPolicy ? ', with a session policy' : ''}`,
    getCredentials: (options) => assumed.getCredentials(options),
    assumeRoleCalls: () => assumed.assumeRoleCalls,
    expectedCaller: async () => ({ arn: (await assumed.getCredentials()).assumedRoleArn, how: 'the session AssumeRole returned' }),
  };
  // A session policy narrows what is signed: only AssumeRole can apply it.
  if (settings.useInvokerKey || settings.sessionPolicy !== undefined) return viaAssumeRole;
  return heldWhenAlreadyTheRole(viaAssumeRole, held, settings, context, stsEndpoint);
}

/**
 * Your own identity may already be a session of the role (a profile with role_arn, a session from
 * `aws sts assume-role`): AWS refuses a role assuming itself unless its trust policy names the role,
 * so, as the AWS CLI does, such credentials sign as they are. Decided once, from GetCallerIdentity
 * (`arn:aws:sts::<account>:assumed-role/<role name>/<session>`), and said on stderr.
 */
function heldWhenAlreadyTheRole(
  viaAssumeRole: CallerCredentials,
  held: CredentialSource['getCredentials'],
  settings: Settings,
  context: CredentialsContext,
  stsEndpoint: string | undefined,
): CallerCredentials {
  let decision: Promise<string | undefined> | undefined;
  const alreadyTheRole = () =>
    (decision ??= getCallerIdentity(held, { region: settings.stsRegion, endpoint: stsEndpoint, timeoutMs: settings.stsTimeoutMs }).then(
      (identity) => {
        if (!isSessionOf(identity.arn, settings.roleArn!)) return undefined;
        context.notice(
          `your credentials already are a session of ${settings.roleArn} (${identity.arn}): signing with them as they are, without AssumeRole (a role cannot assume itself)`,
        );
        return identity.arn;
      },
      () => undefined, // no usable identity: AssumeRole reports why
    ));
  return {
    description: `${viaAssumeRole.description}; or, when those credentials already are a session of the role, they themselves`,
    getCredentials: async (options) => ((await alreadyTheRole()) !== undefined ? held(options) : viaAssumeRole.getCredentials(options)),
    assumeRoleCalls: () => viaAssumeRole.assumeRoleCalls(),
    expectedCaller: async () => {
      const arn = await alreadyTheRole();
      return arn !== undefined ? { arn, how: 'from STS GetCallerIdentity with the credentials you hold' } : viaAssumeRole.expectedCaller();
    },
  };
}

/** True when `callerArn` is an STS session of the role `roleArn` (same account, same role name; a role's path is not in it). */
function isSessionOf(callerArn: string, roleArn: string): boolean {
  const role = /^arn:([\w-]+):iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/.exec(callerArn);
  return role !== null && session !== null && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

/** Credentials used as they are (held or vended): GetCallerIdentity with them says who the function will see. */
function withIdentityCheck(
  settings: Settings,
  stsEndpoint: string | undefined,
  description: string,
  getCredentials: CallerCredentials['getCredentials'],
): CallerCredentials {
  return {
    description,
    getCredentials,
    assumeRoleCalls: () => 0,
    expectedCaller: async () => {
      try {
        const identity = await getCallerIdentity(() => getCredentials(), {
          region: settings.stsRegion,
          endpoint: stsEndpoint,
          timeoutMs: settings.stsTimeoutMs,
        });
        return { arn: identity.arn, how: 'from STS GetCallerIdentity with the same credentials' };
      } catch (error) {
        return { how: `not checked: GetCallerIdentity failed (${(error as Error).message})` };
      }
    },
  };
}

/** A session of the role for a CI job's OIDC token: AssumeRoleWithWebIdentity, unsigned, no key anywhere. */
function webIdentityCaller(settings: Settings, context: CredentialsContext, stsEndpoint: string | undefined): CallerCredentials {
  const assumed = new WebIdentityCredentials({
    roleArn: settings.roleArn,
    tokenFile: settings.webIdentityTokenFile,
    sessionName: settings.sessionName,
    durationSeconds: sessionSecondsFor(settings, context.presignSeconds),
    sessionPolicy: settings.sessionPolicy,
    stsRegion: settings.stsRegion,
    stsEndpoint,
    stsTimeoutMs: settings.stsTimeoutMs,
    transientRetries: CLI_STS_RETRIES,
    propagationWaitSeconds: settings.propagationWaitSeconds,
    env: context.env,
    onEvent: (event) =>
      (event.type === 'retry' || event.type === 'refresh-failed' ? context.notice : context.verbose)(describeWebIdentityEvent(event)),
  });
  return {
    description: `a session of ${settings.roleArn}, AssumeRoleWithWebIdentity with the token in ${settings.webIdentityTokenFile} (read again on every refresh)${settings.sessionPolicy ? ', with a session policy' : ''}`,
    getCredentials: (options) => assumed.getCredentials(options),
    assumeRoleCalls: () => assumed.assumeCalls,
    expectedCaller: async () => ({
      arn: (await assumed.getCredentials()).assumedRoleArn,
      how: 'the session AssumeRoleWithWebIdentity returned',
    }),
  };
}

function describeWebIdentityEvent(event: WebIdentityEvent): string {
  if (event.type === 'assume-role-with-web-identity')
    return `assuming ${event.roleArn} with the web identity token as session "${event.sessionName}" for ${event.durationSeconds} s`;
  if (event.type === 'assumed')
    return `assumed ${event.assumedRoleArn} for token subject ${event.subject}; the session expires at ${event.expiration.toISOString()}`;
  return describeEvent(event);
}

/**
 * The session length asked for: as given, else for --presign one that outlives the URL (a presigned
 * URL cannot outlive the session that signed it), up to the role's max session duration (from the
 * outputs; AWS's default for a role is 3600 s).
 */
function sessionSecondsFor(settings: Settings, presignSeconds: number | undefined): number | undefined {
  if (settings.durationSeconds !== undefined || presignSeconds === undefined) return settings.durationSeconds;
  return Math.min(settings.outputs?.maxSessionDuration ?? 3600, Math.max(900, presignSeconds + 60));
}

function describeEvent(event: CredentialEvent): string {
  switch (event.type) {
    case 'assume-role':
      return `assuming ${event.roleArn} as session "${event.sessionName}" for ${event.durationSeconds} s`;
    case 'assumed':
      return `assumed ${event.assumedRoleArn}; the session expires at ${event.expiration.toISOString()}`;
    case 'retry':
      return event.reason === 'iam-propagation'
        ? `STS said ${event.code}; IAM may still be propagating after a deploy, retrying in ${(event.waitMs / 1000).toFixed(1)} s`
        : `STS said ${event.code}; retrying in ${(event.waitMs / 1000).toFixed(1)} s`;
    case 'refresh-failed':
      return `refreshing the session failed (${failureCode(event.error)}); the current one stays in use until ${event.keptUntil.toISOString()}`;
  }
}

function failureCode(error: unknown): string {
  if (error instanceof AssumeRoleError) return error.stsCode;
  return isClientError(error) ? error.code : ((error as Error)?.name ?? 'Error');
}
