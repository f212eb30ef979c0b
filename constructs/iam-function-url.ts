import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { sameConstructsCopy } from './constructs-copy';
import { Fn } from 'cdktf';
import { LambdaFunctionUrl, type LambdaFunctionUrlCors } from '@cdktf/provider-aws/lib/lambda-function-url';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { type FunctionUrlInvokeGrant, type InvokeGrantee, isInvokeGrantee } from './invoke-grant';
import type { PolicyStatement } from './policy-document';
import { ALIAS_NAME, FUNCTION_ARN, FUNCTION_NAME, PropChecker, isUnresolved } from './prop-validation';

/** How the function URL returns the response. */
export enum InvokeMode {
  /** The whole response is buffered, then returned (payload limit 6 MB). */
  BUFFERED = 'BUFFERED',
  /** The response is streamed as the function writes it (needs a streaming handler). */
  RESPONSE_STREAM = 'RESPONSE_STREAM',
}

export const CORS_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', '*'] as const;
export type CorsMethod = (typeof CORS_METHODS)[number];

/** Cross-origin resource sharing for browser callers; AWS applies it before IAM. */
export interface FunctionUrlCorsOptions {
  /** @default - no origin is allowed */
  readonly allowOrigins?: string[];
  /** @default - no method is allowed */
  readonly allowMethods?: CorsMethod[];
  /** @default - no header is allowed */
  readonly allowHeaders?: string[];
  /** @default - no header is exposed */
  readonly exposeHeaders?: string[];
  /** @default false */
  readonly allowCredentials?: boolean;
  /** Seconds a browser may cache the preflight answer, 0 to 86400. @default 0 */
  readonly maxAge?: number;
}

/** What can be tuned on an IAM-protected function URL. */
export interface IamFunctionUrlOptions {
  /**
   * Alias the URL points at. IAM then checks the qualified ARN `…:function:NAME:ALIAS`, and the
   * invoke grants name exactly that ARN. Versions cannot have URLs; aliases can.
   * @default - the unqualified function ($LATEST)
   */
  readonly qualifier?: string;
  /** @default InvokeMode.BUFFERED */
  readonly invokeMode?: InvokeMode;
  /** @default - no CORS configuration */
  readonly cors?: FunctionUrlCorsOptions;
}

/**
 * What the constructs use of an `aws_lambda_function` resource. Every copy of the provider's
 * `LambdaFunction` fits, whichever framework or install it comes from: a second copy of the
 * provider (symlinked, `file:` or duplicated installs) has its own class, so neither `instanceof`
 * nor a class type could recognise it. cdktf and cdktn themselves recognise resources the same
 * way (a shared `Symbol.for` key and the resource type), not by class.
 */
export interface LambdaFunctionResource {
  /** Always `aws_lambda_function`; checked at run time. */
  readonly terraformResourceType: string;
  readonly functionName: string;
  readonly arn: string;
}

export interface IamFunctionUrlProps extends IamFunctionUrlOptions {
  /**
   * The function: a `LambdaFunction` of this stack, or the name or ARN of an existing one. An ARN
   * that carries an alias (`…:function:NAME:ALIAS`) is split into function and `qualifier`.
   */
  readonly function: LambdaFunctionResource | string;
}

/**
 * Whether the provider's `aws_lambda_permission` has `invoked_via_function_url` (hashicorp/aws
 * 6.28.0 and later: @cdktn/provider-aws 25.x has it, @cdktf/provider-aws up to 21.x does not).
 * Read from the generated class, not from a version number: the class is what will synthesize.
 */
export const PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL: boolean = 'invokedViaFunctionUrl' in LambdaPermission.prototype;

/**
 * A Lambda function URL whose authorization type is always AWS_IAM: only SigV4-signed requests
 * from principals with both invoke permissions get in. This library exists to avoid public URLs,
 * so there is no option for NONE.
 */
export class IamFunctionUrl extends Construct {
  readonly authType = 'AWS_IAM';
  /** `https://<url-id>.lambda-url.<region>.on.aws/` */
  readonly url: string;
  /** The unqualified function ARN. */
  readonly functionArn: string;
  /** The ARN IAM evaluates for calls to this URL: the function ARN, plus `:ALIAS` for an aliased URL. */
  readonly invokeArn: string;
  /** The region the function (and so the URL, and SigV4 scope) lives in, from the function ARN. */
  readonly region: string;
  readonly qualifier?: string;
  readonly invokeMode: InvokeMode;
  /**
   * True when a cross-account invoker's InvokeFunction permission is limited to calls through the
   * function URL (`invoked_via_function_url = true`, provider 6.28+); false on older providers,
   * where that permission also allows the Invoke API (see `allowCrossAccountInvoker`).
   */
  readonly crossAccountInvokeOnlyViaUrl: boolean = PERMISSION_SUPPORTS_INVOKED_VIA_FUNCTION_URL;

  private readonly urlResource: LambdaFunctionUrl;
  private readonly functionName: string;
  private readonly crossAccountInvokers = new Set<string>();

  constructor(scope: Construct, id: string, props: IamFunctionUrlProps) {
    super(sameConstructsCopy(scope), id);
    // From JavaScript the props may be left out; then the message names the missing `function`.
    props = props ?? ({} as IamFunctionUrlProps);
    const check: PropChecker = new PropChecker('IamFunctionUrl', this.node.path);
    const target = resolveTarget(check, props);
    this.qualifier = target.qualifier;
    this.invokeMode = props.invokeMode ?? InvokeMode.BUFFERED;
    check.oneOf('invokeMode', this.invokeMode, Object.values(InvokeMode));
    validateCors(check, props.cors);

    this.functionName = target.functionName;
    this.urlResource = new LambdaFunctionUrl(this, 'Url', {
      functionName: target.functionName,
      qualifier: this.qualifier,
      authorizationType: this.authType,
      invokeMode: this.invokeMode,
      cors: renderCors(props.cors),
    });
    this.url = this.urlResource.functionUrl;
    // The provider reports function_arn as AWS returns it; keep the first 7 ARN fields so the
    // value is the unqualified ARN whether the user gave a construct, a name or an ARN.
    this.functionArn = target.functionArn ?? Fn.join(':', Fn.slice(Fn.split(':', this.urlResource.functionArn), 0, 7));
    this.invokeArn = this.qualifier === undefined ? this.functionArn : `${this.functionArn}:${this.qualifier}`;
    this.region = Fn.element(Fn.split(':', this.functionArn), 3);
  }

  /**
   * Allows `grantee` (a `FunctionInvokerRole`, or any other `InvokeGrantee`) to call this URL:
   * its identity policy gets `invokeStatements()`, on exactly this URL's `invokeArn`. Granting
   * the same grantee twice is a no-op. Returns what was granted.
   */
  grantInvokeUrl(grantee: InvokeGrantee): FunctionUrlInvokeGrant {
    if (!isInvokeGrantee(grantee)) {
      new PropChecker('IamFunctionUrl', this.node.path).fail(
        'grantee',
        grantee,
        'must be an InvokeGrantee, e.g. a FunctionInvokerRole (the principal that may call the URL)',
      );
    }
    const grant: FunctionUrlInvokeGrant = { invokeArn: this.invokeArn, statements: this.invokeStatements() };
    grantee.addInvokeGrant(grant);
    return grant;
  }

  /**
   * The statements an identity policy needs to call this URL, as data (for a policy of your own,
   * a simulator, a test). AWS checks two actions for a function URL call since October 2025
   * (Lambda Developer Guide, "Control access to Lambda function URLs"):
   * `lambda:InvokeFunctionUrl` (with the URL's auth type) and `lambda:InvokeFunction` (flagged as
   * coming through a function URL). A policy with only the first gets 403; the condition on the
   * second keeps the Invoke API closed. `sidSuffix` keeps Sids unique when one policy covers
   * several URLs.
   */
  invokeStatements(sidSuffix = ''): PolicyStatement[] {
    return [
      {
        Sid: `InvokeFunctionUrl${sidSuffix}`,
        Effect: 'Allow',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: this.invokeArn,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': this.authType } },
      },
      {
        Sid: `InvokeFunctionViaUrl${sidSuffix}`,
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: this.invokeArn,
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
      },
    ];
  }

  /**
   * Lets a principal of ANOTHER account call this URL with its own credentials. Cross-account
   * calls need the function's resource policy to allow them too (the caller's account must also
   * give the principal `invokeStatements()` in an identity policy).
   *
   * Two `aws_lambda_permission`s are written: InvokeFunctionUrl with `function_url_auth_type =
   * AWS_IAM`, and InvokeFunction. With hashicorp/aws 6.28+ (the cdktn target) the second carries
   * `invoked_via_function_url = true`, so the principal may call the URL and nothing else. Older
   * providers (5.100, the cdktf target) cannot attach the `lambda:InvokedViaFunctionUrl`
   * condition to a permission, so there the second one is the narrowest grant they can express:
   * that principal may also invoke the function (this alias) through the Invoke API. See
   * `crossAccountInvokeOnlyViaUrl`. `function_url_auth_type` stays on the first permission only:
   * AWS refuses it on InvokeFunction (InvalidParameterValueException). Principals that assume the
   * FunctionInvokerRole need none of this: their session belongs to the function's account.
   */
  allowCrossAccountInvoker(principalArn: string): void {
    const check = new PropChecker('IamFunctionUrl', this.node.path);
    check.principalArn('crossAccountInvoker', principalArn);
    // A resource policy alone grants a principal of the function's own account, without any
    // identity policy; on hashicorp/aws 5.100 that includes the Invoke API. Such principals assume
    // the FunctionInvokerRole instead (known only when the function was given by ARN).
    const functionAccount = isUnresolved(this.functionArn) ? undefined : this.functionArn.split(':')[4];
    if (functionAccount !== undefined && !isUnresolved(principalArn) && principalArn.split(':')[4] === functionAccount) {
      check.fail(
        'crossAccountInvoker',
        principalArn,
        `must belong to another account than the function's (${functionAccount}): principals of its own account get the URL through the FunctionInvokerRole (trustedPrincipals)`,
      );
    }
    if (this.crossAccountInvokers.has(principalArn)) return;
    this.crossAccountInvokers.add(principalArn);
    // Construct ids come from the principal: a different principal is a different permission
    // (aws_lambda_permission replaces itself when its principal changes anyway).
    const key = isUnresolved(principalArn)
      ? String(this.crossAccountInvokers.size)
      : createHash('sha256').update(principalArn).digest('hex').slice(0, 10);
    const common = { functionName: this.functionName, qualifier: this.qualifier, principal: principalArn };
    new LambdaPermission(this, `CrossAccountInvokeUrl${key}`, {
      ...common,
      statementId: `InvokeFunctionUrl-${key}`,
      action: 'lambda:InvokeFunctionUrl',
      functionUrlAuthType: this.authType,
    });
    const invokeFunction = new LambdaPermission(this, `CrossAccountInvokeFunction${key}`, {
      ...common,
      statementId: `InvokeFunction-${key}`,
      action: 'lambda:InvokeFunction',
    });
    // Set through the provider's own setter (it knows the Terraform name and the type); the
    // cast is needed only because the cdktf provider's types lack the attribute.
    if (this.crossAccountInvokeOnlyViaUrl) (invokeFunction as unknown as { invokedViaFunctionUrl: boolean }).invokedViaFunctionUrl = true;
  }
}

interface ResolvedTarget {
  functionName: string;
  functionArn?: string;
  qualifier?: string;
}

function resolveTarget(check: PropChecker, props: IamFunctionUrlProps): ResolvedTarget {
  check.pattern(
    'qualifier',
    props.qualifier,
    ALIAS_NAME,
    1,
    128,
    'an alias name: letters, digits, - and _, not all digits (function URLs point at an alias, never at a version)',
  );
  const fn: unknown = props.function;
  if (isLambdaFunctionResource(fn)) {
    return { functionName: fn.functionName, functionArn: fn.arn, qualifier: props.qualifier };
  }
  if (typeof fn !== 'string' || fn.length === 0) {
    return check.fail('function', fn, 'must be a LambdaFunction (an aws_lambda_function resource), a function name or a function ARN');
  }
  if (isUnresolved(fn)) return { functionName: fn, qualifier: props.qualifier };
  if (fn.startsWith('arn:')) {
    if (!FUNCTION_ARN.test(fn)) {
      check.fail(
        'function',
        fn,
        'must be a Lambda function ARN: arn:<partition>:lambda:<region>:<12-digit account>:function:<name>[:<alias>]',
      );
    }
    const parts = fn.split(':');
    const arnQualifier = parts[7];
    if (arnQualifier !== undefined) {
      check.pattern(
        'function',
        arnQualifier,
        ALIAS_NAME,
        1,
        128,
        'an alias after the function name (function URLs point at an alias, never at a version or $LATEST)',
      );
      if (props.qualifier !== undefined && props.qualifier !== arnQualifier) {
        check.fail('qualifier', props.qualifier, `must match the alias in the function ARN ("${arnQualifier}") or be left out`);
      }
    }
    const unqualified = parts.slice(0, 7).join(':');
    return { functionName: unqualified, functionArn: unqualified, qualifier: arnQualifier ?? props.qualifier };
  }
  check.pattern('function', fn, FUNCTION_NAME, 1, 64, 'a function name (letters, digits, - and _) or an ARN starting with "arn:"');
  return { functionName: fn, qualifier: props.qualifier };
}

function isLambdaFunctionResource(value: unknown): value is LambdaFunctionResource {
  if (typeof value !== 'object' || value === null) return false;
  const resource = value as Partial<Record<keyof LambdaFunctionResource, unknown>>;
  return (
    resource.terraformResourceType === 'aws_lambda_function' &&
    typeof resource.functionName === 'string' &&
    typeof resource.arn === 'string'
  );
}

function validateCors(check: PropChecker, cors: FunctionUrlCorsOptions | undefined): void {
  if (cors === undefined) return;
  // From JavaScript or JSON `cors` can be anything; its fields are read only once it is an object.
  if (typeof cors !== 'object' || cors === null || Array.isArray(cors))
    check.fail('cors', cors, 'must be an object of CORS settings, e.g. { allowOrigins: ["https://app.example.com"] }');
  check.boolean('cors.allowCredentials', cors.allowCredentials);
  check.integerInRange('cors.maxAge', cors.maxAge, 0, 86400, 'seconds');
  // The provider's CORS lists are sets of strings; a single string from JavaScript or JSON would
  // reach Terraform as a string and fail at plan, so it is refused here.
  for (const [prop, list] of [
    ['cors.allowMethods', cors.allowMethods],
    ['cors.allowOrigins', cors.allowOrigins],
    ['cors.allowHeaders', cors.allowHeaders],
    ['cors.exposeHeaders', cors.exposeHeaders],
  ] as const) {
    check.list(prop, list, '["https://app.example.com"]', 'a list of strings');
  }
  for (const method of cors.allowMethods ?? []) check.oneOf('cors.allowMethods', method, CORS_METHODS);
  for (const [prop, list, maxItem] of [
    ['cors.allowOrigins', cors.allowOrigins, 253],
    ['cors.allowHeaders', cors.allowHeaders, 1024],
    ['cors.exposeHeaders', cors.exposeHeaders, 1024],
  ] as const) {
    if (list === undefined || !Array.isArray(list)) continue;
    if (list.length > 100) check.fail(prop, list, 'may hold at most 100 entries');
    for (const item of list) {
      if (!isUnresolved(item) && (typeof item !== 'string' || item.length < 1 || item.length > maxItem || /\s/.test(item))) {
        check.fail(prop, item, `entries must be 1 to ${maxItem} characters without spaces`);
      }
    }
  }
}

function renderCors(cors: FunctionUrlCorsOptions | undefined): LambdaFunctionUrlCors | undefined {
  if (cors === undefined) return undefined;
  return {
    allowOrigins: cors.allowOrigins,
    allowMethods: cors.allowMethods,
    allowHeaders: cors.allowHeaders,
    exposeHeaders: cors.exposeHeaders,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge,
  };
}
