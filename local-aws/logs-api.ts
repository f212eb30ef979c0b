import { AwsError } from './aws-error';
import { type JsonOperation, type OperationAuthorization, everyResource } from './operation';
import { dictionary } from './world-state';

/** CloudWatch Logs (JSON 1.1, X-Amz-Target Logs_20140328.*): just log groups, for the demo's own. */

type Handler = JsonOperation['handle'];

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Tags as Logs takes them: an object of string values (a number, an array or null is the caller's 400, not stored). */
function tagsOf(tags: unknown): Record<string, string> {
  if (tags === undefined) return dictionary();
  const valid =
    tags !== null && typeof tags === 'object' && !Array.isArray(tags) && Object.values(tags).every((value) => typeof value === 'string');
  if (!valid)
    throw new AwsError('InvalidParameterException', '1 validation error detected: tags must be a map of tag keys to string values');
  return dictionary(tags as Record<string, string>);
}

const createLogGroup: Handler = async ({ request, world }) => {
  const input = request.json();
  const name = input.logGroupName;
  if (typeof name !== 'string' || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name))
    throw new AwsError(
      'InvalidParameterException',
      `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint`,
    );
  world.createLogGroup(name, tagsOf(input.tags));
  return {};
};

const putRetentionPolicy: Handler = async ({ request, world }) => {
  const input = request.json();
  const group = world.logGroup(input.logGroupName);
  if (!RETENTION_DAYS.includes(input.retentionInDays))
    throw new AwsError(
      'InvalidParameterException',
      `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
    );
  world.setRetention(group, input.retentionInDays);
  return {};
};

const deleteRetentionPolicy: Handler = async ({ request, world }) => {
  world.setRetention(world.logGroup(request.json().logGroupName), undefined);
  return {};
};

const describeLogGroups: Handler = async ({ request, world }) => {
  const input = request.json();
  const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
  const groups = Object.values(world.state.logGroups)
    .filter((g) => g.name.startsWith(prefix))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((g) => ({
      logGroupName: g.name,
      creationTime: g.creationTime,
      ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${g.arn}:*`,
      logGroupArn: g.arn,
      storedBytes: 0,
      logGroupClass: 'STANDARD',
    }));
  return { logGroups: groups };
};

const listTagsForResource: Handler = async ({ request, world }) => ({ tags: world.logGroupByArn(request.json().resourceArn).tags });

const listTagsLogGroup: Handler = async ({ request, world }) => ({ tags: world.logGroup(request.json().logGroupName).tags });

const tagResource: Handler = async ({ request, world }) => {
  const input = request.json();
  world.tagLogGroup(world.logGroupByArn(input.resourceArn), tagsOf(input.tags));
  return {};
};

const untagResource: Handler = async ({ request, world }) => {
  const input = request.json();
  world.untagLogGroup(world.logGroupByArn(input.resourceArn), Array.isArray(input.tagKeys) ? input.tagKeys.map(String) : []);
  return {};
};

const deleteLogGroup: Handler = async ({ request, world }) => {
  world.deleteLogGroup(world.logGroup(request.json().logGroupName));
  return {};
};

/**
 * The log group an input names, by `logGroupName` or by `resourceArn` (without its `:*`), as Logs
 * authorizes it before looking the group up; `*` where the input names none.
 */
export const namedLogGroup: OperationAuthorization['resource'] = ({ request, world }) => {
  const input = request.json();
  const name = Object.hasOwn(input, 'logGroupName') ? input.logGroupName : undefined;
  if (typeof name === 'string' && name !== '') return world.logGroupArn(name);
  const arn = Object.hasOwn(input, 'resourceArn') ? input.resourceArn : undefined;
  if (typeof arn === 'string' && arn.startsWith('arn:')) return arn.replace(/:\*$/, '');
  return '*';
};

/** The X-Amz-Target prefix of CloudWatch Logs' JSON 1.1 protocol. */
export const LOGS_TARGET_PREFIX = 'Logs_20140328.';

/** A Logs operation: action `logs:<name>`, target `Logs_20140328.<name>`, on the log group its input names unless said otherwise. */
function logs(name: string, handle: Handler, resource = namedLogGroup): JsonOperation {
  return {
    service: 'logs',
    name,
    match: { protocol: 'json', target: `${LOGS_TARGET_PREFIX}${name}` },
    action: `logs:${name}`,
    resource,
    handle,
  };
}

export const LOGS_OPERATIONS: JsonOperation[] = [
  logs('CreateLogGroup', createLogGroup),
  logs('PutRetentionPolicy', putRetentionPolicy),
  logs('DeleteRetentionPolicy', deleteRetentionPolicy),
  // A wildcard-only action in IAM: it is authorized on "*".
  logs('DescribeLogGroups', describeLogGroups, everyResource),
  logs('ListTagsForResource', listTagsForResource),
  logs('ListTagsLogGroup', listTagsLogGroup),
  logs('TagResource', tagResource),
  logs('UntagResource', untagResource),
  logs('DeleteLogGroup', deleteLogGroup),
];
