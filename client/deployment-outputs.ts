import * as fs from 'node:fs';
import { ClientOptionError } from './errors';

/** What the client reads from `cdktf deploy --outputs-file` / `cdktf output --outputs-file`. */
export interface DeploymentOutputs {
  functionUrl: string;
  roleArn: string;
  region?: string;
  externalId?: string;
  maxSessionDuration?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Where in the file they were found, e.g. "lambda-url-iam-demo.ProtectedUrl". */
  location: string;
}

export const DEFAULT_OUTPUTS_FILE = 'outputs.json';

/**
 * Finds the outputs of a ProtectedFunctionUrl in an outputs file: the object that holds
 * `function_url` (nested by stack and construct id). With several, `select` ("stack.construct"
 * or a suffix of it) picks one.
 */
export function readDeploymentOutputs(file: string, select?: string): DeploymentOutputs {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ClientOptionError('--outputs', file, code === 'ENOENT'
      ? 'does not exist: deploy with `npx cdktf deploy --outputs-file outputs.json --outputs-file-include-sensitive-outputs` (or `npm run demo` locally), or pass --url and --role-arn'
      : `cannot be read (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ClientOptionError('--outputs', file, `is not JSON (${(error as Error).message})`);
  }
  const found: { location: string; values: Record<string, unknown> }[] = [];
  const walk = (node: unknown, at: string[]) => {
    if (typeof node !== 'object' || node === null) return;
    const values = node as Record<string, unknown>;
    if (typeof values.function_url === 'string') found.push({ location: at.join('.'), values });
    for (const [key, child] of Object.entries(values)) walk(child, [...at, key]);
  };
  walk(json, []);
  const matching = select === undefined ? found : found.filter((f) => f.location === select || f.location.endsWith(`.${select}`));
  if (matching.length === 0) {
    throw new ClientOptionError(select === undefined ? '--outputs' : '--outputs-path', select ?? file, select === undefined
      ? 'holds no function_url output: is it the outputs file of a stack with a ProtectedFunctionUrl?'
      : `matches none of ${found.map((f) => f.location).join(', ') || 'the (no) deployments in the file'}`);
  }
  if (matching.length > 1) {
    throw new ClientOptionError('--outputs-path', select ?? '(none)', `must pick one of ${matching.map((f) => f.location).join(', ')}`);
  }
  const { location, values } = matching[0];
  const str = (name: string) => (typeof values[name] === 'string' && values[name] !== '' ? (values[name] as string) : undefined);
  if (str('invoker_role_arn') === undefined) throw new ClientOptionError('--outputs', file, `has no invoker_role_arn next to function_url at ${location}`);
  return {
    functionUrl: str('function_url')!,
    roleArn: str('invoker_role_arn')!,
    region: str('region'),
    externalId: str('external_id'),
    maxSessionDuration: typeof values.max_session_duration === 'number' ? values.max_session_duration : undefined,
    accessKeyId: str('invoker_access_key_id'),
    secretAccessKey: str('invoker_secret_access_key'),
    location,
  };
}
