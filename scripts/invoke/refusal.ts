import type { InvokeResponse } from '../../client/responses';

/**
 * Text from the answer as it may be shown on a terminal: control characters (ESC above all, which
 * lets a hostile or spoofed server rewrite the screen or the title) become "?".
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Likely causes of a refusal, for people: the response's own message first (its control characters shown as "?"). */
export function explainRefusal(response: InvokeResponse, context: { region: string; signed: boolean; temporary: boolean }): string[] {
  const body = response.json as { Message?: unknown; message?: unknown } | undefined;
  const message = [body?.Message, body?.message].find((m): m is string => typeof m === 'string');
  const own = printable((message ?? response.text).slice(0, 300));
  const errorType = response.headers['x-amzn-errortype'] === undefined ? undefined : printable(response.headers['x-amzn-errortype']);
  const lines = [`The function URL answered ${response.status}${errorType ? ` (${errorType})` : ''}: ${own}`];
  if (response.status !== 403 && response.status !== 401) return lines;
  if (!context.signed) {
    lines.push('The request was not signed: an AWS_IAM function URL refuses every unsigned request.');
    return lines;
  }
  lines.push(
    'Likely causes:',
    // Lambda developer guide, "Control access to function URLs": since October 2025 both actions are checked.
    '- The identity policy must allow BOTH lambda:InvokeFunctionUrl (lambda:FunctionUrlAuthType = AWS_IAM) and lambda:InvokeFunction (lambda:InvokedViaFunctionUrl = true) on this function; since October 2025 AWS checks both.',
    `- The request was signed for service "lambda" and region "${context.region}"; that must be the region the function is in (a function URL's host names it: <id>.lambda-url.<region>.on.aws).`,
    "- This machine's clock must be within 5 minutes of AWS's (X-Amz-Date).",
    context.temporary
      ? '- Temporary credentials must be sent with their session token and must not have expired or been revoked.'
      : '- A long-lived IAM user key is refused unless that user may invoke the function; the invoker user may only assume the role.',
  );
  return lines;
}
