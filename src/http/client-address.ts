import type { FastifyRequest } from 'fastify';

/**
 * The client's address as recorded on tokens. Fastify's `request.ip` already honours
 * X-Forwarded-For only from the configured trusted proxies; IPv4-mapped IPv6 is shown as IPv4.
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = request.ip ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}
