#!/usr/bin/env node
import { runInvokeCli } from './run';

/** The `lambda-url-invoke` bin: runInvokeCli with this process's stdout, stderr and environment. */

// The SDK warns that its 2027 releases will need Node 22; this project targets Node 20 (package.json engines).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.stdout.on('error', () => undefined);
void runInvokeCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  // A pipe to a slow reader buffers every write in memory unless we wait for 'drain'; a reader
  // that went away (`| head`) is an EPIPE for the streaming code to handle, not an unhandled
  // 'error' event (a stack trace).
  stdoutBytes: (chunk) =>
    new Promise<void>((resolve, reject) => {
      const flushed = process.stdout.write(chunk, (error) => error && reject(error));
      if (flushed) resolve();
      else process.stdout.once('drain', resolve);
    }),
  env: process.env,
}).then((code) => {
  // Exit now: a call abandoned at --max-time may still hold a socket open.
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
});
