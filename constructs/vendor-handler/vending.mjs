// The credential vendor's logic, free of the Lambda runtime and of the AWS SDK so it can be tested
// with a fake STS: find the verified caller's entitlement, scope a session of the vend role down
// to the entitled function URLs, and answer with the credentials in the shape the caller asked for.
import { createHash } from 'node:crypto';

/** STS limits (AWS STS API reference, AssumeRole): DurationSeconds from 900; role chaining caps it at 3600. */
const MIN_DURATION_SECONDS = 900;
/** RoleSessionName and SourceIdentity: 2 to 64 characters of [\w+=,.@-] (AWS STS API reference, AssumeRole). */
const IDENTITY_CHARACTERS = /[^\w+=,.@-]/g;
const MAX_IDENTITY_LENGTH = 64;
const QUERY_KEYS = new Set(['format', 'durationSeconds']);
const FORMATS = new Set(['credential_process', 'container']);

/**
 * Parses the configuration the CredentialVendor construct writes (JSON in VEND_CONFIG):
 * `{ vendRoleArn, entitlements: [{ caller, invokeArns, maxSessionDuration, sessionTags }] }`.
 * Entitlements go into a Map keyed by principal (see principalKey), never into a plain object.
 */
export function parseVendConfig(text) {
  const config = JSON.parse(text);
  if (typeof config?.vendRoleArn !== 'string' || !Array.isArray(config.entitlements))
    throw new Error('VEND_CONFIG is not a vendor configuration');
  const entitlements = new Map();
  for (const entitlement of config.entitlements) {
    const key = principalKey(entitlement.caller);
    if (key === undefined) throw new Error(`VEND_CONFIG names a caller that is not a user or role ARN: ${entitlement.caller}`);
    entitlements.set(key, {
      caller: entitlement.caller,
      invokeArns: [...entitlement.invokeArns],
      maxSessionDuration: entitlement.maxSessionDuration,
      sessionTags: Object.entries(entitlement.sessionTags ?? {}),
    });
  }
  return { vendRoleArn: config.vendRoleArn, entitlements };
}

/**
 * One key per IAM principal: an IAM user (`arn:P:iam::A:user/path/name`) by account and name, a
 * role (`arn:P:iam::A:role/path/name`) and its sessions (`arn:P:sts::A:assumed-role/name/session`,
 * which carry no path) by account and role name. User and role names are unique in an account
 * whatever their path (IAM User Guide, "IAM identifiers").
 */
export function principalKey(arn) {
  if (typeof arn !== 'string') return undefined;
  const user = /^arn:([\w-]+):iam::(\d{12}):user\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  if (user !== null) return `user ${user[1]} ${user[2]} ${user[3]}`;
  const role = /^arn:([\w-]+):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  if (role !== null) return `role ${role[1]} ${role[2]} ${role[3]}`;
  const session = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[\w+=,.@-]{2,64}$/.exec(arn);
  if (session !== null) return `role ${session[1]} ${session[2]} ${session[3]}`;
  return undefined;
}

/**
 * The caller as SourceIdentity and RoleSessionName: its user name, or `role@session` for a role
 * session, in the characters STS allows, at most 64 (a longer one keeps its start and a hash of
 * the whole, so two callers cannot collide by truncation).
 */
export function callerIdentity(arn) {
  const resource = arn.replace(/^arn:[\w-]+:(iam|sts)::\d{12}:/, '');
  // assumed-role/ROLE/SESSION -> ROLE@SESSION; user/PATH/NAME -> NAME.
  const name = resource.startsWith('assumed-role/')
    ? resource.slice('assumed-role/'.length).replace('/', '@')
    : resource.slice(resource.lastIndexOf('/') + 1);
  let identity = name.replace(IDENTITY_CHARACTERS, '-');
  if (identity.length > MAX_IDENTITY_LENGTH) {
    identity = `${identity.slice(0, MAX_IDENTITY_LENGTH - 9)}-${createHash('sha256').update(arn).digest('hex').slice(0, 8)}`;
  }
  return identity.length >= 2 ? identity : `${identity}--`.slice(0, 2);
}

/**
 * The session policy: for each entitled URL the two statements AWS checks for a function URL
 * call (Lambda Developer Guide, "Control access to Lambda function URLs"), exactly as the
 * construct's grantInvokeUrl writes them. The session gets the intersection of this and the vend
 * role's policy (IAM User Guide, "Session policies").
 */
export function sessionPolicy(invokeArns) {
  const Statement = invokeArns.flatMap((arn, index) => {
    const suffix = index === 0 ? '' : String(index + 1);
    return [
      {
        Sid: `InvokeFunctionUrl${suffix}`,
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: arn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
      },
      {
        Sid: `InvokeFunctionViaUrl${suffix}`,
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: arn,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ];
  });
  return JSON.stringify({ Version: '2012-10-17', Statement });
}

function answer(statusCode, body) {
  return {
    statusCode,
    // Credentials must not be kept by a proxy or a browser cache.
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function refusal(statusCode, error, reason) {
  return answer(statusCode, { error, reason });
}

/** The query's options, or a refusal naming the bad one. Keys go into a Map: they come from the caller. */
function readQuery(event, maxSessionDuration) {
  const query = new Map(Object.entries(event.queryStringParameters ?? {}));
  for (const key of query.keys()) {
    if (!QUERY_KEYS.has(key))
      return {
        refused: refusal(
          400,
          'InvalidRequest',
          `unknown query parameter ${JSON.stringify(key.slice(0, 64))}: allowed are format and durationSeconds`,
        ),
      };
  }
  const format = query.get('format') ?? 'credential_process';
  if (!FORMATS.has(format)) return { refused: refusal(400, 'InvalidRequest', 'format must be credential_process or container') };
  const durationText = query.get('durationSeconds');
  const durationSeconds = durationText === undefined ? maxSessionDuration : Number(durationText);
  if (!/^\d{1,5}$/.test(durationText ?? '900') || durationSeconds < MIN_DURATION_SECONDS || durationSeconds > maxSessionDuration) {
    return {
      refused: refusal(
        400,
        'InvalidRequest',
        `durationSeconds must be a whole number from ${MIN_DURATION_SECONDS} to ${maxSessionDuration}`,
      ),
    };
  }
  return { format, durationSeconds };
}

function credentialsBody(format, credentials) {
  const expiration = new Date(credentials.Expiration).toISOString();
  if (format === 'container') {
    return {
      AccessKeyId: credentials.AccessKeyId,
      SecretAccessKey: credentials.SecretAccessKey,
      Token: credentials.SessionToken,
      Expiration: expiration,
    };
  }
  return {
    Version: 1,
    AccessKeyId: credentials.AccessKeyId,
    SecretAccessKey: credentials.SecretAccessKey,
    SessionToken: credentials.SessionToken,
    Expiration: expiration,
  };
}

/**
 * The vending handler. `assumeRole(params)` calls STS AssumeRole and resolves to its answer
 * (`{ Credentials, AssumedRoleUser }`); `log(record)` writes one structured line. Nothing secret
 * is logged: no key, no token, no session policy.
 */
export function createVendingHandler({ config, assumeRole, log = (record) => console.log(JSON.stringify(record)) }) {
  return async (event) => {
    // Lambda puts the SigV4-verified caller of an AWS_IAM function URL here (payload format 2.0).
    const iam = event?.requestContext?.authorizer?.iam;
    const callerArn = typeof iam?.userArn === 'string' ? iam.userArn : undefined;
    const key = principalKey(callerArn);
    if (key === undefined) {
      log({ event: 'refused', reason: 'no IAM caller' });
      return refusal(403, 'AccessDenied', 'the caller must be an IAM user or role session, signed with SigV4');
    }
    const entitlement = config.entitlements.get(key);
    if (entitlement === undefined) {
      log({ event: 'refused', reason: 'not entitled', caller: callerArn });
      return refusal(403, 'NotEntitled', 'this caller has no entitlement at this credential vendor');
    }
    const query = readQuery(event, entitlement.maxSessionDuration);
    if (query.refused !== undefined) return query.refused;
    const identity = callerIdentity(callerArn);
    let result;
    try {
      result = await assumeRole({
        RoleArn: config.vendRoleArn,
        RoleSessionName: identity,
        SourceIdentity: identity,
        DurationSeconds: query.durationSeconds,
        Policy: sessionPolicy(entitlement.invokeArns),
        Tags: entitlement.sessionTags.map(([Key, Value]) => ({ Key, Value })),
      });
    } catch (error) {
      log({ event: 'failed', caller: callerArn, code: error?.name ?? 'Error', message: String(error?.message ?? error).slice(0, 500) });
      return refusal(502, 'VendingFailed', 'the credentials could not be issued; the vendor has logged why');
    }
    const credentials = result?.Credentials;
    if (typeof credentials?.AccessKeyId !== 'string' || Number.isNaN(new Date(credentials.Expiration).getTime())) {
      log({ event: 'failed', caller: callerArn, code: 'NoCredentials', message: 'STS answered without credentials' });
      return refusal(502, 'VendingFailed', 'the credentials could not be issued; the vendor has logged why');
    }
    log({
      event: 'vended',
      caller: callerArn,
      sourceIdentity: identity,
      session: result?.AssumedRoleUser?.Arn,
      durationSeconds: query.durationSeconds,
      expiration: new Date(credentials?.Expiration).toISOString(),
    });
    return answer(200, credentialsBody(query.format, credentials));
  };
}
