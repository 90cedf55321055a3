// Starting and stopping the emulators' HTTP servers the same way everywhere.
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks a free one) and returns a handle whose close() also drops keep-alive sockets. */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // SDK clients keep sockets alive; without destroying them close() would wait for their idle timeout.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads a whole request body, refusing more than `limit` bytes. */
export async function readBody(req: NodeJS.ReadableStream, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw Object.assign(new Error(`request body exceeds ${limit} bytes`), { code: 'EntityTooLarge' });
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
