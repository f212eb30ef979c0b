// The demo function: echoes what it was called with and WHO called it. For an AWS_IAM function
// URL, Lambda puts the verified caller in requestContext.authorizer.iam (payload format 2.0), so a
// caller can see which assumed-role session got in. Written for Node.js 20 and later.

export const handler = async (event) => {
  const http = event.requestContext?.http ?? {};
  const iam = event.requestContext?.authorizer?.iam;
  const rawBody =
    event.body === undefined || event.body === null
      ? null
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: 'Hello from the IAM-protected function URL',
      method: http.method ?? null,
      path: event.rawPath ?? null,
      rawQueryString: event.rawQueryString ?? '',
      queryStringParameters: event.queryStringParameters ?? {},
      body: rawBody,
      // accessKey is left out on purpose: an echo endpoint should not repeat credentials material.
      caller: iam
        ? { accountId: iam.accountId ?? null, callerId: iam.callerId ?? null, userArn: iam.userArn ?? null, userId: iam.userId ?? null }
        : null,
      requestId: event.requestContext?.requestId ?? null,
    }),
  };
};
