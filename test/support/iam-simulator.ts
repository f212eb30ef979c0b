import { createValidatedPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { allowedContextKeysForRequest, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';

export interface SimulatedRequest {
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  identityPolicies: Record<string, unknown>[];
  /** Role trust policy for sts:AssumeRole, the function policy for Lambda (when any). */
  resourcePolicy?: Record<string, unknown>;
  sessionPolicy?: Record<string, unknown>;
}

export interface SimulatedDecision {
  decision: string;
  ignoredContextKeys: string[];
}

/**
 * Evaluates one request with @cloud-copilot/iam-simulate. Fails (throws) when the simulator
 * rejects the input, so a typo in a policy or a key can never pass as "denied".
 */
export async function simulate(request: SimulatedRequest): Promise<SimulatedDecision> {
  const accountId = request.resource.split(':')[4] || request.principal.split(':')[4];
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId },
        contextVariables: request.context ?? {},
      },
      identityPolicies: request.identityPolicies.map((policy, index) => ({ name: `identity-${index}`, policy })),
      resourcePolicy: request.resourcePolicy,
      sessionPolicy: request.sessionPolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType !== 'single') {
    throw new Error(`simulation of ${request.action} on ${request.resource} did not run as one request: ${JSON.stringify(result)}`);
  }
  return { decision: result.overallResult, ignoredContextKeys: result.result.ignoredContextKeys ?? [] };
}

export interface WebIdentityRequest {
  /** The IAM OIDC provider the token was checked against: the principal the trust policy must name. */
  provider: string;
  role: string;
  /** The token's claims (`aud`, `sub`, …): IAM names them `<provider host/path>:<claim>`. */
  claims: Record<string, string>;
  /** @default "sts:AssumeRoleWithWebIdentity" */
  action?: string;
  trustPolicy: Record<string, unknown>;
}

/**
 * Evaluates AssumeRoleWithWebIdentity for a token of `provider`. The simulator's action data lists
 * the claim keys of a few issuers only (not `<issuer>:aud` or `:sub` of most), and runSimulation
 * drops keys it does not list; so here the trust policy is validated as runSimulation would, the
 * context holds exactly the claim keys AWS sets for that provider (IAM User Guide, "Available keys
 * for AWS web identity federation"), and the request is evaluated as given (runUnsafeSimulation).
 * A typo in the policy still fails the test instead of passing as "denied".
 */
export function simulateWebIdentity(request: WebIdentityRequest): string {
  const [, providerPath] = /:oidc-provider\/(.+)$/.exec(request.provider) ?? [];
  if (providerPath === undefined) throw new Error(`${request.provider} is not an IAM OIDC provider ARN`);
  const errors = validateTrustPolicy(request.trustPolicy);
  if (errors.length > 0) throw new Error(`invalid trust policy: ${JSON.stringify(errors)}`);
  const contextVariables = Object.fromEntries(Object.entries(request.claims).map(([claim, value]) => [`${providerPath}:${claim}`, value]));
  return runUnsafeSimulation(
    {
      request: {
        principal: request.provider,
        action: request.action ?? 'sts:AssumeRoleWithWebIdentity',
        resource: { resource: request.role, accountId: request.role.split(':')[4] },
        contextVariables,
      },
      identityPolicies: [],
      // A validated policy carries its name: the unsafe engine reads it from there.
      resourcePolicy: createValidatedPolicy(request.trustPolicy, validateTrustPolicy, { name: 'trust-policy' }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
}

/** Whether the simulator knows `key` for `action` on `resource` (it ignores the keys it does not). */
export async function isKnownContextKey(action: string, resource: string, key: string): Promise<boolean> {
  const [service, name] = action.split(':');
  return (await allowedContextKeysForRequest(service, name, resource, false, undefined)).includes(key.toLowerCase());
}

/**
 * The function's resource policy as AWS renders it from `aws_lambda_permission` configs (GetPolicy):
 * an ARN principal becomes `{"AWS": arn}`, the resource is the function ARN plus `:qualifier`,
 * `function_url_auth_type` becomes a StringEquals on `lambda:FunctionUrlAuthType`, and
 * `invoked_via_function_url = true` a Bool on `lambda:InvokedViaFunctionUrl` (as in AWS's
 * "Control access to Lambda function URLs" examples).
 */
export function functionPolicyFromPermissions(permissions: Record<string, any>[], functionArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Id: 'default',
    Statement: permissions.map((permission) => {
      const condition: Record<string, Record<string, string>> = {};
      if (permission.function_url_auth_type !== undefined)
        condition.StringEquals = { 'lambda:FunctionUrlAuthType': permission.function_url_auth_type };
      if (permission.invoked_via_function_url === true) condition.Bool = { 'lambda:InvokedViaFunctionUrl': 'true' };
      return {
        Sid: permission.statement_id,
        Effect: 'Allow',
        Principal: { AWS: permission.principal },
        Action: permission.action,
        Resource: permission.qualifier === undefined ? functionArn : `${functionArn}:${permission.qualifier}`,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      };
    }),
  };
}
