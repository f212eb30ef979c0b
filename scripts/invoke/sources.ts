import type { DeploymentOutputs } from '../../client/deployment-outputs';
import type { Flags } from './command-line';
import { type OptionName, type OptionValue, flagOf, optionOf, optionOfLibraryOption, outputNameOf } from './options';

/**
 * Where each option's value comes from, in this order: the flag, its environment variable, the
 * deployment outputs (once read). A usage error names the source of the value that broke the rule
 * (--duration, INVOKE_DURATION or "region (from outputs.json)"): a bad value in a file is not a
 * flag the user typed. One per run: runs in one process (a service, the tests) never share one.
 */
export class OptionSources {
  private outputs?: { values: DeploymentOutputs; file: string };

  constructor(
    private readonly flags: Flags,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Makes the deployment outputs a source of the options that name one. */
  useOutputs(values: DeploymentOutputs, file: string): void {
    this.outputs = { values, file };
  }

  /** Given as a flag (not read from anywhere else): a switch, or a value typed on the command line. */
  given(name: OptionName): boolean {
    const flag = this.flags.get(name);
    return flag !== undefined && flag !== false;
  }

  /** The option's value, parsed, from the first source that has one; undefined when none has. */
  value<K extends OptionName>(name: K): OptionValue<K> | undefined {
    const found = this.find(name);
    if (found === undefined) return undefined;
    const option = optionOf(name);
    if (option.kind === 'switch' || option.parse === undefined) return found.raw as OptionValue<K>;
    const parse = option.parse;
    const label = found.label;
    return (Array.isArray(found.raw) ? found.raw.map((text) => parse(text, label)) : parse(found.raw as string, label)) as OptionValue<K>;
  }

  /** Where the option's value came from, as a message names it; the flag when it has none. */
  label(name: OptionName): string {
    return this.find(name)?.label ?? flagOf(optionOf(name));
  }

  /** The label of the option a library option's value came from (the library option itself when no option gives it). */
  labelOfLibraryOption(libraryOption: string): string {
    const name = optionOfLibraryOption(libraryOption);
    return name === undefined ? libraryOption : this.label(name);
  }

  private find(name: OptionName): { raw: string | boolean | string[]; label: string } | undefined {
    const option = optionOf(name);
    const flag = this.flags.get(name);
    if (flag !== undefined) return { raw: flag, label: flagOf(option) };
    if (option.env !== undefined && this.env[option.env] !== undefined) return { raw: this.env[option.env]!, label: option.env };
    const fromOutputs = option.output === undefined ? undefined : this.outputs?.values[option.output];
    if (fromOutputs !== undefined && fromOutputs !== '')
      return { raw: fromOutputs, label: `${outputNameOf(option)} (from ${this.outputs!.file})` };
    return undefined;
  }
}
