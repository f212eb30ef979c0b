import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/project-root';
import { PROJECT_ROOT } from './support/leftover-guard';

// From source (scripts/) and compiled (dist/scripts/) the same code is one level apart, and the
// files the scripts write (the demo's `.terraform-cli.tfrc`) must land in the checkout either way.
describe('the project root the scripts write under', () => {
  it('is the checkout from source, from dist/ and from any folder inside it', () => {
    expect(projectRoot()).toBe(PROJECT_ROOT);
    expect(projectRoot(path.join(PROJECT_ROOT, 'scripts'))).toBe(PROJECT_ROOT);
    expect(projectRoot(path.join(PROJECT_ROOT, 'dist', 'scripts'))).toBe(PROJECT_ROOT);
    expect(projectRoot(path.join(PROJECT_ROOT, 'stacks', 'handler'))).toBe(PROJECT_ROOT);
  });

  it('fails, naming where it looked, outside any checkout of this package', () => {
    expect(() => projectRoot(path.parse(PROJECT_ROOT).root)).toThrow(/no lambda-url-iam package\.json above \//);
  });
});
