/**
 * A TCP server that accepts connections and never answers: what a PostgreSQL host looks like
 * from a client when a firewall or a dead network path swallows its packets after the handshake
 * (a real black hole cannot be simulated on loopback; without a connection timeout both stall
 * the client for as long as the operating system keeps trying).
 */
import net from 'node:net';

export interface SilentTcpServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startSilentTcpServer(): Promise<SilentTcpServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Reads and discards whatever the client sends (pg's startup message); answers nothing.
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface BlackHoleProxy {
  readonly port: number;
  /** Drops every open connection and, from now on, accepts new ones without ever answering. */
  blackHole(): void;
  /** Forwards new connections to the target again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy to `target` (a real PostgreSQL) that can turn into a black hole: the network path
 * to the database dying under a running cell, then coming back.
 */
export async function startBlackHoleProxy(target: { host: string; port: number }): Promise<BlackHoleProxy> {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    track(client);
    if (silent) {
      client.resume();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    blackHole() {
      silent = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      silent = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
