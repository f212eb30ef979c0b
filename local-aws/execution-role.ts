import { runSimulation } from '@cloud-copilot/iam-simulate';
import { AwsError } from './aws-error';
import type { OperationCall } from './operation';
import { newSessionKeys, roleWithArn } from './sts-api';
import type { World } from './world';
import type { Session } from './world-state';

/**
 * A function's execution role, as Lambda uses it: CreateFunction accepts only a role whose trust
 * policy lets `lambda.amazonaws.com` assume it, and every invocation runs with temporary
 * credentials of a session of that role named after the function
 * (`arn:aws:sts::<account>:assumed-role/<role>/<function>`), as the Lambda developer guide
 * ("Lambda execution role") describes.
 */

/** Lambda's service principal, the one an execution role's trust policy must allow. */
const LAMBDA_SERVICE = 'lambda.amazonaws.com';

/** Lambda's answer (400 InvalidParameterValueException) for a role it cannot assume, or that does not exist. */
export const ROLE_NOT_ASSUMABLE = 'The role defined for the function cannot be assumed by Lambda.';

/** How long a function's session lasts: one hour, the shortest MaxSessionDuration a role can have. */
const SESSION_SECONDS = 3600;

/**
 * A session is renewed once less than this is left beyond the function's timeout, so credentials
 * never expire during an invocation, nor within the 5 minutes before expiry in which the AWS SDK
 * refreshes credentials it was given with an expiry.
 */
const RENEWAL_MARGIN_SECONDS = 5 * 60;

export interface ExecutionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO 8601, as STS writes it. */
  expiration: string;
}

/** What of a function decides its session: its name (the session name), its role and its timeout. */
export interface FunctionIdentity {
  name: string;
  arn: string;
  role: string;
  timeoutSeconds: number;
}

/**
 * Refuses, with Lambda's error, a role that does not exist or whose trust policy does not let
 * Lambda assume it. The trust policy is evaluated for the service principal with the keys a
 * service sets when it assumes a role for a resource (`aws:SourceAccount`, `aws:SourceArn`: the
 * function), so a trust narrowed to one function or account is honoured.
 */
export async function assertLambdaMayAssume(world: World, roleArn: string, functionArn: string): Promise<void> {
  const role = roleWithArn(world, roleArn);
  if (role === undefined) throw new AwsError('InvalidParameterValueException', ROLE_NOT_ASSUMABLE, 400);
  const result = await runSimulation(
    {
      request: {
        principal: LAMBDA_SERVICE,
        action: 'sts:AssumeRole',
        resource: { resource: role.arn, accountId: world.accountId },
        contextVariables: {
          'aws:SourceAccount': world.accountId,
          'aws:SourceArn': functionArn,
          'aws:PrincipalServiceName': LAMBDA_SERVICE,
        },
      },
      identityPolicies: [],
      resourcePolicy: JSON.parse(role.assumeRolePolicyDocument),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error' || result.overallResult !== 'Allowed')
    throw new AwsError('InvalidParameterValueException', ROLE_NOT_ASSUMABLE, 400);
}

/** Lambda's pattern for CreateFunction's Role (Lambda API reference, CreateFunction, Role). */
const ROLE_ARN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;

/**
 * CreateFunction's Role, validated as Lambda validates its input, before anything is authorized:
 * absent, or not a role ARN, it is 400 ValidationException with Lambda's text.
 */
export function validRoleArn(role: unknown): string {
  if (role === undefined || role === null)
    throw new AwsError(
      'ValidationException',
      "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
      400,
    );
  if (typeof role !== 'string' || !ROLE_ARN.test(role))
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${String(role)}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ROLE_ARN.source.slice(1, -1).replace(/\\\//g, '/')}`,
      400,
    );
  return role;
}

/**
 * Giving a function a role is passing the role to Lambda: the caller needs `iam:PassRole` on it,
 * with `iam:PassedToService` = `lambda.amazonaws.com` (IAM User Guide, "Granting a user
 * permissions to pass a role to an AWS service"), or CreateFunction is AccessDeniedException.
 */
export async function assertMayPassRole(
  call: Pick<OperationCall, 'principal' | 'isAlsoAllowed'>,
  arn: string,
  accountId: string,
): Promise<void> {
  // A role of another account can never be passed (Lambda's 403 for it, whatever the policies say).
  if (arn.split(':')[4] !== accountId) throw new AwsError('AccessDeniedException', 'Cross-account pass role is not allowed.', 403);
  if (await call.isAlsoAllowed('iam:PassRole', arn, { context: { 'iam:PassedToService': LAMBDA_SERVICE } })) return;
  throw new AwsError(
    'AccessDeniedException',
    `User: ${call.principal.arn} is not authorized to perform: iam:PassRole on resource: ${arn} because no identity-based policy allows the iam:PassRole action`,
    403,
  );
}

/**
 * The sessions functions run with: one per function, issued by the world like any STS session
 * (so SigV4 verification and IAM decisions treat it as any other assumed-role session), reused
 * while it is valid long enough for one more invocation, renewed otherwise.
 */
export class ExecutionRoleSessions {
  private readonly current = new Map<string, Session>();

  constructor(
    private readonly world: World,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Credentials for the next invocation of `fn`, or undefined when its role is gone (the
   * function then runs without credentials: its AWS calls fail to sign, as on Lambda once the
   * execution role is deleted).
   */
  credentialsFor(fn: FunctionIdentity): ExecutionCredentials | undefined {
    const role = roleWithArn(this.world, fn.role);
    if (role === undefined) {
      this.current.delete(fn.name);
      return undefined;
    }
    const now = this.now();
    const existing = this.current.get(fn.name);
    const margin = (fn.timeoutSeconds + RENEWAL_MARGIN_SECONDS) * 1000;
    if (
      existing !== undefined &&
      existing.roleId === role.roleId &&
      this.world.state.sessions[existing.accessKeyId] !== undefined &&
      Date.parse(existing.expiration) - now.getTime() > margin
    )
      return credentialsOf(existing);
    const session: Session = {
      ...newSessionKeys(now, SESSION_SECONDS),
      roleArn: role.arn,
      roleName: role.name,
      roleId: role.roleId,
      // Lambda names the session after the function (function names fit RoleSessionName's rules).
      sessionName: fn.name,
      assumedRoleArn: `arn:aws:sts::${this.world.accountId}:assumed-role/${role.name}/${fn.name}`,
      sourceFunctionArn: fn.arn,
    };
    this.world.addSession(session, now);
    this.current.set(fn.name, session);
    return credentialsOf(session);
  }
}

function credentialsOf(session: Session): ExecutionCredentials {
  return {
    accessKeyId: session.accessKeyId,
    secretAccessKey: session.secretAccessKey,
    sessionToken: session.sessionToken,
    expiration: session.expiration,
  };
}
