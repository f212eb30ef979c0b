import { DEFAULT_OUTPUTS_FILE } from '../../client/deployment-outputs';
import type { CliOption } from './options-row';

/** The rows of the option table in --help's group "Where to call": where the function is: its URL, region and the deployment outputs that name them. */

export const WHERE_TO_CALL_OPTIONS = {
  outputs: {
    flag: 'outputs',
    kind: 'value',
    placeholder: 'FILE',
    env: 'INVOKE_OUTPUTS',
    libraryOption: 'outputsFile',
    group: 'Where to call',
    help: [`deployment outputs file (default ./${DEFAULT_OUTPUTS_FILE}, read only`, 'when --url is not given)'],
  },
  outputsPath: {
    flag: 'outputs-path',
    kind: 'value',
    placeholder: 'P',
    libraryOption: 'outputsPath',
    group: 'Where to call',
    help: ['which deployment in the file, e.g. lambda-url-iam-demo.ProtectedUrl'],
  },
  url: {
    flag: 'url',
    kind: 'value',
    placeholder: 'URL',
    env: 'INVOKE_URL',
    output: 'functionUrl',
    libraryOption: 'url',
    group: 'Where to call',
    help: ['function URL'],
  },
  region: {
    flag: 'region',
    kind: 'value',
    placeholder: 'R',
    env: 'INVOKE_REGION',
    output: 'region',
    libraryOption: 'region',
    group: 'Where to call',
    help: ['signing region (default: from the outputs or the URL host)'],
  },
} as const satisfies Record<string, CliOption>;
