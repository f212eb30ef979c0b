import { FunctionUrlClient, type FunctionUrlClientOptions, type InvokeRequest } from '../../client/function-url-client';
import type { InvokeResponse } from '../../client/responses';
import type { CallerCredentials } from './credentials';
import { EXIT_CODES, type ExitCode } from './errors';
import { explainRefusal } from './refusal';
import type { Settings } from './settings';

/**
 * --prove: the three calls that show the URL is protected. Unsigned -> 403; signed with the
 * invoker user's own key -> 403 (the user may only assume the role); signed with the session ->
 * 200, and the function sees the expected caller.
 */

interface ProofStep {
  name: string;
  expected: string;
  status?: number;
  /** Not checked, and why (in `detail`). */
  skipped?: boolean;
  passed: boolean;
  detail: string;
}

const REQUEST: InvokeRequest = { method: 'GET', path: '/prove', query: 'step=1' };
const USER_KEY_STEP = "signed with the invoker user's own key";

export async function prove(
  io: { stdout: (text: string) => void },
  settings: Settings,
  credentials: CallerCredentials,
  clientOptions: FunctionUrlClientOptions,
  json: boolean,
): Promise<ExitCode> {
  const steps = [
    await unsignedStep(clientOptions),
    await userKeyStep(settings, clientOptions),
    await sessionStep(settings, credentials, clientOptions),
  ];
  const passed = steps.every((s) => s.passed);
  const checked = steps.filter((s) => !s.skipped).length;
  if (json) {
    io.stdout(`${JSON.stringify({ passed, steps, assumeRoleCalls: credentials.assumeRoleCalls() })}\n`);
  } else {
    io.stdout(`Proof against ${settings.url}\n`);
    for (const step of steps)
      io.stdout(
        `  ${step.skipped ? 'SKIP' : step.passed ? 'PASS' : 'FAIL'}  ${step.name.padEnd(40)} expected ${step.expected}; got ${step.detail}\n`,
      );
    io.stdout(
      passed
        ? `All ${checked} checked calls behaved as expected${checked < steps.length ? ` (${steps.length - checked} skipped)` : ''}.\n`
        : 'At least one call did not behave as expected.\n',
    );
  }
  return passed ? EXIT_CODES.success : EXIT_CODES.proofFailed;
}

const errorType = (response: InvokeResponse) => response.headers['x-amzn-errortype'] ?? '';

async function unsignedStep(clientOptions: FunctionUrlClientOptions): Promise<ProofStep> {
  const unsigned = await new FunctionUrlClient({ ...clientOptions, credentials: undefined, unsigned: true, onSigned: undefined }).invoke(
    REQUEST,
  );
  return {
    name: 'unsigned request',
    expected: '403',
    status: unsigned.status,
    passed: unsigned.status === 403,
    detail: `${unsigned.status} ${errorType(unsigned)}`.trim(),
  };
}

/** Without the key in the outputs the step cannot be made: a failure when the role is assumed with it, else skipped. */
async function userKeyStep(settings: Settings, clientOptions: FunctionUrlClientOptions): Promise<ProofStep> {
  const userKey = settings.invokerKey;
  if (settings.webIdentityTokenFile !== undefined)
    return { name: USER_KEY_STEP, expected: '403', skipped: true, passed: true, detail: 'skipped: a web identity caller holds no key' };
  if (userKey === undefined) {
    const why = 'the outputs hold no invoker key and secret (deploy with --outputs-file-include-sensitive-outputs)';
    return settings.assumeRole
      ? { name: USER_KEY_STEP, expected: '403', passed: false, detail: `cannot check: ${why}` }
      : { name: USER_KEY_STEP, expected: '403', skipped: true, passed: true, detail: `skipped: ${why}` };
  }
  const own = await new FunctionUrlClient({ ...clientOptions, credentials: { getCredentials: async () => userKey } }).invoke({
    ...REQUEST,
    query: 'step=2',
  });
  return {
    name: USER_KEY_STEP,
    expected: '403',
    status: own.status,
    passed: own.status === 403,
    detail: `${own.status} ${errorType(own)}`.trim(),
  };
}

async function sessionStep(
  settings: Settings,
  credentials: CallerCredentials,
  clientOptions: FunctionUrlClientOptions,
): Promise<ProofStep> {
  const client = new FunctionUrlClient({ ...clientOptions, credentials });
  const signed = await client.invoke({ ...REQUEST, query: 'step=3' });
  const caller = await credentials.expectedCaller();
  const callerArn = (signed.json as { caller?: { userArn?: string } } | undefined)?.caller?.userArn;
  const roleName = settings.roleArn?.split('/').pop();
  const sameRole = roleName === undefined || (callerArn ?? '').includes(`:assumed-role/${roleName}/`);
  return {
    name:
      settings.webIdentityTokenFile !== undefined
        ? 'signed with the web identity session'
        : settings.assumeRole
          ? 'signed with the assumed role'
          : 'signed with the credentials you hold',
    expected: caller.arn !== undefined ? `200, caller ${caller.arn}` : `200${roleName ? `, caller a session of ${roleName}` : ''}`,
    status: signed.status,
    passed: signed.status === 200 && (caller.arn !== undefined ? callerArn === caller.arn : true) && sameRole,
    detail:
      signed.status === 200
        ? `200, the function saw caller ${callerArn ?? '(none)'}${caller.arn === undefined ? ` (expected caller ${caller.how})` : ''}`
        : explainRefusal(signed, { region: signed.headers['x-amzn-region'] ?? client.region, signed: true, temporary: true }).join(' '),
  };
}
