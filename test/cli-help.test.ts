import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionsHelp, synopsisOf } from '../scripts/invoke/help';
import { OPTION_NAMES, optionOf, outputNameOf } from '../scripts/invoke/options';
import { runCli } from './support/invoke-cli-run';
import { PROJECT_ROOT } from './support/leftover-guard';

/**
 * --help and the CLI reference (docs/cli.md) are written from the option table
 * (scripts/invoke/options.ts): every row appears in both, and nothing else does.
 */

const DOCS = path.join(PROJECT_ROOT, 'docs', 'cli.md');

/** The flags an option list names at the start of its lines ("  --url URL", "  -H, --header 'N: v'"). */
function flagsListed(list: string): string[] {
  return [...list.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((match) => match[1]);
}

const SOURCES_HEADER = '| option | environment variable | deployment output | library option |';

/** docs/cli.md's table of where each option's value can come from, as the option table says. */
function sourcesTable(): string {
  const code = (text: string | undefined) => (text === undefined ? '' : `\`${text}\``);
  const rows = OPTION_NAMES.map((name) => {
    const option = optionOf(name);
    const flag = option.short === undefined ? `\`--${option.flag}\`` : `\`-${option.short}\`, \`--${option.flag}\``;
    return `| ${flag} | ${code(option.env)} | ${code(outputNameOf(option))} | ${code(option.libraryOption)} |`;
  });
  return [SOURCES_HEADER, '| --- | --- | --- | --- |', ...rows].join('\n');
}

async function help(): Promise<string> {
  const run = await runCli(['--help']);
  expect(run.code).toBe(0);
  return run.stdout;
}

describe('the option table, --help and docs/cli.md', () => {
  it('--help lists every row of the table, each once, by its synopsis, and nothing else', async () => {
    const text = await help();
    const listed = text.slice(text.indexOf('Where to call:'), text.indexOf('Secrets (secret keys'));
    expect(flagsListed(listed)).toEqual(OPTION_NAMES.map((name) => `--${optionOf(name).flag}`));
    const synopses = [...listed.matchAll(/^ {2}(-\S.*?)(?: {2,}|$)/gm)].map((match) => match[1]);
    expect(synopses).toEqual(OPTION_NAMES.map((name) => synopsisOf(optionOf(name))));
    expect(flagsListed(listed).length).toBeGreaterThan(25);
  });

  it('docs/cli.md holds the option list as --help prints it, in the same words', async () => {
    const text = await help();
    const options = text.slice(text.indexOf('Where to call:'), text.indexOf('Secrets (secret keys')).trimEnd();
    expect(options).toBe(optionsHelp());
    expect(fs.readFileSync(DOCS, 'utf8')).toContain(`\`\`\`\n${options}\n\`\`\``);
  });

  it("docs/cli.md's table of where values come from has every row of the table, and no other", () => {
    const docs = fs.readFileSync(DOCS, 'utf8');
    expect(docs).toContain(sourcesTable());
    const rows = docs.slice(docs.indexOf(SOURCES_HEADER)).split('\n\n')[0].split('\n').length - 2;
    expect(rows).toBe(OPTION_NAMES.length);
  });

  it('every flag docs/cli.md mentions is an option of the table', () => {
    const docs = fs.readFileSync(DOCS, 'utf8');
    const flags = new Set(OPTION_NAMES.map((name) => `--${optionOf(name).flag}`));
    // cdktf's own flags, in the lines that say how the outputs file is made.
    const cdktf = new Set(['--outputs-file', '--outputs-file-include-sensitive-outputs']);
    const unknown = [...new Set(docs.match(/--[a-z][a-z-]*[a-z]/g))].filter((flag) => !flags.has(flag) && !cdktf.has(flag));
    expect(unknown).toEqual([]);
  });
});

describe('--help', () => {
  it('starts with the usage of the installed bin (`npm run invoke --` exists only in a checkout)', async () => {
    expect(await help()).toMatch(/^Usage: lambda-url-invoke \[options\]/);
  });

  it('shows the run-time bound, the STS timeout and the modes', async () => {
    const text = await help();
    for (const option of ['--max-time', '--sts-timeout', '--max-bytes', '--no-assume-role', '--profile', '--presign', '--debug'])
      expect(text).toContain(option);
    expect(text).toMatch(/--max-time S\s+upper bound for the whole run, then exit 5 \(default 120/);
  });

  it('documents every option and the exit codes', async () => {
    const text = await help();
    for (const option of [
      '--outputs',
      '--url',
      '--role-arn',
      '--external-id',
      '--session-name',
      '--duration',
      '--session-policy',
      '--region',
      '--method',
      '--data',
      '-H',
      '--query',
      '--prove',
      '--repeat',
      '--interval',
      '--json',
      '--verbose',
    ]) {
      expect(text).toContain(option);
    }
    expect(text).toMatch(/Exit codes/);
  });

  it('tells that a retried call may run the function twice (a 5xx or a timeout can come after it ran)', async () => {
    expect(await help()).toMatch(/--retries N .*\n.*may run the function twice: --retries 0 when it is not idempotent/);
  });
});
