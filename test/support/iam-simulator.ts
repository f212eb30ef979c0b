import { runSimulation } from '@cloud-copilot/iam-simulate';

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
