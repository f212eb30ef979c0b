import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { describeSignedRequest } from '../../client/sigv4';

/**
 * What the CLI shows of credentials: never a secret access key or a session token, in any mode;
 * access key ids shortened. The one thing printed that grants access is a --presign URL, because
 * it was asked for.
 */

/** Masks an access key id for display: AKIA…WXYZ. Key ids are not secret, but less is better. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/** The canonical request with the session token replaced: it is a credential. */
export function redactCanonical(canonical: string, token: string | undefined): string {
  return token === undefined ? canonical : canonical.split(token).join('<session token redacted>');
}

/** --verbose's account of a signed request: the key (masked) and the canonical request (token redacted). */
export async function describeSigning(signed: HttpRequest, used: AwsCredentialIdentity): Promise<string> {
  const details = await describeSignedRequest(signed, used);
  return `signed with ${maskKeyId(used.accessKeyId)}${used.sessionToken ? ' + session token' : ''}; canonical request:\n${redactCanonical(details.canonicalRequest, used.sessionToken).replace(/^/gm, '    ')}`;
}
