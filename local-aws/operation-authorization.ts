import type { Authorizer, AuthorizeOptions, Principal } from './authorization';
import { AwsError } from './aws-error';
import type { AuthorizationInput, Operation, UnemulatedOperation } from './operation';

/**
 * The one place an operation is authorized, from its declaration, before its handler runs (AWS's
 * order): a caller without the right gets AccessDenied whether the user, role or function the
 * request names exists or not, and whether this stand-in emulates the operation or not. Only an
 * allowed caller learns that an entity does not exist or that an operation is not emulated here.
 */

/** Action names are `[A-Za-z0-9]+`; anything else is not an operation of any AWS service. */
const ACTION_NAME = /^[A-Z][A-Za-z0-9]{0,127}$/;

export function checkActionName(action: string, version: string): void {
  if (!ACTION_NAME.test(action)) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`);
}

/** How the protocol names a refusal and an action no AWS service has. */
export interface RefusalCodes {
  /** `AccessDenied` (Query), `AccessDeniedException` (REST-JSON, JSON 1.1). */
  denied: string;
  /** `InvalidAction` (Query), `UnknownOperationException` (REST-JSON, JSON 1.1). */
  unknownAction: string;
  /** The service's API version, named in the refusal of an unknown action. */
  version: string;
}

/** Throws the protocol's refusal unless the declaration lets the caller call the operation. */
export async function authorizeOperation(
  operation: Operation | UnemulatedOperation,
  input: AuthorizationInput,
  authorizer: Authorizer,
  codes: RefusalCodes,
): Promise<void> {
  const { principal } = input;
  checkCredentials(operation, principal, codes.denied);
  if ('requiresPermission' in operation && operation.requiresPermission === false) return;
  const resource = operation.resource(input);
  const resourcePolicy = 'resourcePolicy' in operation ? operation.resourcePolicy?.(input) : undefined;
  if ('resourcePolicyRequired' in operation && operation.resourcePolicyRequired === true && resourcePolicy === undefined) {
    throw new AwsError(
      codes.denied,
      `User: ${principal.arn} is not authorized to perform: ${operation.action} on resource: ${resource}`,
      403,
    );
  }
  const context = { ...sourceIpContext(input.sourceIp), ...('context' in operation ? operation.context?.(input) : undefined) };
  await authorizeAction(authorizer, principal, operation.action, resource, { context, resourcePolicy, deniedCode: codes.denied }, codes);
}

/** `aws:SourceIp`, the global key AWS sets from the connection's address (IAM User Guide, global condition keys). */
export function sourceIpContext(sourceIp: string | undefined): Record<string, string> {
  return sourceIp === undefined ? {} : { 'aws:SourceIp': sourceIp };
}

/** The credential rules of the declaration (operation.ts, CredentialRule). */
function checkCredentials(operation: Operation | UnemulatedOperation, principal: Principal, deniedCode: string): void {
  const rule = operation.credentials ?? 'any';
  const sessionToken = principal.kind !== 'session' && principal.temporary === true;
  if (rule === 'not-session-token' && sessionToken) {
    throw new AwsError(
      deniedCode,
      `${operation.service.toUpperCase()} ${operation.name} cannot be called with GetSessionToken credentials without MFA (MFA is not emulated here).`,
      403,
    );
  }
  if (rule === 'long-term' && (sessionToken || principal.kind === 'session'))
    throw new AwsError(deniedCode, `Cannot call ${operation.name} with session credentials`, 403);
}

/**
 * Authorizes `action` on `resource`. An action name that no AWS service has is the protocol's
 * unknown-action error for everyone (which operations AWS has is public knowledge); a real one is
 * AccessDenied unless allowed, emulated here or not.
 */
async function authorizeAction(
  authorizer: Authorizer,
  principal: Principal,
  action: string,
  resource: string,
  options: AuthorizeOptions,
  codes: RefusalCodes,
): Promise<void> {
  try {
    await authorizer.authorize(principal, action, resource, options);
  } catch (error) {
    if (!(error instanceof AwsError) || error.code !== 'InternalFailure') throw error;
    if (/invalid\.action/.test(error.message))
      throw new AwsError(codes.unknownAction, `Could not find operation ${action.split(':')[1]} for version ${codes.version}`);
    // A name that is not an ARN of the action's resource type (e.g. PolicyArn=constructor): the
    // simulator cannot match it, so the right is checked on every resource; the operation itself
    // then refuses the name.
    if (resource === '*') throw error;
    await authorizer.authorize(principal, action, '*', options);
  }
}
