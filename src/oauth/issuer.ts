import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The issuer identifier (RFC 8414 §2, OIDC `iss`). The configured one when set; otherwise the
 * address this process listens on, known only once it listens (tests bind port 0).
 */
export class Issuer {
  readonly #configured: string | null;
  readonly #pathPrefix: string;
  #server: Server | null = null;

  constructor(configured: string | null, pathPrefix: string) {
    this.#configured = configured ? configured.replace(/\/+$/, '') : null;
    this.#pathPrefix = pathPrefix;
  }

  bind(server: Server): void {
    this.#server = server;
  }

  get value(): string {
    if (this.#configured) return this.#configured;
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the issuer is not known before the server listens (set oauth.issuer)');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
    return `http://${shown}:${address.port}${this.#pathPrefix}`;
  }

  /** An endpoint URL under the issuer, e.g. `/oauth2/token`. */
  url(path: string): string {
    return `${this.value}${path}`;
  }
}
