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
