import type { IncomingHttpHeaders } from 'node:http';
import type { AuthorizeOptions, Principal } from './authorization';
import type { HandlerRunner } from './handler-runner';
import type { World } from './world';

// biome-ignore lint/suspicious/noExplicitAny: a JSON body is untyped wire data; each handler checks the fields it reads.
export type JsonBody = Record<string, any>;

/**
 * The shape every emulated operation declares (see operations.ts for the table): how a request
 * names it, the IAM action it is authorized as and on which resource, and its handler. The server
 * authorizes each request once, from this declaration, before the handler runs; a handler never
 * decides its own action again.
 */

export type ServiceName = 'iam' | 'sts' | 'lambda' | 'logs';

/** How a request names its operation, by protocol. */
export type Match =
  /** Query protocol (IAM, STS): the `Action` parameter. */
  | { protocol: 'query'; action: string }
  /** REST-JSON (Lambda): the method and the path, a template where `{Label}` is one segment and `{Label+}` the rest of the path. */
  | { protocol: 'rest-json'; method: string; route: string }
  /** JSON 1.1 (CloudWatch Logs): the `X-Amz-Target` header, e.g. `Logs_20140328.CreateLogGroup`. */
  | { protocol: 'json'; target: string };

/** A request as its operation reads it, whatever the protocol. */
export interface OperationRequest {
  /** Query protocol: the parameters of the form body or the query string. REST-JSON: the query string's. */
  params: URLSearchParams;
  /** REST-JSON: the route's labels as sent (still percent-encoded), e.g. `FunctionName`. */
  pathParams: ReadonlyMap<string, string>;
  /** The body as a JSON object, parsed on first use (SerializationException when it is not one). */
  json(): JsonBody;
  body: Buffer;
  headers: IncomingHttpHeaders;
}

/** What an operation's resource, resource policy and condition keys are built from. */
export interface AuthorizationInput {
  request: OperationRequest;
  world: World;
  /** The caller: GetUser without UserName, for instance, acts on it. */
  principal: Principal;
  /** The connection's peer address (`aws:SourceIp`), never taken from a header. */
  sourceIp?: string;
}

export interface OperationCall extends AuthorizationInput {
  /** The server's clock (session expiry). */
  now: Date;
  /** Base of the function URLs this server answers, e.g. http://127.0.0.1:4566 */
  urlBase: string;
  runner: HandlerRunner;
  /**
   * Decides an action the operation needs besides its own, which AWS decides only after the
   * parameters that ask for it are validated (AssumeRole's sts:TagSession for session tags,
   * sts:SetSourceIdentity for a source identity). Throws for the operation's own action: that one
   * was decided once, before the handler ran.
   */
  isAlsoAllowed(action: string, resource: string, options?: Pick<AuthorizeOptions, 'context' | 'resourcePolicy'>): Promise<boolean>;
}

/**
 * Which credentials AWS lets call an operation at all, before any policy is read:
 * - `any`;
 * - `not-session-token`: not GetSessionToken credentials obtained without MFA, which IAM refuses
 *   for every operation and STS for all but AssumeRole and GetCallerIdentity (IAM User Guide,
 *   "Comparing the AWS STS API operations");
 * - `long-term`: a user's or the root's own access key, no temporary credentials (GetSessionToken).
 */
export type CredentialRule = 'any' | 'not-session-token' | 'long-term';

/** The authorization part of a declaration, which an unemulated operation has too. */
export interface OperationAuthorization {
  service: ServiceName;
  /** AWS's name of the operation (its API reference's). */
  name: string;
  match: Match;
  /** The IAM action the request is authorized as, e.g. `iam:CreateUser`, `lambda:InvokeFunction`. */
  action: string;
  /**
   * The ARN the action is authorized on, built from the names in the request (and from the
   * caller, where AWS acts on it) before anything is looked up: an existing entity's real ARN
   * (its path is part of it), the ARN a missing one would have, `*` where the request names none.
   */
  resource(input: AuthorizationInput): string;
  /** @default 'any' */
  credentials?: CredentialRule;
}

export interface OperationDeclaration<M extends Match, Result> extends OperationAuthorization {
  match: M;
  /**
   * False for the operations AWS lets every authenticated caller call without a permission
   * (STS GetCallerIdentity and GetSessionToken: "No permissions are required", STS API reference).
   * @default true
   */
  requiresPermission?: boolean;
  /** The resource's own policy, evaluated with the caller's identity policies (a role's trust policy, a function's policy). */
  resourcePolicy?(input: AuthorizationInput): string | undefined;
  /** True when the caller is refused without a resource policy whatever its identity policies allow: a role that does not exist has no trust policy, and AWS answers AssumeRole with AccessDenied. */
  resourcePolicyRequired?: boolean;
  /** Condition keys the request sets besides the caller's (sts:ExternalId, lambda:InvokedViaFunctionUrl). */
  context?(input: AuthorizationInput): Record<string, string | string[]>;
  /** Runs once the request is authorized: validates the parameters, looks up, changes the world through its methods, and returns what the protocol renders. */
  handle(call: OperationCall): Promise<Result>;
}

/** The children of `<ActionResult>` (XML elements), or undefined for an answer without a result. */
export type QueryOperation = OperationDeclaration<Extract<Match, { protocol: 'query' }>, string[] | undefined>;
/** A JSON body (`json`, absent for 204), or a raw payload with its own headers (Invoke). */
export type RestAnswer = { status: number; json?: unknown } | { status: number; headers: Record<string, string>; payload: string };
export type RestOperation = OperationDeclaration<Extract<Match, { protocol: 'rest-json' }>, RestAnswer>;
export type JsonOperation = OperationDeclaration<Extract<Match, { protocol: 'json' }>, Record<string, unknown>>;

export type Operation = QueryOperation | RestOperation | JsonOperation;

/** An operation AWS has and tools call, which the stand-in does not emulate: authorized like any other, then refused as AWS refuses an unknown one. */
export type UnemulatedOperation = OperationAuthorization;

/** `*`: for the operations IAM authorizes only on every resource (the List operations) and where the request names no resource. */
export const everyResource = (): string => '*';
