import { IAM_OPERATIONS, namedIamEntity } from './iam-api';
import { MANAGED_POLICY_OPERATIONS } from './iam-policy-api';
import { LAMBDA_CONTROL_OPERATIONS, namedFunction } from './lambda-api';
import { INVOKE_OPERATION } from './lambda-invoke-api';
import { LOGS_OPERATIONS, LOGS_TARGET_PREFIX, namedLogGroup } from './logs-api';
import { type Match, type Operation, type ServiceName, type UnemulatedOperation, everyResource } from './operation';
import { OIDC_PROVIDER_OPERATIONS } from './oidc-provider-api';
import { STS_OPERATIONS } from './sts-api';

/**
 * The stand-in's operations, one table for every service: each entry declares how a request names
 * it, its IAM action and resource, and its handler (operation.ts). Adding an operation is one entry
 * here (in its service's list) and its handler. Beside it, the operations AWS has that tools call
 * and the stand-in does not emulate: they are authorized like the others, so a caller without the
 * right gets AccessDenied as on AWS, and only a caller with it learns they are not emulated.
 */

export const OPERATIONS: readonly Operation[] = [
  ...IAM_OPERATIONS,
  ...MANAGED_POLICY_OPERATIONS,
  ...OIDC_PROVIDER_OPERATIONS,
  ...STS_OPERATIONS,
  ...LAMBDA_CONTROL_OPERATIONS,
  INVOKE_OPERATION,
  ...LOGS_OPERATIONS,
];

/** An unemulated Lambda operation on the function its path names (`*` for a route without one). */
function lambda(name: string, method: string, route: string): UnemulatedOperation {
  return {
    service: 'lambda',
    name,
    match: { protocol: 'rest-json', method, route },
    action: `lambda:${name}`,
    resource: route.includes('{FunctionName}') ? namedFunction() : everyResource,
  };
}

/** An unemulated STS operation, authorized on `*`, and refused to GetSessionToken credentials as every STS operation but two. */
function sts(name: string): UnemulatedOperation {
  return {
    service: 'sts',
    name,
    match: { protocol: 'query', action: name },
    action: `sts:${name}`,
    resource: everyResource,
    credentials: 'not-session-token',
  };
}

/**
 * Unemulated operations, by their request (Lambda API reference for the routes). The Lambda routes
 * must be listed: a REST request names no action, only its route does. STS's are listed so that
 * a request without a SigV4 scope is still recognized as STS (the IAM and STS Query protocols
 * share one endpoint here). Any other IAM, STS or Logs action name is answered the same way
 * (see `unemulatedByName`): the name says which action to authorize.
 */
export const UNEMULATED_OPERATIONS: readonly UnemulatedOperation[] = [
  lambda('ListAliases', 'GET', '/2015-03-31/functions/{FunctionName}/aliases'),
  lambda('CreateAlias', 'POST', '/2015-03-31/functions/{FunctionName}/aliases'),
  lambda('GetAlias', 'GET', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'),
  lambda('UpdateAlias', 'PUT', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'),
  lambda('DeleteAlias', 'DELETE', '/2015-03-31/functions/{FunctionName}/aliases/{Name}'),
  lambda('PublishVersion', 'POST', '/2015-03-31/functions/{FunctionName}/versions'),
  lambda('UpdateFunctionCode', 'PUT', '/2015-03-31/functions/{FunctionName}/code'),
  lambda('UpdateFunctionConfiguration', 'PUT', '/2015-03-31/functions/{FunctionName}/configuration'),
  lambda('TagResource', 'POST', '/2017-03-31/tags/{FunctionName}'),
  lambda('UntagResource', 'DELETE', '/2017-03-31/tags/{FunctionName}'),
  lambda('PutFunctionConcurrency', 'PUT', '/2017-10-31/functions/{FunctionName}/concurrency'),
  lambda('DeleteFunctionConcurrency', 'DELETE', '/2017-10-31/functions/{FunctionName}/concurrency'),
  lambda('PutFunctionEventInvokeConfig', 'PUT', '/2019-09-25/functions/{FunctionName}/event-invoke-config'),
  lambda('GetFunctionEventInvokeConfig', 'GET', '/2019-09-25/functions/{FunctionName}/event-invoke-config'),
  lambda('InvokeAsync', 'POST', '/2014-11-13/functions/{FunctionName}/invoke-async'),
  lambda('GetAccountSettings', 'GET', '/2016-08-19/account-settings'),
  lambda('ListEventSourceMappings', 'GET', '/2015-03-31/event-source-mappings'),
  lambda('CreateEventSourceMapping', 'POST', '/2015-03-31/event-source-mappings'),
  lambda('ListLayers', 'GET', '/2018-10-31/layers'),
  sts('AssumeRoleWithSAML'),
  sts('GetFederationToken'),
  sts('DecodeAuthorizationMessage'),
  sts('GetAccessKeyInfo'),
];

/**
 * An IAM, STS or Logs action name in neither list: authorized by its name on the resource its
 * parameters name (whether AWS has such an action at all is the policy simulator's to say), then
 * refused as not emulated.
 */
export function unemulatedByName(service: 'iam' | 'sts' | 'logs', name: string): UnemulatedOperation {
  switch (service) {
    case 'iam':
      return {
        service,
        name,
        match: { protocol: 'query', action: name },
        action: `iam:${name}`,
        resource: namedIamEntity,
        credentials: 'not-session-token',
      };
    case 'sts':
      return sts(name);
    case 'logs':
      return {
        service,
        name,
        match: { protocol: 'json', target: `${LOGS_TARGET_PREFIX}${name}` },
        action: `logs:${name}`,
        resource: namedLogGroup,
      };
  }
}

const EVERY_OPERATION: readonly (Operation | UnemulatedOperation)[] = [...OPERATIONS, ...UNEMULATED_OPERATIONS];

/** The names of a service's operations, emulated or not. */
export function operationNames(service: ServiceName): Set<string> {
  return new Set(EVERY_OPERATION.filter((operation) => operation.service === service).map((operation) => operation.name));
}

/** An operation of the table, or an unemulated one, with the labels its route captured. */
export interface Found {
  operation: Operation | UnemulatedOperation;
  pathParams: ReadonlyMap<string, string>;
}

const NO_LABELS: ReadonlyMap<string, string> = new Map();

/** What names an operation in a request: its Action (Query), its method and path (REST-JSON), its X-Amz-Target (JSON 1.1). */
export type RequestKey = { action: string } | { method: string; path: string } | { target: string };

/**
 * The operation a request names: by `Action` (Query), method and path (REST-JSON) or
 * `X-Amz-Target` (JSON 1.1), in the table first, then in the unemulated list. Undefined when
 * neither has it.
 */
export function findOperation(service: ServiceName, request: RequestKey): Found | undefined {
  for (const operation of EVERY_OPERATION) {
    if (operation.service !== service) continue;
    const labels = matches(operation.match, request);
    if (labels !== undefined) return { operation, pathParams: labels };
  }
  return undefined;
}

/** The labels a match captures from the request (none for Query and JSON 1.1), or undefined when it is another operation. */
export function matches(match: Match, request: RequestKey): ReadonlyMap<string, string> | undefined {
  switch (match.protocol) {
    case 'query':
      return 'action' in request && request.action === match.action ? NO_LABELS : undefined;
    case 'json':
      return 'target' in request && request.target === match.target ? NO_LABELS : undefined;
    case 'rest-json': {
      if (!('method' in request) || request.method !== match.method) return undefined;
      const matched = routePattern(match.route).exec(request.path);
      return matched === null ? undefined : new Map(Object.entries(matched.groups ?? {}));
    }
  }
}

const compiledRoutes = new Map<string, RegExp>();

/**
 * A route template as a pattern: `{Label}` is one path segment, `{Label+}` the rest of the path;
 * a trailing `/` is accepted after a route that does not end in a greedy label.
 */
export function routePattern(route: string): RegExp {
  let pattern = compiledRoutes.get(route);
  if (pattern === undefined) {
    const greedy = /\{\w+\+\}$/.test(route);
    const body = route
      .split(/(\{\w+\+?\})/)
      .map((part) => {
        const label = /^\{(\w+)(\+?)\}$/.exec(part);
        if (label === null) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        return label[2] === '+' ? `(?<${label[1]}>.+)` : `(?<${label[1]}>[^/]+)`;
      })
      .join('');
    pattern = new RegExp(`^${body}${greedy ? '' : '\\/?'}$`);
    compiledRoutes.set(route, pattern);
  }
  return pattern;
}
