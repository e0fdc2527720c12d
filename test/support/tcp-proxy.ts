import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy the fault test controls: it forwards to a target port and can cut every
 * connection at once, as a network failure would. Loopback only.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  cuts = 0;
  /** Half-open cuts (stallAll). */
  stalls = 0;
  accepted = 0;
  /** While frozen, connections stay open but no byte moves (a silently dead network path). */
  private frozen = false;

  private constructor(server: Server) {
    this.server = server;
  }

  static start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => {
      proxy.accepted += 1;
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      proxy.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        proxy.sockets.delete(client);
        proxy.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      if (proxy.frozen) {
        client.pause();
        upstream.pause();
      }
    });
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(proxy)));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) {
      s.pause();
    }
  }

  thaw(): void {
    this.frozen = false;
    for (const s of this.sockets) {
      s.resume();
    }
  }

  /** Resets every open connection (both directions). */
  cutAll(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) {
      s.resetAndDestroy();
    }
    this.sockets.clear();
    this.cuts += 1;
    return n;
  }

  /**
   * A half-open cut: every open connection stops moving bytes without being closed, as behind a
   * dead NAT entry. New connections work; the stalled ones end when the client gives up on them.
   */
  stallAll(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) {
      s.pause();
    }
    this.stalls += 1;
    return n;
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
