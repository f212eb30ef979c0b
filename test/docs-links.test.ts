import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/leftover-guard';

/**
 * The README is a door to docs/: every relative link in README.md, CONTRIBUTING.md and docs/*.md
 * must reach an existing file, and a `#fragment` a heading of that file (GitHub's anchors).
 */
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  ...fs
    .readdirSync(path.join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function proseOf(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function relativeLinks(page: string): string[] {
  const text = proseOf(fs.readFileSync(path.join(PROJECT_ROOT, page), 'utf8'));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((match) => anchorOf(match[1])));
}

describe('links in the README and docs/', () => {
  it('finds the pages and their links', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/constructs.md', 'docs/client.md', 'docs/cli.md']));
    expect(relativeLinks('README.md')).toEqual(expect.arrayContaining(['docs/constructs.md', 'docs/cli.md', 'CONTRIBUTING.md']));
  });

  it.each(PAGES)('every relative link in %s points at an existing file (and heading)', (page) => {
    const broken = relativeLinks(page).filter((link) => {
      const [target, fragment] = link.split('#');
      const file =
        target === '' ? path.join(PROJECT_ROOT, page) : path.resolve(PROJECT_ROOT, path.dirname(page), decodeURIComponent(target));
      if (!fs.existsSync(file)) return true;
      return fragment !== undefined && file.endsWith('.md') && !anchorsOf(file).has(fragment);
    });
    expect(broken).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    expect(anchorOf('Granting a URL: `url.grantInvokeUrl(grantee)`')).toBe('granting-a-url-urlgrantinvokeurlgrantee');
    expect(anchorOf('The cdktn entry and hashicorp/aws 6.x')).toBe('the-cdktn-entry-and-hashicorpaws-6x');
  });
});
