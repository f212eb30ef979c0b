import type { IConstruct } from 'constructs';
import { TerraformStack, Token } from 'cdktf';

/**
 * A construct prop a user set to a value AWS (or this library) does not accept.
 * The message names the construct, where it sits in the tree, the prop, the value and what is
 * allowed, e.g. `FunctionInvokerRole at Stack/PartnerApi/InvokerRole: maxSessionDuration must be
 * a whole number of seconds from 3600 to 43200 (got 100)`; a prop left out says so instead of
 * showing "undefined". Thrown from constructors, so nothing is synthesized when a prop is wrong.
 */
export class InvalidPropError extends Error {
  constructor(
    readonly construct: string,
    readonly prop: string,
    readonly value: unknown,
    readonly allowed: string,
    /** The construct's path (`node.path`); absent for settings that are not construct props. */
    readonly constructPath?: string,
  ) {
    const where = constructPath === undefined || constructPath === '' ? construct : `${construct} at ${constructPath}:`;
    const missing = allowed.startsWith('must')
      ? `${where} ${prop} is missing: it ${allowed}`
      : `${where} ${prop} ${allowed} (it is not set)`;
    super(value === undefined ? missing : `${where} ${prop} ${allowed} (got ${describe(value)})`);
    this.name = 'InvalidPropError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}… (${value.length} characters)` : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) {
    // A construct is best known by its path; a resource also by its Terraform type.
    const { terraformResourceType, node } = value as { terraformResourceType?: unknown; node?: { path?: unknown } };
    const path = typeof node?.path === 'string' ? node.path : undefined;
    if (typeof terraformResourceType === 'string') return `the ${terraformResourceType} resource ${path ?? ''}`.trimEnd();
    if (path !== undefined) return `the construct ${path}`;
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(value);
}

/**
 * A value that is a Terraform reference (a cdktf token, or a raw `${…}` expression) is only known
 * at apply time: Terraform and AWS check it.
 */
export function isUnresolved(value: unknown): boolean {
  if (typeof value === 'string') return Token.isUnresolved(value) || value.includes('${');
  return typeof value === 'number' && Token.isUnresolved(value);
}

/** Checks props of one construct; each method throws `InvalidPropError` naming the prop. */
export class PropChecker {
  /** `constructPath` is the checked construct's `node.path`, so a message says which one it was. */
  constructor(
    private readonly construct: string,
    private readonly constructPath?: string,
  ) {}

  fail(prop: string, value: unknown, allowed: string): never {
    throw new InvalidPropError(this.construct, prop, value, allowed, this.constructPath);
  }

  /** String matching `pattern` with a length in [min, max]; `rule` says in words what is allowed. */
  pattern(prop: string, value: string | undefined, pattern: RegExp, min: number, max: number, rule: string): void {
    if (value === undefined || isUnresolved(value)) return;
    if (typeof value !== 'string' || value.length < min || value.length > max || !pattern.test(value)) {
      this.fail(prop, value, `must be ${min === max ? min : `${min} to ${max}`} characters of ${rule}`);
    }
  }

  integerInRange(prop: string, value: number | undefined, min: number, max: number, unit: string): void {
    if (value === undefined || isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(prop, value, `must be a whole number of ${unit} from ${min} to ${max}`);
    }
  }

  /**
   * A flag must be a boolean: from JavaScript, JSON or an environment variable it can arrive as
   * the string "false", which is truthy (`createInvokerUser: "false"` would create the user and
   * the long-lived key it was meant to leave out).
   */
  boolean(prop: string, value: boolean | undefined): void {
    if (value === undefined || typeof value === 'boolean' || Token.isUnresolved(value)) return;
    this.fail(prop, value, 'must be true or false (a boolean, not a string or number)');
  }

  /** A list must be an array: a single string would be iterated letter by letter. */
  list(prop: string, value: readonly unknown[] | undefined, example: string, what = 'a list'): void {
    if (value === undefined || Array.isArray(value) || isUnresolved(value)) return;
    this.fail(prop, value, `must be ${what}, e.g. ${example}`);
  }

  oneOf<T extends string>(prop: string, value: T | undefined, allowed: readonly T[]): void {
    if (value === undefined || isUnresolved(value)) return;
    if (!allowed.includes(value)) this.fail(prop, value, `must be one of ${allowed.join(', ')}`);
  }

  /** IAM user, role and policy names: AWS's `[\w+=,.@-]` character set. */
  iamName(prop: string, value: string | undefined, max: number): void {
    this.pattern(prop, value, IAM_NAME, 1, max, 'letters, digits and + = , . @ _ -');
  }

  /** IAM paths: `/` or `/a/b/`, printable ASCII, at most 512 characters. */
  /** A permissions boundary is a managed policy ARN (IAM's `PermissionsBoundary` parameter). */
  managedPolicyArn(prop: string, value: string | undefined): void {
    this.pattern(prop, value, MANAGED_POLICY_ARN, 20, 2048, 'a managed policy ARN (arn:<partition>:iam::<account or "aws">:policy/<name>)');
  }

  iamPath(prop: string, value: string | undefined): void {
    this.pattern(prop, value, IAM_PATH, 1, 512, 'printable ASCII that starts and ends with "/" (e.g. "/" or "/invokers/")');
  }

  /** ARN of an IAM principal a trust policy or Lambda permission may name. */
  principalArn(prop: string, value: string): void {
    if (isUnresolved(value)) return;
    if (/^\d{12}$/.test(value)) {
      this.fail(
        prop,
        value,
        `must be an ARN, not a bare account ID: write "arn:aws:iam::${value}:root" (AWS rewrites a bare ID to that ARN, and the Terraform AWS provider then plans a replacement on every run, hashicorp/terraform-provider-aws#30722)`,
      );
    }
    if (!PRINCIPAL_ARN.test(value)) {
      this.fail(
        prop,
        value,
        'must be an IAM principal ARN: arn:<partition>:iam::<12-digit account>:root, …:user/<name>, …:role/<name>, or arn:<partition>:sts::<account>:assumed-role/<role>/<session>',
      );
    }
  }

  /**
   * IAM role, user and managed policy names are unique in an account, whatever the path, and
   * compared without case (IAM User Guide, "IAM object quotas and names"). A second use in one
   * stack would pass synth and fail at apply with EntityAlreadyExists, after Terraform created
   * part of the stack; so a stack may claim each name once.
   */
  uniqueIamName(scope: IConstruct, kind: 'role' | 'user' | 'policy', prop: string, name: string): void {
    if (isUnresolved(name)) return;
    const stack = TerraformStack.of(scope);
    let claimed = IAM_NAMES_BY_STACK.get(stack);
    if (claimed === undefined) {
      claimed = new Map();
      IAM_NAMES_BY_STACK.set(stack, claimed);
    }
    const key = `${kind} ${name.toLowerCase()}`;
    const owner = claimed.get(key);
    if (owner !== undefined) {
      this.fail(
        prop,
        name,
        `must differ from the IAM ${kind} name ${owner.path} already uses in this stack (IAM names are unique per account, ignoring case): set namePrefix or another name`,
      );
    }
    claimed.set(key, { path: scope.node.path });
  }

  tags(prop: string, tags: Record<string, string> | undefined): void {
    if (tags === undefined) return;
    if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
      this.fail(prop, tags, 'must be an object of tag keys to values, e.g. { team: "payments" }');
    const entries = Object.entries(tags);
    if (entries.length > 50) this.fail(prop, tags, 'may hold at most 50 tags');
    for (const [key, value] of entries) {
      if (isUnresolved(key)) continue;
      // A valid IAM tag key, but cdktf copies tags into a plain object, where assigning "__proto__"
      // sets the prototype instead: the tag would be missing from the synthesized JSON.
      if (key === '__proto__')
        this.fail(
          `${prop} key`,
          key,
          'cannot be carried through cdktf (it copies tags into a plain object, where this key is dropped); choose another key',
        );
      if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key) || /^aws:/i.test(key)) {
        this.fail(
          `${prop} key`,
          key,
          'must be 1 to 128 characters of letters, digits, spaces and _ . : / = + - @, and must not start with "aws:"',
        );
      }
      if (!isUnresolved(value) && (typeof value !== 'string' || value.length > 256 || !TAG_TEXT.test(value))) {
        this.fail(`${prop}["${key}"]`, value, 'must be 0 to 256 characters of letters, digits, spaces and _ . : / = + - @');
      }
    }
  }
}

const IAM_NAMES_BY_STACK = new WeakMap<TerraformStack, Map<string, { path: string }>>();
const IAM_NAME = /^[\w+=,.@-]+$/;
const IAM_PATH = /^(\/|\/[\u0021-\u007e]+\/)$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** The AWS partitions an ARN may name, as a regular expression group. */
export const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const PRINCIPAL_ARN = new RegExp(
  `^arn:${PARTITION}:(iam::\\d{12}:(root|(user|role)(/[\\u0021-\\u007e]+)*/[\\w+=,.@-]{1,64})|sts::\\d{12}:assumed-role/[\\w+=,.@-]{1,64}/[\\w+=,.@-]{2,64})$`,
);

/** ARN of a Lambda function, optionally qualified by a version or alias. */
export const FUNCTION_ARN = new RegExp(
  `^arn:${PARTITION}:lambda:[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d:\\d{12}:function:[a-zA-Z0-9_-]{1,64}(:(\\$LATEST|[a-zA-Z0-9_-]{1,128}))?$`,
);
export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Alias names: letters, digits, - and _, not all digits (that would be a version). */
export const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
/** External IDs (sts:ExternalId): 2 to 1224 characters of AWS's set. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]+$/;
export const MANAGED_POLICY_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}|aws):policy(/[\\u0021-\\u007e]+)*/[\\w+=,.@-]{1,128}$`);
