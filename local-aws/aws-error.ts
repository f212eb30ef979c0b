/** An AWS error: code, HTTP status and message, as the wire protocols render it. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

/** IAM's answer for a user, role, policy or key that does not exist. */
export const noSuchEntity = (what: string) => new AwsError('NoSuchEntity', what, 404);
