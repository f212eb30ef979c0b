import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type IssuerIdentity, mintToken, newIssuerIdentity, startOidcIssuer } from './oidc-issuer';

const HELP = `Usage: npm run local-oidc -- serve [--state FILE] [--port N] [--http]
       npm run local-oidc -- mint  [--state FILE] --sub SUBJECT --aud AUDIENCE [--lifetime SECONDS]

A local OIDC issuer for demos and tests (discovery and JWKS on 127.0.0.1).
  serve   starts the issuer (https with a self-signed certificate unless --http) and keeps it
          running; its key, certificate and URL are kept in the state file (owner-only, 0600)
  mint    prints a token of that issuer for SUBJECT and AUDIENCE (comma-separated for several)

Options:
  --state FILE        the issuer's state (default .local-oidc/issuer.json)
  --port N            port to listen on; 0 picks a free one (default 0)
  --http              serve plain http (the IAM API accepts http:// on loopback; Terraform does not)
  --sub S, --aud A    the token's subject and audience
  --lifetime SECONDS  the token's lifetime (default 300)
  -h, --help          this text

Give the stand-in the certificate to trust: npm run local-aws -- --trust-ca <state dir>/issuer-ca.pem`;

interface IssuerState {
  url: string;
  identity: IssuerIdentity;
}

class UsageError extends Error {}

function readState(file: string): IssuerState {
  if (!fs.existsSync(file))
    throw new UsageError(`no issuer state at ${file}: start one with "npm run local-oidc -- serve --state ${file}"`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as IssuerState;
}

/** The state holds the issuer's private key: a 0700 folder, a 0600 file. */
function writeState(file: string, state: IssuerState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  if (state.identity.certificate !== undefined)
    fs.writeFileSync(path.join(path.dirname(file), 'issuer-ca.pem'), state.identity.certificate);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      state: { type: 'string', default: '.local-oidc/issuer.json' },
      port: { type: 'string', default: '0' },
      http: { type: 'boolean', default: false },
      sub: { type: 'string' },
      aud: { type: 'string' },
      lifetime: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const stateFile = values.state!;
  if (command === 'mint') {
    if (values.sub === undefined || values.aud === undefined) throw new UsageError('mint needs --sub and --aud');
    const lifetime = Number(values.lifetime);
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86400)
      throw new UsageError(`--lifetime must be a whole number of seconds from 1 to 86400 (got ${JSON.stringify(values.lifetime)})`);
    const state = readState(stateFile);
    const aud = values.aud.split(',');
    process.stdout.write(
      `${await mintToken(state.identity, state.url, { sub: values.sub, aud: aud.length === 1 ? aud[0] : aud, lifetimeSeconds: lifetime })}\n`,
    );
    return;
  }
  if (command !== 'serve') throw new UsageError(`unknown command ${JSON.stringify(command)}: serve or mint`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(values.port)})`);
  const identity = fs.existsSync(stateFile) ? readState(stateFile).identity : await newIssuerIdentity({ tls: !values.http });
  const issuer = await startOidcIssuer({ identity, port });
  writeState(stateFile, { url: issuer.url, identity });
  process.stdout.write(`local OIDC issuer at ${issuer.url}${issuer.thumbprint ? ` (certificate thumbprint ${issuer.thumbprint})` : ''}\n`);
  const stop = () => void issuer.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
