import { createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy between the service and PostgreSQL that the test controls (TESTING.md, "Faults"):
 * - `pause()` freezes every connection, old and new, without closing any: bytes stop flowing both ways,
 *   new connections are accepted and then left unanswered. This is a network partition or a stalled
 *   primary, which only timeouts can bound.
 * - `resume()` lets everything flow again, as if nothing happened.
 * - `killConnections()` resets every open connection (a failover, a proxy restart).
 */
export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  pause(): void;
  resume(): void;
  killConnections(): void;
  /** Connections open through the proxy right now. */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;

  const connectUpstream = (pair: Pair) => {
    const upstream = new Socket();
    pair.upstream = upstream;
    upstream.connect(target.port, target.host);
    upstream.on('data', (chunk) => pair.client.write(chunk));
    pair.client.on('data', (chunk) => upstream.write(chunk));
    const end = () => drop(pair);
    upstream.on('error', end).on('close', end);
  };

  const drop = (pair: Pair) => {
    if (!pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const server: Server = createServer((client) => {
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => drop(pair)).on('close', () => drop(pair));
    if (paused) client.pause();
    else connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    via: (url) => {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    pause: () => {
      paused = true;
      for (const pair of pairs) {
        pair.client.pause();
        pair.upstream?.pause();
      }
    },
    resume: () => {
      paused = false;
      for (const pair of pairs) {
        if (!pair.upstream) connectUpstream(pair);
        pair.client.resume();
        pair.upstream?.resume();
      }
    },
    killConnections: () => {
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        drop(pair);
      }
    },
    connections: () => pairs.size,
    close: async () => {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
