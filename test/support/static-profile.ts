import * as fs from 'node:fs';
import * as path from 'node:path';

export const STATIC_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

/**
 * AWS config and credentials files in `dir` with a profile "static" holding STATIC_KEY, and the
 * environment that points the AWS SDK at them: for `--no-assume-role --profile static` against
 * servers that need some signature but never check it.
 */
export function staticProfileEnv(dir: string): NodeJS.ProcessEnv {
  const credentials = path.join(dir, 'credentials');
  const config = path.join(dir, 'config');
  fs.writeFileSync(
    credentials,
    `[static]\naws_access_key_id = ${STATIC_KEY.accessKeyId}\naws_secret_access_key = ${STATIC_KEY.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  fs.writeFileSync(config, '[profile static]\nregion = us-east-1\n');
  return { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config };
}

/** The flags that sign with that profile, as they are. */
export const STATIC_PROFILE_ARGS = ['--region', 'us-east-1', '--no-assume-role', '--profile', 'static'];
