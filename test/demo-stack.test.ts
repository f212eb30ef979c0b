import { describe, expect, it } from 'vitest';
import { ACCOUNT, synthDemo, PROTECTED_URL_OUTPUTS } from './support/synthesized-stack';

/** The demo stack (stacks/): what `npm run demo` and `npm run synth` deploy, with its settings. */

const FN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:url-iam-demo`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/function_invoker`;
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/lambda_invoker`;

describe('the demo stack', () => {
  const stack = synthDemo();

  it('creates exactly the resources of the design: function, logs, URL, role, policy, attachment, user, key, user policy', () => {
    const counts = Object.fromEntries(
      Object.entries(stack.json.resource).map(([type, byId]) => [type, Object.keys(byId as object).length]),
    );
    expect(counts).toEqual({
      aws_cloudwatch_log_group: 1,
      aws_iam_access_key: 1,
      aws_iam_policy: 1,
      aws_iam_role: 2,
      aws_iam_role_policy: 1,
      aws_iam_role_policy_attachment: 1,
      aws_iam_user: 1,
      aws_iam_user_policy: 1,
      aws_lambda_function: 1,
      aws_lambda_function_url: 1,
    });
  });

  it('makes the function URL AWS_IAM, buffered, for the demo function', () => {
    const url = stack.only('aws_lambda_function_url');
    expect(url.authorization_type).toBe('AWS_IAM');
    expect(url.invoke_mode).toBe('BUFFERED');
    expect(url.function_name).toBe('${aws_lambda_function.Function.function_name}');
    expect(url.qualifier).toBeUndefined();
  });

  it('names the role function_invoker, its policy InvokeSingleLambdaPolicy and the user lambda_invoker', () => {
    const role = stack.resources('aws_iam_role');
    const invokerRole = Object.values(role).find((r) => r.name === 'function_invoker');
    expect(invokerRole).toMatchObject({ path: '/', max_session_duration: 3600 });
    expect(stack.only('aws_iam_policy').name).toBe('InvokeSingleLambdaPolicy');
    expect(stack.only('aws_iam_user').name).toBe('lambda_invoker');
  });

  it('writes the invoke policy as the two statements AWS requires, on the function ARN only', () => {
    const policy = stack.policy(stack.only('aws_iam_policy').policy);
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'InvokeFunctionUrl',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunctionUrl',
          Resource: FN_ARN,
          Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        },
        {
          Sid: 'InvokeFunctionViaUrl',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: FN_ARN,
          Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
        },
      ],
    });
  });

  it('lets only the invoker user assume the role, and the user do nothing but that', () => {
    const role = Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'function_invoker')!;
    expect(stack.policy(role.assume_role_policy).Statement).toEqual([
      { Sid: 'AllowTrustedPrincipalsToAssume', Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole' },
    ]);
    expect(stack.policy(stack.only('aws_iam_user_policy').policy).Statement).toEqual([
      { Sid: 'AssumeFunctionInvokerRoleOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN },
    ]);
  });

  // The simulator reads these policies by name; that they sit on the invoker user (and its key
  // belongs to it) is what makes "the key may only assume the role" true in AWS.
  it('puts the assume-role policy and the access key on the invoker user itself', () => {
    const userRef = (attribute: string) => new RegExp(`^\\$\\{aws_iam_user\\.ProtectedUrl_InvokerUser_[A-F0-9]+\\.${attribute}\\}$`);
    expect(stack.only('aws_iam_user_policy').user).toMatch(userRef('name'));
    expect(stack.only('aws_iam_access_key').user).toMatch(userRef('name'));
    expect(
      JSON.parse(Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'function_invoker')!.assume_role_policy).Statement[0]
        .Principal.AWS,
    ).toMatch(userRef('arn'));
  });

  it('attaches the invoke policy to the invoker role', () => {
    const attachment = stack.only('aws_iam_role_policy_attachment');
    expect(attachment.role).toMatch(/^\$\{aws_iam_role\.ProtectedUrl_InvokerRole_[A-F0-9]+\.name\}$/);
    expect(attachment.policy_arn).toMatch(/^\$\{aws_iam_policy\.ProtectedUrl_InvokerRole_InvokePolicy_[A-F0-9]+\.arn\}$/);
  });

  it('gives the function an execution role that may only write its own log group, which has a retention', () => {
    const execRole = Object.values(stack.resources('aws_iam_role')).find((r) => r.name === 'url-iam-demo-execution')!;
    expect(stack.policy(execRole.assume_role_policy).Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(stack.policy(stack.only('aws_iam_role_policy').policy).Statement).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/url-iam-demo:*`,
      },
    ]);
    expect(stack.only('aws_cloudwatch_log_group')).toMatchObject({ name: '/aws/lambda/url-iam-demo', retention_in_days: 14 });
    const fn = stack.only('aws_lambda_function');
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler', depends_on: ['aws_cloudwatch_log_group.LogGroup'] });
    expect(fn.filename).toMatch(/^assets\/HandlerCode\/[A-F0-9]+\/archive\.zip$/);
  });

  it('declares the outputs the client reads, with the secret marked sensitive', () => {
    const outputs = stack.outputsOf(['lambda-url-iam-demo', 'ProtectedUrl']);
    expect(Object.keys(outputs).sort()).toEqual(PROTECTED_URL_OUTPUTS);
    expect(outputs.invoker_secret_access_key).toMatchObject({
      sensitive: true,
      value: expect.stringMatching(/aws_iam_access_key\..+\.secret\}$/),
    });
    for (const [name, output] of Object.entries(outputs))
      if (name !== 'invoker_secret_access_key') expect(output.sensitive, name).toBe(false);
    expect(outputs.region.value).toBe('${element(split(":", aws_lambda_function.Function.arn), 3)}');
  });

  it('applies the settings given in the environment: prefix, external ID, session length, region, runtime', () => {
    const custom = synthDemo({
      DEMO_NAME_PREFIX: 'team-a-',
      DEMO_EXTERNAL_ID: 'partner-4711',
      DEMO_MAX_SESSION_DURATION: '7200',
      DEMO_REGION: 'eu-west-1',
      DEMO_RUNTIME: 'nodejs20.x',
    });
    expect(custom.only('aws_iam_user').name).toBe('team-a-lambda_invoker');
    expect(custom.only('aws_iam_policy').name).toBe('team-a-InvokeSingleLambdaPolicy');
    const role = Object.values(custom.resources('aws_iam_role')).find((r) => r.name === 'team-a-function_invoker')!;
    expect(role.max_session_duration).toBe(7200);
    expect(JSON.parse(role.assume_role_policy).Statement[0].Condition).toEqual({ StringEquals: { 'sts:ExternalId': 'partner-4711' } });
    expect(custom.json.provider.aws[0].region).toBe('eu-west-1');
    expect(custom.only('aws_lambda_function').runtime).toBe('nodejs20.x');
    const outputs = custom.outputsOf(['lambda-url-iam-demo', 'ProtectedUrl']);
    expect(outputs.external_id.value).toBe('partner-4711');
    expect(outputs.max_session_duration.value).toBe(7200);
  });

  it('points every AWS API at one endpoint in local mode, and not otherwise', () => {
    expect(stack.json.provider.aws[0].endpoints).toBeUndefined();
    const local = synthDemo({ DEMO_AWS_ENDPOINT: 'http://127.0.0.1:4566' });
    expect(local.json.provider.aws[0]).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_region_validation: true,
      skip_metadata_api_check: 'true',
      endpoints: [
        {
          iam: 'http://127.0.0.1:4566',
          sts: 'http://127.0.0.1:4566',
          lambda: 'http://127.0.0.1:4566',
          cloudwatchlogs: 'http://127.0.0.1:4566',
        },
      ],
    });
    expect(JSON.stringify(local.json.provider)).not.toMatch(/access_key|secret_key/);
  });

  it('stores state in an encrypted, locked S3 backend when asked', () => {
    const s3 = synthDemo({ DEMO_BACKEND: 's3', DEMO_STATE_BUCKET: 'team-tf-state', DEMO_STATE_REGION: 'eu-central-1' });
    expect(s3.json.terraform.backend).toEqual({
      s3: {
        bucket: 'team-tf-state',
        key: 'lambda-url-iam-demo/terraform.tfstate',
        region: 'eu-central-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
    const withTable = synthDemo({ DEMO_BACKEND: 's3', DEMO_STATE_BUCKET: 'team-tf-state', DEMO_STATE_LOCK_TABLE: 'tf-locks' });
    expect(withTable.json.terraform.backend.s3).toMatchObject({ dynamodb_table: 'tf-locks', region: 'us-east-1' });
    expect(withTable.json.terraform.backend.s3.use_lockfile).toBeUndefined();
  });
});
