import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { HttpRequest } from '@smithy/types';
import { type KnownKey, verifyRequest } from '../client/sigv4-verifier';
import { roleOfSession, sessionContext } from './session-context';
import { AwsError } from './aws-error';
import type { World } from './world';
import type { Session, User } from './world-state';

/**
 * One authentication and authorization pipeline for every request the stand-in receives:
 * SigV4 verified with the client's own verifier (client/sigv4.ts), the principal found
 * from the access key, and every non-admin request evaluated by @cloud-copilot/iam-simulate
 * against the principal's identity policies, its session policy, and the resource's policy.
 */

/** `temporary`: GetSessionToken credentials, which AWS keeps out of IAM and most of STS. */
export type Principal =
  | { kind: 'admin'; arn: string; accessKeyId: string; temporary?: boolean }
  | { kind: 'user'; arn: string; accessKeyId: string; user: User; temporary?: boolean }
  | { kind: 'session'; arn: string; accessKeyId: string; session: Session };

export interface AdminKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Policies that read the clock (condition keys are case-insensitive). */
const TIME_KEYS = /aws:(CurrentTime|EpochTime)/i;

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface AuthorizeOptions {
  /** Condition keys the request sets besides the caller's (e.g. `sts:ExternalId`). */
  context?: Record<string, string | string[]>;
  /** The resource's own policy (a role's trust policy, a function's policy), as JSON. */
  resourcePolicy?: string;
  /** The protocol's code for a refusal: `AccessDenied` (Query), `AccessDeniedException` (REST-JSON, JSON 1.1). @default 'AccessDenied' */
  deniedCode?: string;
}

export class Authorizer {
  /** Simulations run, and decisions answered from the cache, for the benchmark and tests. */
  stats = { simulations: 0, cacheHits: 0 };
  private cache = new Map<string, Decision>();
  private cacheGeneration = -1;

  constructor(
    private readonly world: World,
    private readonly admin: AdminKey,
    private readonly now: () => Date = () => new Date(),
  ) {}

  lookupKey(accessKeyId: string): KnownKey | undefined {
    if (accessKeyId === this.admin.accessKeyId) return { secretAccessKey: this.admin.secretAccessKey };
    const key = this.world.state.accessKeys[accessKeyId];
    if (key !== undefined) return key.status === 'Active' ? { secretAccessKey: key.secretAccessKey } : undefined;
    const session = this.world.state.sessions[accessKeyId];
    if (session !== undefined)
      return { secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiresAt: new Date(session.expiration) };
    return undefined;
  }

  /** Verifies the signature; resolves the principal or throws AWS's error for the failure. */
  async authenticate(request: HttpRequest, service: string, region?: string): Promise<Principal> {
    return (await this.authenticateRequest(request, service, region)).principal;
  }

  /** As `authenticate`, also saying what the signature covers: the body (see VerificationSuccess.payloadSigned) and which headers. */
  async authenticateRequest(
    request: HttpRequest,
    service: string,
    region?: string,
  ): Promise<{ principal: Principal; payloadSigned: boolean; signedHeaders: string[] }> {
    const result = await verifyRequest(request, (id) => this.lookupKey(id), { service, region, now: this.now() });
    if (!result.ok) {
      const status = result.code === 'MissingAuthenticationToken' ? 403 : result.code === 'IncompleteSignature' ? 400 : 403;
      throw new AwsError(result.code, result.message, status);
    }
    return { principal: this.principalFor(result.accessKeyId), payloadSigned: result.payloadSigned, signedHeaders: result.signedHeaders };
  }

  principalFor(accessKeyId: string): Principal {
    if (accessKeyId === this.admin.accessKeyId) return { kind: 'admin', arn: `arn:aws:iam::${this.world.accountId}:root`, accessKeyId };
    const key = this.world.state.accessKeys[accessKeyId];
    if (key !== undefined) {
      const user = this.world.state.users[key.userName];
      if (user === undefined) throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return { kind: 'user', arn: user.arn, accessKeyId, user };
    }
    const session = this.world.state.sessions[accessKeyId];
    if (session === undefined) throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    if (session.issuedTo?.kind === 'root')
      return { kind: 'admin', arn: `arn:aws:iam::${this.world.accountId}:root`, accessKeyId, temporary: true };
    if (session.issuedTo?.kind === 'user') {
      const user = this.world.state.users[session.issuedTo.userName];
      if (user === undefined || (session.issuedTo.userId !== undefined && user.userId !== session.issuedTo.userId))
        throw new AwsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      return { kind: 'user', arn: user.arn, accessKeyId, user, temporary: true };
    }
    return { kind: 'session', arn: session.assumedRoleArn, accessKeyId, session };
  }

  /** Identity policies of a principal, as parsed documents (managed ones at their default version). */
  identityPolicies(principal: Principal): unknown[] {
    const managed = (arns: string[]) =>
      arns.flatMap((arn) => {
        const document = this.world.defaultPolicyDocument(arn);
        return document === undefined ? [] : [JSON.parse(document)];
      });
    if (principal.kind === 'user') {
      return [...Object.values(principal.user.inlinePolicies).map((d) => JSON.parse(d)), ...managed(principal.user.attachedPolicies)];
    }
    if (principal.kind === 'session') {
      const role = roleOfSession(this.world, principal.session);
      if (role === undefined) return [];
      return [...Object.values(role.inlinePolicies).map((d) => JSON.parse(d)), ...managed(role.attachedPolicies)];
    }
    return [];
  }

  private boundary(principal: Principal): unknown[] | undefined {
    const arn =
      principal.kind === 'user'
        ? principal.user.permissionsBoundary
        : principal.kind === 'session'
          ? roleOfSession(this.world, principal.session)?.permissionsBoundary
          : undefined;
    if (arn === undefined) return undefined;
    const document = this.world.defaultPolicyDocument(arn);
    // A boundary that names no policy (this account's or AWS's) is not applied.
    return document === undefined ? undefined : [JSON.parse(document)];
  }

  /**
   * The global condition keys AWS sets from the caller. Time keys (aws:CurrentTime, aws:EpochTime)
   * are not set: they would make every decision uncacheable, and no policy here uses them.
   */
  principalContext(principal: Principal): Record<string, string> {
    // A principal of another account (a function policy may name one) carries its own account.
    const temporary = this.world.state.sessions[principal.accessKeyId];
    const issuedAt = temporary?.issuedAt;
    const base = {
      'aws:PrincipalAccount': principal.arn.split(':')[4] || this.world.accountId,
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': this.world.region,
      // Temporary credentials carry their issue time: the IAM console's "Revoke active sessions"
      // is a Deny with DateLessThan on it, which would never apply without it.
      ...(issuedAt === undefined ? {} : { 'aws:TokenIssueTime': issuedAt }),
      // Present (false) for temporary credentials obtained without MFA, absent for long-term keys
      // (IAM's global condition keys): a `Bool` Deny on it applies to sessions, as on AWS.
      ...(temporary === undefined ? {} : { 'aws:MultiFactorAuthPresent': 'false' }),
    };
    switch (principal.kind) {
      case 'admin':
        return { ...base, 'aws:PrincipalArn': principal.arn, 'aws:PrincipalType': 'Account', 'aws:userid': this.world.accountId };
      case 'user': {
        // A user's own tags are aws:PrincipalTag/<key> (as a role's are for its sessions): without
        // them a Deny conditioned on a tag the user carries would never apply.
        const tags: Record<string, string> = Object.create(null);
        for (const tag of principal.user.tags ?? []) tags[`aws:PrincipalTag/${tag.Key}`] = tag.Value;
        return {
          ...base,
          ...tags,
          'aws:PrincipalArn': principal.arn,
          'aws:PrincipalType': 'User',
          'aws:userid': principal.user.userId,
          'aws:username': principal.user.name,
        };
      }
      case 'session':
        // For a role session, aws:PrincipalArn is the role's ARN, not the session's.
        return {
          ...base,
          ...sessionContext(this.world, principal.session),
          'aws:PrincipalArn': principal.session.roleArn,
          'aws:PrincipalType': 'AssumedRole',
          'aws:userid': `${principal.session.roleId}:${principal.session.sessionName}`,
        };
    }
  }

  /**
   * The IAM decision for `principal` doing `action` on `resource`. The admin key (Terraform's)
   * is the account root and always allowed. Decisions are cached until the world changes.
   */
  async decide(
    principal: Principal,
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
    resourcePolicy?: string,
  ): Promise<Decision> {
    // The admin key is the account root: every identity permission, but a role's trust policy
    // still decides whether it may assume that role.
    if (principal.kind === 'admin' && !(action === 'sts:AssumeRole' && resourcePolicy !== undefined)) return 'Allowed';
    if (this.cacheGeneration !== this.world.generation) {
      this.cache.clear();
      this.cacheGeneration = this.world.generation;
    }
    const sessionPolicy = principal.kind === 'session' ? principal.session.sessionPolicy : undefined;
    const key = JSON.stringify([principal.accessKeyId, action, resource, context, resourcePolicy ?? null]);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    this.stats.simulations++;
    // The policies are read now; a change while the simulation runs makes this result stale.
    const computedAt = this.world.generation;
    const boundary = this.boundary(principal);
    const identity = principal.kind === 'admin' ? [ALLOW_ALL] : this.identityPolicies(principal);
    // The time keys are set only when a policy of this decision reads them, and such a decision
    // is not cached (it changes with the clock): a time-limited Deny must apply, as on AWS.
    const timed = TIME_KEYS.test(JSON.stringify([identity, sessionPolicy ?? null, resourcePolicy ?? null, boundary ?? null]));
    const clock: Record<string, string> = timed
      ? {
          'aws:CurrentTime': this.now()
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z'),
          'aws:EpochTime': String(Math.floor(this.now().getTime() / 1000)),
        }
      : {};
    const result = await runSimulation(
      {
        request: {
          principal: principal.arn,
          action,
          resource: { resource, accountId: this.world.accountId },
          contextVariables: { ...this.principalContext(principal), ...clock, ...context },
        },
        identityPolicies: identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
        sessionPolicy: sessionPolicy === undefined ? undefined : JSON.parse(sessionPolicy),
        resourcePolicy: resourcePolicy === undefined ? undefined : JSON.parse(resourcePolicy),
        permissionBoundaryPolicies: boundary?.map((policy, i) => ({ name: `boundary-${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error')
      throw new AwsError('InternalFailure', `policy evaluation failed: ${result.errors.message}`, 500, 'Receiver');
    const decision = result.overallResult as Decision;
    // A decision computed before a change is answered to the request that asked for it (which
    // arrived before the change) but never stored after it: it would outlive a revocation.
    if (timed || computedAt !== this.world.generation || this.cacheGeneration !== computedAt) return decision;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, decision);
    return decision;
  }

  /** Throws AWS's AccessDenied (`deniedCode`: the protocol's name for it) unless allowed. */
  async authorize(principal: Principal, action: string, resource: string, options: AuthorizeOptions = {}): Promise<void> {
    const { context, resourcePolicy, deniedCode: code = 'AccessDenied' } = options;
    const decision = await this.decide(principal, action, resource, context, resourcePolicy);
    if (decision !== 'Allowed') {
      const why =
        decision === 'ExplicitlyDenied'
          ? 'with an explicit deny'
          : `because no ${resourcePolicy ? 'identity-based or resource-based' : 'identity-based'} policy allows the ${action} action`;
      throw new AwsError(code, `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
    }
  }
}
