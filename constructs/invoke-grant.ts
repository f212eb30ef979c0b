import type { PolicyStatement } from './policy-document';

/**
 * What `IamFunctionUrl.grantInvokeUrl` hands to a grantee: the identity-policy statements that
 * allow calling one function URL, and the ARN they name. The URL decides the actions, the ARN and
 * the conditions; the grantee only decides where the statements go.
 */
export interface FunctionUrlInvokeGrant {
  /** The ARN IAM evaluates for calls to the URL (qualified for an aliased URL). */
  readonly invokeArn: string;
  /**
   * The statements, with the URL's base Sids (`InvokeFunctionUrl`, `InvokeFunctionViaUrl`). A
   * grantee that holds several grants in one policy makes the Sids unique (IAM requires it).
   */
  readonly statements: readonly PolicyStatement[];
}

/**
 * An IAM principal that can be allowed to call a function URL: `url.grantInvokeUrl(grantee)`.
 * `FunctionInvokerRole` is one. Any construct that owns an identity policy can be one (a role a
 * credential vendor assumes, for instance): it keeps the grants it receives and renders their
 * statements into its policy.
 */
export interface InvokeGrantee {
  /**
   * Adds the grant's statements to this principal's identity policy. A grant for an ARN the
   * principal already holds is a no-op.
   */
  addInvokeGrant(grant: FunctionUrlInvokeGrant): void;
}

/** Whether `value` can receive invoke grants (checked by shape: a copy of this package has its own classes). */
export function isInvokeGrantee(value: unknown): value is InvokeGrantee {
  return typeof value === 'object' && value !== null && typeof (value as Partial<InvokeGrantee>).addInvokeGrant === 'function';
}
