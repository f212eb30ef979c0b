import { readFileAtMost } from '../../client/bounded-file';
import { ClientOptionError } from '../../client/errors';

/**
 * How the option table turns an option's text into its value. Each parser throws a
 * ClientOptionError under `label`: the flag, variable or output the text came from.
 */

export type Parser<T> = (text: string, label: string) => T;

export function wholeNumber(min: number, max: number): Parser<number> {
  return (text, label) => {
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
      throw new ClientOptionError(label, text, `must be a whole number from ${min} to ${max}`);
    return Number(text);
  };
}

export function seconds(min: number, max: number): Parser<number> {
  return (text, label) => {
    if (!/^\d+(\.\d+)?$/.test(text) || Number(text) < min || Number(text) > max)
      throw new ClientOptionError(label, text, `must be a number of seconds from ${min} to ${max}`);
    return Number(text);
  };
}

/** A file, read bounded (a device or a FIFO reports size 0 to stat), as bytes: a body is sent exactly as it is on disk. */
export function fileBytes(maxBytes: number, limit: string): Parser<Buffer> {
  return (file, label) => {
    let read: ReturnType<typeof readFileAtMost>;
    try {
      read = readFileAtMost(file, maxBytes);
    } catch (error) {
      throw new ClientOptionError(label, file, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
    }
    if ('tooLarge' in read) throw new ClientOptionError(label, file, `is larger than ${maxBytes} bytes: ${limit}`);
    return read.bytes;
  };
}

export function fileText(maxBytes: number, limit: string): Parser<string> {
  const bytes = fileBytes(maxBytes, limit);
  return (file, label) => bytes(file, label).toString('utf8');
}

/** TEXT, or @FILE for the file's bytes. */
export function textOrFile(maxBytes: number, limit: string): Parser<string | Buffer> {
  const bytes = fileBytes(maxBytes, limit);
  return (text, label) => (text.startsWith('@') ? bytes(text.slice(1), label) : text);
}

const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s?(.*)$/;

/** 'Name: value' as a header pair (the name an HTTP token, RFC 9110 section 5.6.2). */
export const headerPair: Parser<[string, string]> = (header, label) => {
  const match = HEADER.exec(header);
  if (match === null) {
    // Only what stands before the first colon or space is shown: the rest may be a token
    // ("-H 'Authorization Bearer …'", the colon forgotten).
    const name = /^[^:\s]*/.exec(header)![0];
    throw new ClientOptionError(
      label,
      undefined,
      `must look like 'Name: value' (got one starting ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)}; its value is not shown)`,
    );
  }
  return [match[1], match[2]];
};
