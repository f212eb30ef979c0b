import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInvokeCli } from '../scripts/invoke/run';
import { PROJECT_ROOT } from './support/leftover-guard';

/** The CLI reference's list of options (docs/cli.md) is the CLI's own `--help`, flag for flag. */
describe('the CLI options in docs/cli.md', () => {
  it('are every option --help prints, in the same words', async () => {
    let help = '';
    expect(await runInvokeCli(['--help'], { stdout: (t) => (help += t), stderr: (t) => (help += t), env: {} })).toBe(0);
    const options = help.slice(help.indexOf('Where to call:'), help.indexOf('Secrets (secret keys')).trimEnd();
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'cli.md'), 'utf8');
    expect(readme).toContain(options);
    const flags = new Set(options.match(/--[a-z][a-z-]+/g));
    expect(flags.size).toBeGreaterThan(25);
  });
});
