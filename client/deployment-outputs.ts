import { readFileAtMost } from './bounded-file';
import { ClientOptionError } from './errors';

/** What the client reads from `cdktf deploy --outputs-file` / `cdktf output --outputs-file`. */
export interface DeploymentOutputs {
  functionUrl: string;
  /** Empty only when read with `roleRequired: false`. */
  roleArn: string;
  region?: string;
  externalId?: string;
  maxSessionDuration?: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Where in the file they were found, e.g. "lambda-url-iam-demo.ProtectedUrl". */
  location: string;
}

/** The name of each output a ProtectedFunctionUrl writes, by the field it fills. */
export const OUTPUT_NAMES = {
  functionUrl: 'function_url',
  roleArn: 'invoker_role_arn',
  region: 'region',
  externalId: 'external_id',
  maxSessionDuration: 'max_session_duration',
  accessKeyId: 'invoker_access_key_id',
  secretAccessKey: 'invoker_secret_access_key',
} as const satisfies Record<Exclude<keyof DeploymentOutputs, 'location'>, string>;

export const DEFAULT_OUTPUTS_FILE = 'outputs.json';
/** An outputs file is a few KB; anything this large is not one, and is refused before it is read. */
const MAX_OUTPUTS_BYTES = 10 * 1024 * 1024;
/** cdktf nests outputs as stack -> construct path -> output; deeper than this is not an outputs file. */
const MAX_OUTPUTS_DEPTH = 64;

/**
 * Finds the outputs of a ProtectedFunctionUrl in an outputs file: the object that holds
 * `function_url` (nested by stack and construct id). With several, `select` ("stack.construct"
 * or a suffix of it) picks one. A problem with the file is a ClientOptionError for option
 * `outputsFile`, one with the selection for option `outputsPath`.
 */
export function readDeploymentOutputs(file: string, select?: string, options: { roleRequired?: boolean } = {}): DeploymentOutputs {
  const found = deploymentsIn(readOutputsJson(file), file);
  const { location, values } = selectDeployment(found, select, file);
  const str = (field: keyof typeof OUTPUT_NAMES) => {
    const value = values.get(OUTPUT_NAMES[field]);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  if (str('roleArn') === undefined && options.roleRequired !== false)
    throw new ClientOptionError('outputsFile', file, `has no invoker_role_arn next to function_url at ${location}`);
  const maxSession = values.get(OUTPUT_NAMES.maxSessionDuration);
  // IAM's MaxSessionDuration range (IAM API reference, CreateRole); any other value would surface
  // later as a bad session duration the user never gave (it bounds the session a presigned URL asks for).
  if (maxSession !== undefined && !(Number.isInteger(maxSession) && (maxSession as number) >= 3600 && (maxSession as number) <= 43200)) {
    throw new ClientOptionError(
      'outputsFile',
      file,
      `has max_session_duration ${JSON.stringify(maxSession)} at ${location}: a role's max session duration is a whole number of seconds from 3600 to 43200`,
    );
  }
  return {
    functionUrl: str('functionUrl')!,
    roleArn: str('roleArn') ?? '',
    region: str('region'),
    externalId: str('externalId'),
    maxSessionDuration: maxSession as number | undefined,
    accessKeyId: str('accessKeyId'),
    secretAccessKey: str('secretAccessKey'),
    location,
  };
}

function readOutputsJson(file: string): unknown {
  let text: string;
  try {
    const read = readFileAtMost(file, MAX_OUTPUTS_BYTES);
    if ('tooLarge' in read)
      throw new ClientOptionError('outputsFile', file, `is larger than ${MAX_OUTPUTS_BYTES} bytes, the most an outputs file may hold`);
    text = read.bytes.toString('utf8');
  } catch (error) {
    if (error instanceof ClientOptionError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ClientOptionError(
      'outputsFile',
      file,
      code === 'ENOENT'
        ? 'does not exist: deploy with `npx cdktf deploy --outputs-file outputs.json --outputs-file-include-sensitive-outputs` (or `npm run demo` locally), or give the function URL and the role ARN instead'
        : code === 'EISDIR'
          ? 'is a directory, not an outputs file'
          : `cannot be read (${code})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // Node's message quotes the text around the error ("..."cess_key":wJalrXUtnF"..."): in an
    // outputs file that is the invoker secret. Only where it is, never what is there.
    const at = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new ClientOptionError(
      'outputsFile',
      file,
      `is not JSON (a syntax error${at === undefined ? '' : ` at character ${at}`}; its text is not shown, as it may hold the invoker secret)`,
    );
  }
}

interface Deployment {
  /** "stack.construct": the keys that lead to the object. */
  location: string;
  values: Map<string, unknown>;
}

/**
 * Every object that holds a function_url, in file order. Iterative, with a depth limit: a file
 * nested thousands of levels deep must be a usage error, not a stack overflow. Keys are read as
 * own properties into a Map (a key "constructor" or "__proto__" is data).
 */
function deploymentsIn(json: unknown, file: string): Deployment[] {
  const found: Deployment[] = [];
  const pending: { node: unknown; at: string[] }[] = [{ node: json, at: [] }];
  while (pending.length > 0) {
    const { node, at } = pending.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    if (at.length > MAX_OUTPUTS_DEPTH)
      throw new ClientOptionError(
        'outputsFile',
        file,
        `nests objects more than ${MAX_OUTPUTS_DEPTH} levels deep (at ${at.slice(0, 4).join('.')}…); an outputs file is stack -> construct -> output`,
      );
    const values = new Map(Object.entries(node));
    if (typeof values.get(OUTPUT_NAMES.functionUrl) === 'string') found.push({ location: at.join('.'), values });
    const children = [...values].reverse();
    for (const [key, child] of children) pending.push({ node: child, at: [...at, key] });
  }
  return found;
}

/** The one deployment `select` names: its exact location, else the one location ending in ".select". */
function selectDeployment(found: Deployment[], select: string | undefined, file: string): Deployment {
  // An exact location wins over suffixes: "demo.Url" must not be ambiguous next to "eu.demo.Url".
  const exact = found.filter((f) => f.location === select);
  const matching = select === undefined ? found : exact.length > 0 ? exact : found.filter((f) => f.location.endsWith(`.${select}`));
  if (matching.length === 0) {
    throw new ClientOptionError(
      select === undefined ? 'outputsFile' : 'outputsPath',
      select ?? file,
      select === undefined
        ? 'holds no function_url output: is it the outputs file of a stack with a ProtectedFunctionUrl?'
        : `matches none of ${found.map((f) => f.location).join(', ') || 'the (no) deployments in the file'}`,
    );
  }
  if (matching.length > 1) {
    throw new ClientOptionError('outputsPath', select ?? '(none)', `must pick one of ${matching.map((f) => f.location).join(', ')}`);
  }
  return matching[0];
}
