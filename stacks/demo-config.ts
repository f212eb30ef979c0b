import { EXTERNAL_ID, PropChecker } from '../constructs/prop-validation';

/** Everything about the demo deployment that can change without editing code. */
export interface DemoConfig {
  readonly stackName: string;
  readonly region: string;
  readonly namePrefix: string;
  readonly externalId?: string;
  readonly maxSessionDuration: number;
  readonly runtime: string;
  readonly logRetentionDays: number;
  readonly backend: LocalBackendConfig | S3BackendSettings;
  /** Local mode: send every AWS API call of the provider to this endpoint (the local stand-in). */
  readonly localEndpoint?: string;
  /** Callers are OIDC web identities of this issuer (no invoker user, no key); undefined: the invoker user. */
  readonly webIdentity?: DemoWebIdentity;
}

/** The demo's web identity callers: one issuer (on loopback in local mode), one audience, the subjects allowed. */
export interface DemoWebIdentity {
  readonly issuerUrl: string;
  readonly audience: string;
  readonly subject: string;
  /** SHA-1 thumbprint of the issuer's certificate, for the created IAM OIDC provider. */
  readonly thumbprint?: string;
}

export interface LocalBackendConfig {
  readonly type: 'local';
  /** @default terraform.<stack>.tfstate in the stack's directory (cdktf's default) */
  readonly path?: string;
}

export interface S3BackendSettings {
  readonly type: 's3';
  readonly bucket: string;
  readonly key: string;
  readonly region: string;
  readonly dynamodbTable?: string;
}

/**
 * Each setting: its environment variable (wins), its cdktf context key (cdktf.json "context"
 * or `--context`), its default.
 */
export const DEMO_SETTINGS = {
  stackName: { env: 'DEMO_STACK_NAME', context: 'stackName', default: 'lambda-url-iam-demo' },
  region: { env: 'DEMO_REGION', context: 'region', default: 'us-east-1' },
  namePrefix: { env: 'DEMO_NAME_PREFIX', context: 'namePrefix', default: '' },
  externalId: { env: 'DEMO_EXTERNAL_ID', context: 'externalId', default: undefined },
  maxSessionDuration: { env: 'DEMO_MAX_SESSION_DURATION', context: 'maxSessionDuration', default: '3600' },
  runtime: { env: 'DEMO_RUNTIME', context: 'runtime', default: 'nodejs22.x' },
  logRetentionDays: { env: 'DEMO_LOG_RETENTION_DAYS', context: 'logRetentionDays', default: '14' },
  backend: { env: 'DEMO_BACKEND', context: 'backend', default: 'local' },
  localStatePath: { env: 'DEMO_STATE_PATH', context: 'statePath', default: undefined },
  stateBucket: { env: 'DEMO_STATE_BUCKET', context: 'stateBucket', default: undefined },
  stateKey: { env: 'DEMO_STATE_KEY', context: 'stateKey', default: 'lambda-url-iam-demo/terraform.tfstate' },
  stateRegion: { env: 'DEMO_STATE_REGION', context: 'stateRegion', default: undefined },
  stateLockTable: { env: 'DEMO_STATE_LOCK_TABLE', context: 'stateLockTable', default: undefined },
  localEndpoint: { env: 'DEMO_AWS_ENDPOINT', context: 'awsEndpoint', default: undefined },
  webIdentityIssuer: { env: 'DEMO_WEB_IDENTITY_ISSUER', context: 'webIdentityIssuer', default: undefined },
  webIdentityAudience: { env: 'DEMO_WEB_IDENTITY_AUDIENCE', context: 'webIdentityAudience', default: 'sts.amazonaws.com' },
  webIdentitySubject: { env: 'DEMO_WEB_IDENTITY_SUBJECT', context: 'webIdentitySubject', default: undefined },
  webIdentityThumbprint: { env: 'DEMO_WEB_IDENTITY_THUMBPRINT', context: 'webIdentityThumbprint', default: undefined },
} as const;

type SettingName = keyof typeof DEMO_SETTINGS;
/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

/** Reads and validates the demo settings; errors name the variable, the value and what is allowed. */
export function readDemoConfig(env: NodeJS.ProcessEnv, context: (key: string) => unknown): DemoConfig {
  const raw = (name: SettingName): string | undefined => {
    const setting = DEMO_SETTINGS[name];
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromContext = context(setting.context);
    if (fromContext !== undefined && fromContext !== null && fromContext !== '') return String(fromContext);
    return setting.default;
  };
  const label = (name: SettingName) => `${DEMO_SETTINGS[name].env} (context "${DEMO_SETTINGS[name].context}")`;
  const check: PropChecker = new PropChecker('Demo setting');
  const integer = (name: SettingName): number => {
    const text = raw(name) ?? '';
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isNaN(value)) check.fail(label(name), text, 'must be a whole number');
    return value;
  };

  const stackName = raw('stackName')!;
  check.pattern(label('stackName'), stackName, /^[a-zA-Z0-9_-]+$/, 1, 64, 'letters, digits, - and _');
  const region = raw('region')!;
  check.pattern(label('region'), region, /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 9, 20, 'an AWS region name such as us-east-1');
  const namePrefix = raw('namePrefix') ?? '';
  check.pattern(label('namePrefix'), namePrefix || undefined, /^[\w+=,.@-]+$/, 1, 32, 'letters, digits and + = , . @ _ -');
  const externalId = raw('externalId');
  check.pattern(label('externalId'), externalId, EXTERNAL_ID, 2, 1224, 'letters, digits and + = , . @ : / _ -');
  const maxSessionDuration = integer('maxSessionDuration');
  check.integerInRange(label('maxSessionDuration'), maxSessionDuration, 3600, 43200, 'seconds');
  const runtime = raw('runtime')!;
  check.oneOf(label('runtime'), runtime, RUNTIMES);
  const logRetentionDays = integer('logRetentionDays');
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
    check.fail(label('logRetentionDays'), logRetentionDays, `must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  const localEndpoint = raw('localEndpoint');
  if (localEndpoint !== undefined && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(localEndpoint)) {
    check.fail(label('localEndpoint'), localEndpoint, 'must be an http(s) URL such as http://127.0.0.1:4566');
  }

  const backendType = raw('backend')!;
  check.oneOf(label('backend'), backendType, ['local', 's3']);
  let backend: DemoConfig['backend'];
  if (backendType === 's3') {
    const bucket = raw('stateBucket');
    if (bucket === undefined) check.fail(label('stateBucket'), bucket, 'is required when the backend is s3');
    check.pattern(label('stateBucket'), bucket, /^[a-z0-9][a-z0-9.-]+[a-z0-9]$/, 3, 63, 'lower-case letters, digits, . and -');
    const stateRegion = raw('stateRegion') ?? region;
    check.pattern(
      label('stateRegion'),
      stateRegion,
      /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
      9,
      20,
      'an AWS region name such as us-east-1',
    );
    backend = { type: 's3', bucket, key: raw('stateKey')!, region: stateRegion, dynamodbTable: raw('stateLockTable') };
  } else {
    for (const name of ['stateBucket', 'stateLockTable'] as const) {
      if (raw(name) !== undefined)
        check.fail(label(name), raw(name), `only applies to the s3 backend: set ${DEMO_SETTINGS.backend.env}=s3 or remove it`);
    }
    backend = { type: 'local', path: raw('localStatePath') };
  }

  const issuerUrl = raw('webIdentityIssuer');
  const subject = raw('webIdentitySubject');
  if (issuerUrl !== undefined && subject === undefined)
    check.fail(label('webIdentitySubject'), subject, 'is required with a web identity issuer');
  const webIdentity =
    issuerUrl === undefined
      ? undefined
      : { issuerUrl, audience: raw('webIdentityAudience')!, subject: subject!, thumbprint: raw('webIdentityThumbprint') };
  // The issuer URL, audience, subject and thumbprint are checked by WebIdentityTrust, naming the construct.
  return { stackName, region, namePrefix, externalId, maxSessionDuration, runtime, logRetentionDays, backend, localEndpoint, webIdentity };
}
