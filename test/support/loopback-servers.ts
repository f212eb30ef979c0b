import * as http from 'node:http';
import * as net from 'node:net';

/** Servers on loopback for what the stand-in cannot play: a silent endpoint, a large or endless body. */

export interface SilentServer {
  url: string;
  close(): Promise<void>;
}

/** Accepts every connection and never writes a byte: an STS or function URL that hangs. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface BodyServer {
  /** A function-URL-shaped path on the server; `?mb=N` asks for N MiB of "a" (default 1). */
  url: string;
  /** Bytes the test's reader had taken when the server finished writing (set by the test through `received`). */
  readonly stats: { received: number; receivedWhenServerFinished: number; served: number };
  close(): Promise<void>;
}

const MB = 1024 * 1024;

/** Answers `?mb=N` MiB of "a" in 64 KiB chunks, honouring backpressure; never checks signatures. */
export async function startBodyServer(): Promise<BodyServer> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const stats = { received: 0, receivedWhenServerFinished: -1, served: 0 };
  const server = http.createServer((req, res) => {
    const total = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('mb') ?? '1') * MB;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        stats.served += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      stats.receivedWhenServerFinished = stats.received;
      res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/lambda-url/big/`,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A loopback port nothing listens on (fetch refuses well-known ones like 9 outright). */
export async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
