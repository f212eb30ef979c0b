import { AwsError } from './aws-error';
import { World } from './world';
import { dictionary } from './world-state';

/** CloudWatch Logs (JSON 1.1, X-Amz-Target Logs_20140328.*): just log groups, for the demo's own. */

export interface LogsCall {
  operation: string;
  input: Record<string, any>;
  authorize(action: string, resource: string): Promise<void>;
}

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Tags as Logs takes them: an object of string values (a number, an array or null is the caller's 400, not stored). */
function tagsOf(tags: unknown): Record<string, string> {
  if (tags === undefined) return dictionary();
  const valid = tags !== null && typeof tags === 'object' && !Array.isArray(tags) && Object.values(tags).every((value) => typeof value === 'string');
  if (!valid) throw new AwsError('InvalidParameterException', '1 validation error detected: tags must be a map of tag keys to string values');
  return dictionary(tags as Record<string, string>);
}

export async function logsOperation(world: World, call: LogsCall): Promise<unknown> {
  const { input } = call;
  switch (call.operation) {
    case 'CreateLogGroup': {
      const name = input.logGroupName;
      if (typeof name !== 'string' || !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) throw new AwsError('InvalidParameterException', `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint`);
      await call.authorize('logs:CreateLogGroup', world.logGroupArn(name));
      world.createLogGroup(name, tagsOf(input.tags));
      return {};
    }
    case 'PutRetentionPolicy': {
      const group = world.logGroup(input.logGroupName);
      await call.authorize('logs:PutRetentionPolicy', group.arn);
      if (!RETENTION_DAYS.includes(input.retentionInDays)) throw new AwsError('InvalidParameterException', `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
      world.setRetention(group, input.retentionInDays);
      return {};
    }
    case 'DeleteRetentionPolicy': {
      const group = world.logGroup(input.logGroupName);
      await call.authorize('logs:DeleteRetentionPolicy', group.arn);
      world.setRetention(group, undefined);
      return {};
    }
    case 'DescribeLogGroups': {
      const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
      // A wildcard-only action in IAM: it is authorized on "*".
      await call.authorize('logs:DescribeLogGroups', '*');
      const groups = Object.values(world.state.logGroups)
        .filter((g) => g.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((g) => ({ logGroupName: g.name, creationTime: g.creationTime, ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}), metricFilterCount: 0, arn: `${g.arn}:*`, logGroupArn: g.arn, storedBytes: 0, logGroupClass: 'STANDARD' }));
      return { logGroups: groups };
    }
    case 'ListTagsForResource': {
      const group = world.logGroupByArn(input.resourceArn);
      await call.authorize('logs:ListTagsForResource', group.arn);
      return { tags: group.tags };
    }
    case 'ListTagsLogGroup': {
      const group = world.logGroup(input.logGroupName);
      await call.authorize('logs:ListTagsLogGroup', group.arn);
      return { tags: group.tags };
    }
    case 'TagResource': {
      const group = world.logGroupByArn(input.resourceArn);
      await call.authorize('logs:TagResource', group.arn);
      world.tagLogGroup(group, tagsOf(input.tags));
      return {};
    }
    case 'UntagResource': {
      const group = world.logGroupByArn(input.resourceArn);
      await call.authorize('logs:UntagResource', group.arn);
      world.untagLogGroup(group, Array.isArray(input.tagKeys) ? input.tagKeys.map(String) : []);
      return {};
    }
    case 'DeleteLogGroup': {
      const group = world.logGroup(input.logGroupName);
      await call.authorize('logs:DeleteLogGroup', group.arn);
      world.deleteLogGroup(group);
      return {};
    }
    default:
      throw new AwsError('UnknownOperationException', `Unknown operation ${call.operation}`);
  }
}
