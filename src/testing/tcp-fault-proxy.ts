import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy for fault tests: listens on 127.0.0.1 (never another interface) on a random port and
 * forwards each connection to one target, e.g. PostgreSQL. `pause()` plays "database down": every
 * connection, open or new, is reset at once until `resume()`. `dropConnections()` plays a network
 * blip: open connections are reset, new ones still go through. `blackHole()` plays a hung database:
 * bytes stop flowing both ways and new connections are accepted but never answered; `resume()`
 * then resets the held connections (what a peer back from a hang looks like after the client gave up).
 * Connections are capped.
 */
export interface TcpFaultProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Most client connections forwarded at once; more are refused. */
  maxConnections?: number;
}

const DEFAULT_MAX_CONNECTIONS = 64;

export class TcpFaultProxy {
  readonly #server: Server;
  readonly #options: Required<TcpFaultProxyOptions>;
  /** Each forwarded client socket with its upstream socket. */
  readonly #pairs = new Map<Socket, Socket>();
  #paused = false;
  #blackHoled = false;
  /** Sockets accepted or held while black-holed, reset on resume. */
  readonly #held = new Set<Socket>();
  #port = 0;

  private constructor(options: TcpFaultProxyOptions) {
    this.#options = { maxConnections: DEFAULT_MAX_CONNECTIONS, ...options };
    this.#server = createServer((client) => this.#accept(client));
    this.#server.maxConnections = this.#options.maxConnections;
  }

  static async start(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
    const proxy = new TcpFaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen({ host: '127.0.0.1', port: 0 }, () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    const address = proxy.#server.address();
    proxy.#port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return this.#port;
  }

  /** Connections currently forwarded. */
  get connectionCount(): number {
    return this.#pairs.size;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** `url` (e.g. postgres://user@db:5432/name?x=y) with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = this.host;
    parsed.port = String(this.#port);
    return parsed.toString();
  }

  /** "Database down": resets every open connection and every new one until `resume()`. */
  pause(): void {
    this.#paused = true;
    this.dropConnections();
  }

  /** "Database hangs": nothing flows any more, new connections are held without an answer. */
  blackHole(): void {
    this.#blackHoled = true;
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.#held.add(client);
      this.#held.add(upstream);
    }
    this.#pairs.clear();
  }

  /** Held connections waiting in the black hole. */
  get heldCount(): number {
    return this.#held.size;
  }

  resume(): void {
    this.#paused = false;
    this.#blackHoled = false;
    for (const socket of this.#held) reset(socket);
    this.#held.clear();
  }

  /** Resets the open connections; new connections are still forwarded (unless paused). */
  dropConnections(): void {
    for (const [client, upstream] of this.#pairs) {
      reset(client);
      reset(upstream);
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.resume();
    this.#paused = true;
    this.dropConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on('error', () => {});
    if (this.#blackHoled) {
      client.pause();
      this.#held.add(client);
      client.on('close', () => this.#held.delete(client));
      return;
    }
    if (this.#paused || this.#pairs.size >= this.#options.maxConnections) {
      reset(client);
      return;
    }
    const upstream = connect({ host: this.#options.targetHost, port: this.#options.targetPort });
    this.#pairs.set(client, upstream);
    upstream.on('error', () => {});
    const end = () => {
      if (!this.#pairs.has(client)) return;
      this.#pairs.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Ends a socket with a TCP reset (what a dead peer or a dropped route looks like to the driver). */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening')
    socket.resetAndDestroy();
  else socket.destroy();
}
