/**
 * The framework and its AWS provider are optional peer dependencies (a cdktf user never installs
 * cdktn, and the other way round), so npm does not install them for you. Without this check a
 * missing one surfaces as Node's bare "Cannot find module" with a stack trace from deep inside
 * the constructs. The specifiers below are renamed for the CDK Terrain entry by
 * scripts/build-cdktn.ts, so each entry names its own framework's packages.
 */
const FRAMEWORK = 'cdktf';
const PROVIDER = '@cdktf/provider-aws/lib/lambda-function';

export class MissingFrameworkError extends Error {
  constructor(readonly missing: string[]) {
    const packages = missing.map((specifier) => specifier.replace(/\/lib\/.*$/, ''));
    super(
      `lambda-url-iam needs ${packages.join(' and ')} installed in your project (optional peer ${packages.length > 1 ? 'dependencies' : 'dependency'}): ` +
        `npm install ${packages.join(' ')}. See the README's Install section for the versions each entry supports.`,
    );
    this.name = 'MissingFrameworkError';
  }
}

export function missingFrameworkPackages(resolve: (specifier: string) => string = require.resolve): string[] {
  return [FRAMEWORK, PROVIDER].filter((specifier) => {
    try {
      resolve(specifier);
      return false;
    } catch {
      return true;
    }
  });
}

const missing = missingFrameworkPackages();
if (missing.length > 0) throw new MissingFrameworkError(missing);
