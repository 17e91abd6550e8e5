import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS as wazo-auth configures it (on by default, with its allowed request headers), plus
 * `Wazo-Sessions-Revoked` exposed so browser apps can read it (wazo-auth forgets to), and what
 * DPoP and OAuth need in a browser (issue #6).
 */
export async function registerCors(
  app: FastifyInstance,
  options: { enabled: boolean; allowedOrigins: readonly string[] },
): Promise<void> {
  if (!options.enabled) return;
  await app.register(cors, {
    origin: options.allowedOrigins.includes('*') ? '*' : [...options.allowedOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // DPoP (RFC 9449) proofs come from browser apps too; they must read the WWW-Authenticate challenge.
    allowedHeaders: [
      'Content-Type',
      'Authorization',
      'X-Auth-Token',
      'Wazo-Tenant',
      'Wazo-Session-Type',
      'DPoP',
    ],
    exposedHeaders: ['Wazo-Sessions-Revoked', 'WWW-Authenticate'],
    maxAge: 600,
  });
}
