import { Authorizer, Principal } from './authorization';
import { AwsError } from './aws-error';
import { World } from './world';

/**
 * Authorization by the request's action name, before any entity is looked up (AWS's order):
 * a caller without the right gets AccessDenied whether the user, role or policy it names exists
 * or not, and whether this stand-in emulates the operation or not. Only an allowed caller learns
 * that an entity does not exist (NoSuchEntity) or that an operation is not emulated here.
 */

/** Action names are `[A-Za-z]+`; anything else is not an operation of any AWS service. */
const ACTION_NAME = /^[A-Z][A-Za-z0-9]{0,127}$/;

export function checkActionName(action: string, version: string): void {
  if (!ACTION_NAME.test(action)) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${version}`);
}

/**
 * The resource an IAM Query action is authorized on, built from the request's names: the real
 * ARN of an entity that exists (its path is part of it), or the ARN the name would have at path
 * `/` when it does not exist. List actions without a name, and actions this stand-in does not
 * emulate, are authorized on `*` (the simulator requires `*` for the list actions).
 */
export function iamActionResource(world: World, principal: Principal, action: string, params: URLSearchParams): string {
  const account = world.accountId;
  const path = params.get('Path') ?? '/';
  const userName = params.get('UserName');
  const roleName = params.get('RoleName');
  switch (action) {
    case 'CreateUser':
      return `arn:aws:iam::${account}:user${path}${userName ?? ''}`;
    case 'CreateRole':
      return `arn:aws:iam::${account}:role${path}${roleName ?? ''}`;
    case 'CreatePolicy':
      return `arn:aws:iam::${account}:policy${path}${params.get('PolicyName') ?? ''}`;
    case 'ListUsers':
    case 'ListRoles':
    case 'ListPolicies':
      return '*';
    case 'GetUser':
    case 'ListAccessKeys':
    case 'CreateAccessKey':
    case 'DeleteAccessKey':
      // Without a UserName these act on the caller itself (a user; the root otherwise). Never on
      // the owner of the AccessKeyId: a refusal naming that user would tell anyone whose key it is.
      if (userName === null) return principal.arn;
      return userArnOf(world, userName);
  }
  if (roleName !== null) return roleArnOf(world, roleName);
  if (userName !== null) return userArnOf(world, userName);
  const policyArn = params.get('PolicyArn');
  if (policyArn !== null) return policyArn;
  return '*';
}

function userArnOf(world: World, name: string): string {
  return world.state.users[name]?.arn ?? `arn:aws:iam::${world.accountId}:user/${name}`;
}

function roleArnOf(world: World, name: string): string {
  return world.state.roles[name]?.arn ?? `arn:aws:iam::${world.accountId}:role/${name}`;
}

/**
 * Authorizes `service:action` on `resource`. An action name that no AWS service has is
 * InvalidAction for everyone (it is public knowledge which operations AWS has); a real one is
 * AccessDenied unless allowed, emulated here or not.
 */
export async function authorizeAction(authorizer: Authorizer, principal: Principal, action: string, resource: string, deniedCode: string, version: string, unknownCode = 'InvalidAction'): Promise<void> {
  try {
    await authorizer.authorize(principal, action, resource, { deniedCode });
  } catch (error) {
    if (!(error instanceof AwsError) || error.code !== 'InternalFailure') throw error;
    if (/invalid\.action/.test(error.message)) throw new AwsError(unknownCode, `Could not find operation ${action.split(':')[1]} for version ${version}`);
    // A name that is not an ARN of the action's resource type (e.g. PolicyArn=constructor): the
    // simulator cannot match it, so the right is checked on every resource; the operation itself
    // then refuses the name.
    if (resource === '*') throw error;
    await authorizer.authorize(principal, action, '*', { deniedCode });
  }
}

/**
 * The resource a CloudWatch Logs operation is authorized on, from the names in its input: the
 * log group's ARN (`logGroupName`, or `resourceArn` without its `:*`), else `*` (DescribeLogGroups
 * is a wildcard-only action; unemulated operations are checked on `*`).
 */
export function logsActionResource(world: World, input: unknown): string {
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const name = Object.prototype.hasOwnProperty.call(fields, 'logGroupName') ? fields.logGroupName : undefined;
  if (typeof name === 'string' && name !== '') return `arn:aws:logs:${world.region}:${world.accountId}:log-group:${name}`;
  const arn = Object.prototype.hasOwnProperty.call(fields, 'resourceArn') ? fields.resourceArn : undefined;
  if (typeof arn === 'string' && arn.startsWith('arn:')) return arn.replace(/:\*$/, '');
  return '*';
}

/**
 * Lambda operations real tools call that this stand-in does not emulate, by their REST route (from
 * the Lambda API reference): authorized by their IAM action first, so a caller without the right
 * gets AccessDeniedException as on AWS, and only an allowed caller learns they are not emulated.
 * `{name}` is the function named in the path (the resource); routes without one are checked on `*`.
 */
const UNEMULATED_LAMBDA_ROUTES: [string, RegExp, string][] = [
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/, 'ListAliases'],
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/, 'CreateAlias'],
  ['GET', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/[^/]+\/?$/, 'GetAlias'],
  ['PUT', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/[^/]+\/?$/, 'UpdateAlias'],
  ['DELETE', /^\/2015-03-31\/functions\/([^/]+)\/aliases\/[^/]+\/?$/, 'DeleteAlias'],
  ['POST', /^\/2015-03-31\/functions\/([^/]+)\/versions\/?$/, 'PublishVersion'],
  ['PUT', /^\/2015-03-31\/functions\/([^/]+)\/code\/?$/, 'UpdateFunctionCode'],
  ['PUT', /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/, 'UpdateFunctionConfiguration'],
  ['POST', /^\/2017-03-31\/tags\/([^/]+)\/?$/, 'TagResource'],
  ['DELETE', /^\/2017-03-31\/tags\/([^/]+)\/?$/, 'UntagResource'],
  ['PUT', /^\/2017-10-31\/functions\/([^/]+)\/concurrency\/?$/, 'PutFunctionConcurrency'],
  ['DELETE', /^\/2017-10-31\/functions\/([^/]+)\/concurrency\/?$/, 'DeleteFunctionConcurrency'],
  ['PUT', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'PutFunctionEventInvokeConfig'],
  ['GET', /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config\/?$/, 'GetFunctionEventInvokeConfig'],
  ['POST', /^\/2014-11-13\/functions\/([^/]+)\/invoke-async\/?$/, 'InvokeAsync'],
  ['GET', /^\/2016-08-19\/account-settings\/?$/, 'GetAccountSettings'],
  ['GET', /^\/2015-03-31\/event-source-mappings\/?$/, 'ListEventSourceMappings'],
  ['POST', /^\/2015-03-31\/event-source-mappings\/?$/, 'CreateEventSourceMapping'],
  ['GET', /^\/2018-10-31\/layers\/?$/, 'ListLayers'],
];

/** The IAM action and resource of an unemulated Lambda route, or undefined when the route is not one. */
export function unemulatedLambdaAction(world: World, method: string, path: string): { action: string; resource: string } | undefined {
  for (const [routeMethod, pattern, operation] of UNEMULATED_LAMBDA_ROUTES) {
    const m = pattern.exec(path);
    if (m === null || routeMethod !== method) continue;
    let resource = '*';
    if (m[1] !== undefined) {
      try {
        const name = decodeURIComponent(m[1]);
        resource = name.startsWith('arn:') ? name : `arn:aws:lambda:${world.region}:${world.accountId}:function:${name}`;
      } catch {
        resource = '*';
      }
    }
    return { action: `lambda:${operation}`, resource };
  }
  return undefined;
}
