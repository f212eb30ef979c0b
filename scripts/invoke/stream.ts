import { type FunctionUrlClient, type InvokeRequest, methodOf } from '../../client/function-url-client';
import { type StreamingResponse, bufferedResponse } from '../../client/responses';
import { type ExitCode, exitCodeOfAnswer } from './errors';
import { explainRefusal } from './refusal';

export interface StreamIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The body as bytes; a returned promise is awaited before the next chunk is read (backpressure). */
  stdoutBytes?: (chunk: Uint8Array) => void | Promise<void>;
}

/** A refusal's body is kept, up to this much, to explain it; any other body is never held. */
const MAX_KEPT_REFUSAL_BYTES = 64 * 1024;

/**
 * One call with the body streamed to stdout as it arrives, at most the client's `maxBodyBytes` of
 * it. The status line and explanations go to stderr, so stdout is exactly the body.
 */
export async function streamOne(io: StreamIo, client: FunctionUrlClient, request: InvokeRequest): Promise<ExitCode> {
  const maxBodyBytes = client.maxBodyBytes;
  const response = await client.invokeStreaming(request);
  const target = client.target(request);
  io.stderr(
    `${methodOf(request)} ${client.url.origin}${target.path}${target.rawQuery ? `?${target.rawQuery}` : ''} -> ${response.status} (${response.durationMs.toFixed(0)} ms to the headers, ${response.attempts} attempt${response.attempts === 1 ? '' : 's'})\n`,
  );
  const refused = response.status === 401 || response.status === 403;
  const copied = await copyBody(io, response, maxBodyBytes, refused);
  if (copied.readerGone) {
    io.stderr(`error: stdout was closed after ${copied.written} bytes of the body; the rest was not read.\n`);
    return exitCodeOfAnswer(response.status, false);
  }
  if (refused) {
    const kept = Buffer.concat(copied.kept);
    const explained = bufferedResponse(response, kept, copied.cut || kept.length < copied.written, response.durationMs);
    io.stderr(`${explainRefusal(explained, { region: client.region, signed: true, temporary: true }).join('\n')}\n`);
  }
  if (copied.cut) {
    io.stderr(
      `error: the body was cut after ${copied.written} bytes (--max-bytes ${maxBodyBytes}); the rest was not read. Raise --max-bytes to read more.\n`,
    );
    return exitCodeOfAnswer(response.status, false);
  }
  return exitCodeOfAnswer(response.status);
}

interface Copied {
  written: number;
  /** Stopped at `maxBodyBytes`. */
  cut: boolean;
  /** Stopped because stdout's reader went away (`| head`). */
  readerGone: boolean;
  kept: Uint8Array[];
}

/** Copies at most `maxBodyBytes` of the body to stdout, ending with a newline; cancels what is not read. */
async function copyBody(io: StreamIo, response: StreamingResponse, maxBodyBytes: number, keep: boolean): Promise<Copied> {
  const decoder = new TextDecoder();
  const write = io.stdoutBytes ?? ((chunk: Uint8Array): void => io.stdout(decoder.decode(chunk, { stream: true })));
  const copied: Copied = { written: 0, cut: false, readerGone: false, kept: [] };
  let last = 10;
  for await (const chunk of response.body) {
    const room = maxBodyBytes - copied.written;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length > 0) {
      if (!(await deliver(write, part))) {
        copied.readerGone = true;
        break;
      }
      copied.written += part.length;
      last = part[part.length - 1];
      if (keep && copied.written <= MAX_KEPT_REFUSAL_BYTES) copied.kept.push(part);
    }
    if (chunk.length > room) {
      copied.cut = true;
      break;
    }
  }
  if (copied.readerGone || copied.cut) await response.cancel();
  if (copied.readerGone) return copied;
  if (!io.stdoutBytes) io.stdout(decoder.decode());
  if (copied.written > 0 && last !== 10) await deliver(write, new Uint8Array([10]));
  return copied;
}

/** False when stdout's reader has gone away (EPIPE, or the stream already destroyed by it). */
async function deliver(write: (chunk: Uint8Array) => void | Promise<void>, bytes: Uint8Array): Promise<boolean> {
  try {
    await write(bytes);
    return true;
  } catch (error) {
    if (!['EPIPE', 'ERR_STREAM_DESTROYED'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return false;
  }
}
