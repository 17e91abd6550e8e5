import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS as wazo-auth configures it (on by default, with its allowed request headers), plus
 * `Wazo-Sessions-Revoked` exposed so browser apps can read it (wazo-auth forgets to).
 */
export async function registerCors(
  app: FastifyInstance,
  options: { enabled: boolean; allowedOrigins: readonly string[] },
): Promise<void> {
  if (!options.enabled) return;
  await app.register(cors, {
    origin: options.allowedOrigins.includes('*') ? '*' : [...options.allowedOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Auth-Token', 'Wazo-Tenant', 'Wazo-Session-Type'],
    exposedHeaders: ['Wazo-Sessions-Revoked'],
    maxAge: 600,
  });
}
