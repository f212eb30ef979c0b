import type { IamFunctionUrl } from './iam-function-url';
import { policyDocument, renderPolicy } from './policy-document';
import { type PropChecker, isUnresolved } from './prop-validation';

/** Who may receive credentials from a `CredentialVendor`, and for what. */
export interface VendEntitlement {
  /**
   * The caller: an IAM user ARN or an IAM role ARN (any session of the role matches:
   * `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` is the role `…:role/ROLE`).
   */
  readonly caller: string;
  /** The URLs whose invoke rights the vended session gets (and nothing else). At least one. */
  readonly functionUrls: IamFunctionUrl[];
  /**
   * Longest session the caller may ask for, in seconds, 900 to 3600: the vending function's own
   * session assumes the vend role, and role chaining caps a session at one hour (IAM User Guide,
   * "Role chaining").
   * @default 3600
   */
  readonly maxSessionDuration?: number;
  /** Session tags of the vended session (`aws:PrincipalTag/KEY` in later decisions). @default - none */
  readonly sessionTags?: Record<string, string>;
}

/** The entitlement as the vending function reads it (JSON in its VEND_CONFIG variable). */
export interface RenderedEntitlement {
  readonly caller: string;
  readonly invokeArns: string[];
  readonly maxSessionDuration: number;
  readonly sessionTags: Record<string, string>;
}

export const MAX_VEND_SESSION_SECONDS = 3600;
export const MIN_VEND_SESSION_SECONDS = 900;
/**
 * STS AssumeRole `Policy`: at most 2048 characters of plaintext (AWS STS API reference,
 * AssumeRole, "Policy"). STS also packs the session policy together with the session tags into a
 * binary form with its own limit (PackedPolicyTooLarge), by an algorithm AWS does not publish. The
 * construct counts conservatively as if packing did not compress at all: the minified policy plus
 * every tag key and value must fit in 2048 characters.
 */
export const MAX_SESSION_POLICY_CHARACTERS = 2048;
/** Lambda: all environment variables of a function together at most 4 KB (Lambda quotas). */
export const MAX_ENVIRONMENT_BYTES = 4096;
/**
 * A value known only at apply (a Terraform reference) is counted at the length of the longest
 * unqualified function ARN: `arn:aws-us-gov:lambda:<region>:<account>:function:<64-character
 * name>` is 129 characters with the longest region of today; 140 leaves room for a longer one.
 */
export const UNRESOLVED_ARN_LENGTH = 140;
const STRING_TOKEN = /\$\{TfToken\[[^\]]*\]\}/g;
const USER_OR_ROLE_ARN = /^arn:[\w-]+:iam::\d{12}:(user|role)\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;

/** Length of `text` once Terraform has filled in its references (each counted at UNRESOLVED_ARN_LENGTH). */
export function resolvedLengthBound(text: string): number {
  return Buffer.byteLength(text.replace(STRING_TOKEN, 'x'.repeat(UNRESOLVED_ARN_LENGTH)), 'utf8');
}

/**
 * The session policy the vending function hands STS for this entitlement: each URL's own
 * `invokeStatements()`, numbered so Sids stay unique (what the handler builds at run time).
 */
export function entitlementSessionPolicy(urls: readonly IamFunctionUrl[]): string {
  return renderPolicy(policyDocument(urls.flatMap((url, index) => url.invokeStatements(index === 0 ? '' : String(index + 1)))));
}

/** Checks one entitlement; `prop` names it (`entitlements[2]`). */
export function checkEntitlement(check: PropChecker, prop: string, entitlement: VendEntitlement, vendorUrl: IamFunctionUrl): void {
  if (typeof entitlement !== 'object' || entitlement === null)
    check.fail(prop, entitlement, 'must be an entitlement: { caller, functionUrls, maxSessionDuration?, sessionTags? }');
  const caller: unknown = entitlement.caller;
  if (typeof caller !== 'string' || (!isUnresolved(caller) && !USER_OR_ROLE_ARN.test(caller))) {
    check.fail(
      `${prop}.caller`,
      caller,
      'must be an IAM user or role ARN (arn:aws:iam::<account>:user/<name> or …:role/<name>; a session of the role matches the role)',
    );
  }
  check.list(`${prop}.functionUrls`, entitlement.functionUrls, '[api.functionUrl]', 'a list of IamFunctionUrl constructs');
  if ((entitlement.functionUrls ?? []).length === 0)
    check.fail(`${prop}.functionUrls`, entitlement.functionUrls, 'must name at least one IamFunctionUrl the caller may receive rights for');
  for (const url of entitlement.functionUrls) {
    const candidate = url as Partial<IamFunctionUrl> | undefined;
    if (typeof candidate?.invokeStatements !== 'function' || typeof candidate.grantInvokeUrl !== 'function') {
      check.fail(
        `${prop}.functionUrls`,
        url,
        'must hold IamFunctionUrl constructs: the vend role can only be granted (and so can only vend) URLs it is granted through grantInvokeUrl',
      );
    }
    if (url === vendorUrl)
      check.fail(`${prop}.functionUrls`, url, "must not hold the vendor's own URL: a vended session must not be able to vend again");
  }
  check.integerInRange(
    `${prop}.maxSessionDuration`,
    entitlement.maxSessionDuration,
    MIN_VEND_SESSION_SECONDS,
    MAX_VEND_SESSION_SECONDS,
    'seconds (role chaining caps a session at one hour)',
  );
  check.tags(`${prop}.sessionTags`, entitlement.sessionTags);
  checkPackedSize(check, prop, entitlement);
}

function checkPackedSize(check: PropChecker, prop: string, entitlement: VendEntitlement): void {
  const policy = resolvedLengthBound(entitlementSessionPolicy(entitlement.functionUrls));
  const tags = Object.entries(entitlement.sessionTags ?? {}).reduce(
    (sum, [key, value]) => sum + key.length + resolvedLengthBound(String(value)),
    0,
  );
  if (policy + tags > MAX_SESSION_POLICY_CHARACTERS) {
    check.fail(
      prop,
      entitlement.caller,
      `would need a session policy of up to ${policy} characters plus ${tags} characters of session tags, more than the ${MAX_SESSION_POLICY_CHARACTERS} STS accepts (counted without packing, and with ${UNRESOLVED_ARN_LENGTH} characters for an ARN known only at apply): split its functionUrls over fewer URLs per caller or drop tags`,
    );
  }
}

export function renderEntitlement(entitlement: VendEntitlement): RenderedEntitlement {
  return {
    caller: entitlement.caller,
    invokeArns: entitlement.functionUrls.map((url) => url.invokeArn),
    maxSessionDuration: entitlement.maxSessionDuration ?? MAX_VEND_SESSION_SECONDS,
    sessionTags: { ...(entitlement.sessionTags ?? {}) },
  };
}

/** The variable the vending function reads its configuration from. */
export const VEND_CONFIG_VARIABLE = 'VEND_CONFIG';

/** The vending function's configuration: the vend role and every entitlement, as JSON. */
export function vendConfig(vendRoleArn: string, entitlements: readonly VendEntitlement[]): string {
  return JSON.stringify({ vendRoleArn, entitlements: entitlements.map(renderEntitlement) });
}

/** The configuration must fit in the function's environment (Lambda quotas: 4 KB for all variables). */
export function checkEnvironmentSize(check: PropChecker, config: string): void {
  const bytes = VEND_CONFIG_VARIABLE.length + resolvedLengthBound(config);
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    check.fail(
      'entitlements',
      JSON.parse(config).entitlements,
      `need up to ${bytes} bytes of the function's environment, more than Lambda's ${MAX_ENVIRONMENT_BYTES}: use fewer callers or URLs per vendor`,
    );
  }
}
