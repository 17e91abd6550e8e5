import type { FastifyRequest } from 'fastify';
import type { DpopPresentation } from '../../tokens/token-check-service.ts';

/**
 * The URL the client addressed, to compare with a proof's `htu` (RFC 9449 §4.3 check 9; query and
 * fragment are ignored there). Behind a reverse proxy the Host this server sees may not be the
 * public one: with `oauth.issuer` configured, its origin is used; otherwise the request's own.
 */
export function publicRequestUrl(request: FastifyRequest, configuredIssuer: string | null): string {
  const origin = configuredIssuer
    ? new URL(configuredIssuer).origin
    : `${request.protocol}://${request.host}`;
  return `${origin}${request.url}`;
}

/**
 * The `DPoP` header of a request made directly by the client, with the method and URL it must be
 * for; undefined without one (nothing is built for the requests of bearer tokens).
 */
export function directDpop(
  request: FastifyRequest,
  configuredIssuer: string | null,
): DpopPresentation | undefined {
  const header = request.headers.dpop;
  if (header === undefined) return undefined;
  return {
    // RFC 9449 §4.3 check 1: exactly one DPoP header.
    proof: Array.isArray(header) ? undefined : header,
    method: request.method,
    url: publicRequestUrl(request, configuredIssuer),
  };
}
