import { spawnSync } from 'node:child_process';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SeededSession, rawSend, seededSession, xmlText, xmlValue } from './support/local-aws-fixtures';

/**
 * Presigned URLs made by real AWS clients, accepted by the stand-in's verifier
 * (client/sigv4-verifier.ts) exactly when AWS accepts them: botocore (Debian python3-botocore)
 * `generate_presigned_url('get_caller_identity')` and `SigV4QueryAuth` for a function URL, the AWS
 * CLI v2's `aws eks get-token` (a presigned GetCallerIdentity with a signed `x-k8s-aws-id` header,
 * how EKS and identity brokers prove an AWS identity), and the AWS SDK v3's signer.
 *
 * botocore signs the operation's own HTTP method unless given `HttpMethod`: POST for STS's Query
 * protocol. Such a URL is good for a POST with an empty body, and refused as a GET, by AWS as here
 * (the method is part of the canonical request); the refusal says why.
 */

const PYTHON = '/usr/bin/python3';
const AWS_CLI = '/usr/bin/aws';

let seeded: SeededSession;
let stsEndpoint: string;

beforeAll(async () => {
  const probe = spawnSync(PYTHON, ['-c', 'import botocore, boto3'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(
      `this test needs the real botocore at ${PYTHON} (${probe.error?.message ?? probe.stderr.trim()}): apt-get install python3-botocore python3-boto3`,
    );
  seeded = await seededSession('presign-real');
  stsEndpoint = seeded.world.local.endpoint;
});
afterAll(async () => {
  await seeded?.world.local.close();
});

/** Runs a botocore script with the session's credentials; it prints one JSON object. */
function botocore(script: string, credentials: AwsCredentialIdentity, args: Record<string, string>): Record<string, string> {
  const prelude = `import json, sys, os
import botocore.session
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
args = json.loads(sys.argv[1])
creds = Credentials(os.environ['AK'], os.environ['SK'], os.environ.get('ST'))
session = botocore.session.Session()
sts = session.create_client('sts', region_name='us-east-1', endpoint_url=args.get('endpoint'), aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key, aws_session_token=creds.token)
`;
  const run = spawnSync(PYTHON, ['-c', prelude + script, JSON.stringify(args)], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', AK: credentials.accessKeyId, SK: credentials.secretAccessKey, ST: credentials.sessionToken ?? '' },
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`botocore failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, string>;
}

describe("botocore's presigned GetCallerIdentity", () => {
  it('with HttpMethod=GET is accepted as a GET and answers the session', async () => {
    const { url } = botocore(
      "print(json.dumps({'url': sts.generate_presigned_url('get_caller_identity', ExpiresIn=300, HttpMethod='GET')}))",
      seeded.session,
      { endpoint: stsEndpoint },
    );
    expect(url).toContain('X-Amz-Security-Token=');
    const r = await rawSend(url, 'GET', '');
    expect(r.status, r.text).toBe(200);
    expect(xmlValue(r.text, 'Arn')).toMatch(/:assumed-role\/.+\/presign-real$/);
  });

  it("by default is signed for POST (the Query protocol's method): accepted as a POST with an empty body", async () => {
    const { url } = botocore("print(json.dumps({'url': sts.generate_presigned_url('get_caller_identity')}))", seeded.session, {
      endpoint: stsEndpoint,
    });
    const r = await rawSend(url, 'POST', '');
    expect(r.status, r.text).toBe(200);
  });

  it('by default is refused as a GET, as AWS refuses it, with a message saying why', async () => {
    const { url } = botocore("print(json.dumps({'url': sts.generate_presigned_url('get_caller_identity')}))", seeded.session, {
      endpoint: stsEndpoint,
    });
    const r = await rawSend(url, 'GET', '');
    expect(r.status).toBe(403);
    expect(xmlValue(r.text, 'Code')).toBe('SignatureDoesNotMatch');
    expect(xmlText(r.text, 'Message')).toContain(
      "presigned for POST and sent as GET: the method is part of the signature, so AWS refuses it too. Send it as POST, or presign it for GET (botocore: generate_presigned_url(..., HttpMethod='GET'))",
    );
  });

  it('with a signed x-k8s-aws-id header (the EKS token), accepted only with that header', async () => {
    const { url } = botocore(
      `def keep(params, context, **kwargs):
    if 'x-k8s-aws-id' in params: context['x-k8s-aws-id'] = params.pop('x-k8s-aws-id')
def inject(request, **kwargs):
    if 'x-k8s-aws-id' in request.context: request.headers['x-k8s-aws-id'] = request.context['x-k8s-aws-id']
sts.meta.events.register('provide-client-params.sts.GetCallerIdentity', keep)
sts.meta.events.register('before-sign.sts.GetCallerIdentity', inject)
print(json.dumps({'url': sts.generate_presigned_url('get_caller_identity', Params={'x-k8s-aws-id': 'demo'}, ExpiresIn=60, HttpMethod='GET')}))`,
      seeded.session,
      { endpoint: stsEndpoint },
    );
    expect((await rawSend(url, 'GET', '', { 'x-k8s-aws-id': 'demo' })).status).toBe(200);
    expect((await rawSend(url, 'GET', '', { 'x-k8s-aws-id': 'other' })).status).toBe(403);
  });
});

describe("the AWS CLI's presigned GetCallerIdentity (aws eks get-token)", () => {
  it('is accepted, sent to the stand-in with the host it was signed for', async () => {
    const cli = spawnSync(AWS_CLI, ['eks', 'get-token', '--cluster-name', 'demo', '--region', 'us-east-1', '--output', 'json'], {
      encoding: 'utf8',
      env: {
        PATH: '/usr/bin:/bin',
        HOME: '/nonexistent',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_ACCESS_KEY_ID: seeded.session.accessKeyId,
        AWS_SECRET_ACCESS_KEY: seeded.session.secretAccessKey,
        AWS_SESSION_TOKEN: seeded.session.sessionToken ?? '',
      },
      timeout: 60_000,
    });
    expect(cli.error, `this test needs the AWS CLI v2 at ${AWS_CLI} (apt-get install awscli)`).toBeUndefined();
    expect(cli.status, cli.stderr).toBe(0);
    const token = (JSON.parse(cli.stdout) as { status: { token: string } }).status.token;
    const signed = new URL(Buffer.from(token.replace(/^k8s-aws-v1\./, ''), 'base64url').toString('utf8'));
    expect(signed.host).toBe('sts.us-east-1.amazonaws.com');
    const local = new URL(`${stsEndpoint}/${signed.search}`);
    const r = await rawSend(local.href, 'GET', '', { host: signed.host, 'x-k8s-aws-id': 'demo' });
    expect(r.status, r.text).toBe(200);
    expect(xmlValue(r.text, 'Arn')).toMatch(/:assumed-role\/.+\/presign-real$/);
  });
});

describe('a presigned function URL', () => {
  it("made by botocore's SigV4QueryAuth is accepted", async () => {
    const { url } = botocore(
      `request = AWSRequest(method='GET', url=args['url'] + 'orders?b=x%20y&a=1')
SigV4QueryAuth(creds, 'lambda', 'us-east-1', expires=300).add_auth(request)
print(json.dumps({'url': request.url}))`,
      seeded.session,
      { url: seeded.world.urls.echo },
    );
    expect(url).toContain('X-Amz-Signature=');
    const r = await rawSend(url, 'GET', '');
    expect(r.status, r.text).toBe(200);
  });

  it("made by the AWS SDK v3's signer (@smithy/signature-v4 presign) is accepted, for STS too", async () => {
    const signer = new SignatureV4({ credentials: seeded.session, region: 'us-east-1', service: 'sts', sha256: Hash.bind(null, 'sha256') });
    const endpoint = new URL(stsEndpoint);
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: endpoint.host },
      },
      { expiresIn: 300 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const r = await rawSend(`${stsEndpoint}/?${query}`, 'GET', '');
    expect(r.status, r.text).toBe(200);
  });
});
