import type { IncomingHttpHeaders } from 'node:http';
import { createValidatedPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from './aws-error';
import type { IssuerKeys } from './oidc-keys';
import { integerParameter } from './query-parameters';
import {
  assumedRoleUserElement,
  credentialsElement,
  issueRoleSession,
  packedPolicySizeElement,
  roleWithArn,
  sessionNameOf,
  sessionPolicyArns,
  sessionPolicyDocuments,
  validateInlineSessionPolicy,
} from './sts-api';
import { type VerifiedToken, verifyWebIdentityToken } from './web-identity-token';
import type { World } from './world';
import type { Role } from './world-state';
import { el } from './xml';

/**
 * STS AssumeRoleWithWebIdentity, as AWS answers it: an **unsigned** call (the token is the
 * credential), so it is not one of the table's operations, which are authorized from a SigV4
 * principal. Its own order instead: parameters validated, the token verified (web-identity-token.ts),
 * then the role's trust policy decides, with the provider as the principal and the condition keys
 * AWS sets (`<issuer host/path>:aud`, `:sub`, `:amr`, `aws:FederatedProvider`, and `aws:SourceIp`
 * from the connection), then a session like AssumeRole's (session policy, PolicyArns, duration up
 * to the role's maximum).
 */

export const WEB_IDENTITY_ACTION = 'AssumeRoleWithWebIdentity';

export interface WebIdentityCall {
  params: URLSearchParams;
  world: World;
  keys: IssuerKeys;
  now: Date;
  /** The connection's address (never a header): `aws:SourceIp`. */
  sourceIp: string;
}

/** The Query parameters of a request naming AssumeRoleWithWebIdentity, or undefined for any other request. */
export function webIdentityParams(rawQuery: string, body: Buffer, headers: IncomingHttpHeaders): URLSearchParams | undefined {
  const form = body.length > 0 && /^application\/x-www-form-urlencoded/i.test(headers['content-type'] ?? '');
  const params = new URLSearchParams(form ? body.toString('utf8') : rawQuery);
  return params.get('Action') === WEB_IDENTITY_ACTION ? params : undefined;
}

const validation = (field: string, value: string, rule: string) =>
  new AwsError('ValidationError', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${rule}`);

export async function assumeRoleWithWebIdentity(call: WebIdentityCall): Promise<string[]> {
  const { world, now } = call;
  const { roleArn, sessionName, token, policy, policyArns, duration } = webIdentityParameters(call.params);
  const verified = await verifyWebIdentityToken(token, world, call.keys, now);
  const role = roleWithArn(world, roleArn);
  if (role === undefined || !trustAllows(world, role, verified, call.sourceIp)) {
    throw new AwsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
  }
  if (duration > role.maxSessionDuration)
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  // Looked up only now, so a caller the trust policy refuses learns nothing about which policies exist.
  const sessionPolicy = sessionPolicyDocuments(policyArns, world, policy);
  const session = issueRoleSession(world, role, sessionName, now, duration, { sessionPolicy });
  return [
    credentialsElement(session),
    el('SubjectFromWebIdentityToken', verified.subject),
    assumedRoleUserElement(session),
    ...(sessionPolicy === undefined ? [] : [packedPolicySizeElement(sessionPolicy)]),
    el('Provider', verified.provider.arn),
    el('Audience', verified.audience),
  ];
}

/** The request's parameters, checked as STS checks them (botocore's model), before the token is read. */
function webIdentityParameters(params: URLSearchParams) {
  const roleArn = params.get('RoleArn') ?? '';
  if (roleArn.length < 20 || roleArn.length > 2048) throw validation('roleArn', roleArn, 'Member must have length between 20 and 2048');
  const sessionName = sessionNameOf(params);
  const token = params.get('WebIdentityToken') ?? '';
  // The token is a secret: never echoed back.
  if (token.length < 4 || token.length > 20000)
    throw new AwsError(
      'ValidationError',
      "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000",
    );
  if (params.has('ProviderId'))
    throw new AwsError(
      'InvalidParameterValue',
      'ProviderId is for OAuth 2.0 access tokens (Login with Amazon, Facebook), which the local stand-in does not emulate.',
    );
  const policy = inlineSessionPolicy(params);
  const policyArns = sessionPolicyArns(params);
  const duration = integerParameter(params, 'DurationSeconds', 900, 43200, 3600);
  return { roleArn, sessionName, token, policy, policyArns, duration };
}

/** The inline session policy, checked as AssumeRole checks it. */
function inlineSessionPolicy(params: URLSearchParams): string | undefined {
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) validateInlineSessionPolicy(policy);
  return policy;
}

/**
 * The condition keys AWS sets for a web identity (IAM User Guide, "Available keys for AWS web
 * identity federation"): the claims under the provider's host/path, the provider, the caller's address.
 */
export function webIdentityContext(verified: VerifiedToken, sourceIp: string): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = Object.create(null);
  const prefix = verified.hostAndPath;
  context[`${prefix}:aud`] = verified.audience;
  context[`${prefix}:sub`] = verified.subject;
  const amr = verified.claims.amr;
  if (typeof amr === 'string' || (Array.isArray(amr) && amr.every((v) => typeof v === 'string'))) context[`${prefix}:amr`] = amr;
  context['aws:FederatedProvider'] = verified.provider.arn;
  context['aws:SourceIp'] = sourceIp;
  return context;
}

/**
 * The role's trust policy, evaluated with the provider as the principal. The simulator's safe
 * entry point drops condition keys it does not list for the action (most issuers' `<host>:sub`),
 * so the stored policy (validated when the role was created) is evaluated as given.
 */
function trustAllows(world: World, role: Role, verified: VerifiedToken, sourceIp: string): boolean {
  const context = webIdentityContext(verified, sourceIp);
  const key = JSON.stringify([role.arn, role.assumeRolePolicyDocument, verified.provider.arn, context]);
  const cache = decisionCacheOf(world);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const allowed = evaluateTrust(role, verified.provider.arn, context);
  if (cache.size > 10_000) cache.clear();
  cache.set(key, allowed);
  return allowed;
}

/**
 * Trust decisions, kept until the world changes (any IAM write bumps its generation), as the
 * Authorizer keeps its own: the same token claims, role and address give the same answer.
 */
const decisionCaches = new WeakMap<World, { generation: number; decisions: Map<string, boolean> }>();

function decisionCacheOf(world: World): Map<string, boolean> {
  let entry = decisionCaches.get(world);
  if (entry === undefined || entry.generation !== world.generation) {
    entry = { generation: world.generation, decisions: new Map() };
    decisionCaches.set(world, entry);
  }
  return entry.decisions;
}

function evaluateTrust(role: Role, providerArn: string, context: Record<string, string | string[]>): boolean {
  const trust = createValidatedPolicy(JSON.parse(role.assumeRolePolicyDocument), validateTrustPolicy, { name: 'trust-policy' });
  const result = runUnsafeSimulation(
    {
      request: {
        principal: providerArn,
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: { resource: role.arn, accountId: role.arn.split(':')[4] },
        contextVariables: context,
      },
      identityPolicies: [],
      resourcePolicy: trust,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result === 'Allowed';
}
