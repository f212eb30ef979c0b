import type { Readable } from 'node:stream';

/** A message of the runtime (handler-process.ts) on fd 3: a call begun, or a call's result. */
export interface ResultMessage {
  id: number;
  started?: unknown;
  ok?: unknown;
  result?: unknown;
  errorType?: unknown;
  errorMessage?: unknown;
}

/** A result line longer than this is not a handler's answer (those are ≤ 6 MB): the process is ended. */
const MAX_RESULT_LINE = 7 * 1024 * 1024;

/**
 * Reads newline-delimited JSON messages from the runtime's result pipe, bounded and parsed
 * defensively (the handler can write there too): a line that is not an object with a numeric `id`
 * is skipped; a line over MAX_RESULT_LINE calls `onOverflow` and is dropped.
 */
export function readResultMessages(results: Readable, onMessage: (message: ResultMessage) => void, onOverflow: () => void): void {
  let buffered = '';
  results.setEncoding('utf8');
  results.on('error', () => undefined);
  results.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let message: Partial<ResultMessage> | null;
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      if (message === null || typeof message !== 'object' || typeof message.id !== 'number') continue;
      onMessage(message as ResultMessage);
    }
    if (buffered.length > MAX_RESULT_LINE) {
      buffered = '';
      onOverflow();
    }
  });
}
