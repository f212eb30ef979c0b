import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_ADMIN_KEY, startLocalAws } from './server';
import { IsolationError } from './handler-isolation';
import { SnapshotError } from './snapshot';

const HELP = `Usage: npm run local-aws -- [options]

Starts the local stand-in for AWS (IAM, STS, Lambda, CloudWatch Logs, function URLs) on loopback,
with SigV4 verification and IAM evaluation, and keeps it running until Ctrl-C.

Options:
  --port N           port to listen on; 0 picks a free one (default 4566)
  --snapshot FILE    load the state from FILE if it exists and save every change to it
                     (owner-only, 0600: it holds secret keys; new sessions go to FILE.sessions)
  --account-id ID    12-digit account id (default 123456789012)
  --region R         region of the account (default us-east-1)
  --log              print one line per request
  --trust-ca FILE    also trust this CA certificate (PEM) when fetching an OIDC issuer's keys for
                     AssumeRoleWithWebIdentity (a local https issuer: npm run local-oidc)
  --require-isolation
                     refuse to start when handlers cannot run as users of their own
                     (the stand-in is not root, or may not switch users); without it
                     that is a warning on stderr, once
  -h, --help         this text

Point Terraform (DEMO_AWS_ENDPOINT=<endpoint>) or the AWS SDK (AWS_ENDPOINT_URL=<endpoint>) at it
with the bootstrap key id printed below and the secret from the README (env LOCAL_AWS_ADMIN_SECRET
overrides it).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4566' },
      snapshot: { type: 'string' },
      'account-id': { type: 'string', default: '123456789012' },
      region: { type: 'string', default: 'us-east-1' },
      log: { type: 'boolean', default: false },
      'trust-ca': { type: 'string', multiple: true, default: [] },
      'require-isolation': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(values.port)})`);
  if (!/^\d{12}$/.test(values['account-id']!))
    throw new UsageError(`--account-id must be 12 digits (got ${JSON.stringify(values['account-id'])})`);
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(values.region!))
    throw new UsageError(`--region must be a region name such as us-east-1 (got ${JSON.stringify(values.region)})`);
  const adminKey = { ...DEFAULT_ADMIN_KEY, secretAccessKey: process.env.LOCAL_AWS_ADMIN_SECRET || DEFAULT_ADMIN_KEY.secretAccessKey };
  const local = await startLocalAws({
    port,
    snapshotFile: values.snapshot,
    accountId: values['account-id'],
    region: values.region,
    adminKey,
    webIdentity: { trustedCertificates: values['trust-ca']!.map((file) => readCertificate(file)) },
    requireIsolation: values['require-isolation'],
    log: values.log ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  process.stdout.write(
    `local AWS listening on ${local.endpoint} (account ${local.world.accountId}, ${local.world.region})\nbootstrap access key id: ${adminKey.accessKeyId}\n`,
  );
  const stop = () => void local.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

class UsageError extends Error {}

function readCertificate(file: string): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--trust-ca ${file} is not a PEM certificate file`);
  return text;
}

main().catch((error) => {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  // A flag or a snapshot file the user gave that cannot be used, or isolation they required that
  // this machine cannot give, is a usage error.
  process.exit(error instanceof UsageError || error instanceof SnapshotError || error instanceof IsolationError ? 2 : 1);
});
