import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDeploymentOutputs } from '../../client/deployment-outputs';
import { AssumeRoleError } from '../../client/errors';
import { webIdentityCredentials } from '../../client/web-identity';
import { type LocalOidcIssuer, newIssuerIdentity, startOidcIssuer } from '../../local-aws/oidc-issuer';
import { runInvokeCli } from '../invoke/run';
import { type DemoCaller, type ProofContext, indent } from './callers';
import type { Step } from './steps';

/**
 * `npm run demo -- --caller web-identity`: the URL's callers are a CI job's OIDC tokens. A local
 * issuer serves discovery and its JWKS over https (a self-signed certificate the stand-in trusts:
 * the Terraform provider accepts only https issuer URLs), the stack trusts one repository's
 * subject with no invoker user, and the demo proves: the matching token -> 200; a token of
 * another repository -> AccessDenied; expired, wrong audience, tampered signature -> refused
 * with STS's codes.
 */

const AUDIENCE = 'sts.amazonaws.com';
const SUBJECT = 'repo:acme/payments:ref:refs/heads/main';

interface Refusal {
  name: string;
  expected: string;
  token: () => Promise<string>;
}

export async function webIdentityCaller(step: Step): Promise<DemoCaller> {
  const issuer = await step(
    'start a local OIDC issuer (https, self-signed)',
    async () => startOidcIssuer({ identity: await newIssuerIdentity({ tls: true }) }),
    (i) => `${i.url}, certificate thumbprint ${i.thumbprint}`,
  );
  return {
    standIn: { webIdentity: { trustedCertificates: [issuer.certificate!] } },
    stackSettings: {
      DEMO_WEB_IDENTITY_ISSUER: issuer.url,
      DEMO_WEB_IDENTITY_AUDIENCE: AUDIENCE,
      DEMO_WEB_IDENTITY_SUBJECT: SUBJECT,
      DEMO_WEB_IDENTITY_THUMBPRINT: issuer.thumbprint!,
    },
    prove: (context) => prove(issuer, context),
    close: () => issuer.close(),
  };
}

async function prove(issuer: LocalOidcIssuer, context: ProofContext): Promise<void> {
  const { step, outputsFile, endpoint, out, err } = context;
  const tokenFile = path.join(context.workDir, 'web-identity-token');
  const writeToken = (token: string) => fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  try {
    await step('prove: unsigned -> 403, trusted repository token -> 200', async () => {
      writeToken(await issuer.mint({ sub: SUBJECT, aud: AUDIENCE }));
      const args = ['--outputs', outputsFile, '--web-identity-token-file', tokenFile, '--prove', '--session-name', 'lambda-url-iam-demo'];
      const code = await runInvokeCli(args, {
        stdout: (t) => out(indent(t)),
        stderr: (t) => err(indent(t)),
        env: { ...process.env, AWS_ENDPOINT_URL_STS: endpoint },
      });
      if (code !== 0) throw new Error(`the proof failed (exit code ${code})`);
    });
    await step('prove refusals: sub, expired, audience, signature', () =>
      proveRefusals(issuer, { outputsFile, endpoint, tokenFile, writeToken, out }),
    );
  } finally {
    fs.rmSync(tokenFile, { force: true });
  }
}

function refusals(issuer: LocalOidcIssuer): Refusal[] {
  return [
    {
      name: 'a token of another repository (sub)',
      expected: 'AccessDenied',
      token: () => issuer.mint({ sub: 'repo:acme/other:ref:refs/heads/main', aud: AUDIENCE }),
    },
    {
      name: 'an expired token',
      expected: 'ExpiredTokenException',
      token: () => issuer.mint({ sub: SUBJECT, aud: AUDIENCE, issuedAt: new Date(Date.now() - 3600_000), lifetimeSeconds: 600 }),
    },
    {
      name: 'a token for another audience',
      expected: 'InvalidIdentityToken',
      token: () => issuer.mint({ sub: SUBJECT, aud: 'another-app' }),
    },
    {
      name: 'a token whose signature was tampered with',
      expected: 'InvalidIdentityToken',
      token: async () => tamper(await issuer.mint({ sub: SUBJECT, aud: AUDIENCE })),
    },
  ];
}

async function proveRefusals(
  issuer: LocalOidcIssuer,
  context: { outputsFile: string; endpoint: string; tokenFile: string; writeToken: (token: string) => void; out: (text: string) => void },
): Promise<void> {
  const { roleArn } = readDeploymentOutputs(context.outputsFile);
  const failed: string[] = [];
  for (const refusal of refusals(issuer)) {
    context.writeToken(await refusal.token());
    const source = webIdentityCredentials({
      roleArn,
      tokenFile: context.tokenFile,
      stsEndpoint: context.endpoint,
      propagationWaitSeconds: 0,
      transientRetries: 0,
    });
    const outcome = await source.getCredentials().then(
      () => 'a session',
      (error: unknown) => (error instanceof AssumeRoleError ? error.stsCode : (error as Error).message),
    );
    const passed = outcome === refusal.expected;
    if (!passed) failed.push(refusal.name);
    context.out(indent(`${passed ? 'PASS' : 'FAIL'}  ${refusal.name.padEnd(44)} expected ${refusal.expected}; got ${outcome}\n`));
  }
  if (failed.length > 0) throw new Error(`STS did not refuse as expected: ${failed.join(', ')}`);
}

/** The same token with one character of its signature changed. */
function tamper(token: string): string {
  const i = token.length - 10;
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
}
