import { randomUUID } from 'node:crypto';
import { digestToken, newTokenValue } from '../crypto/token-values.ts';
import type { TestServer } from './test-server.ts';

export interface InsertedTokenOptions {
  /** The token's value (default: a new one). */
  value?: string;
  /** The token's user (auth_id); the server's admin when absent. */
  userUuid?: string;
  tenantUuid?: string;
  /** Space-separated OAuth scopes, put in metadata.scope as the token endpoint does. */
  scope?: string;
  clientId?: string;
  acl?: string[];
  /** RFC 9449 cnf.jkt: makes the token DPoP-bound. */
  dpopJkt?: string | null;
  lifetimeSeconds?: number;
}

/**
 * Writes an access token and its session straight through the repository, as the OAuth token
 * endpoint will (metadata `scope` and `client_id`, optionally DPoP-bound). Returns its value.
 */
export async function insertAccessToken(
  server: TestServer,
  options: InsertedTokenOptions = {},
): Promise<string> {
  const value = options.value ?? newTokenValue();
  const sessionUuid = randomUUID();
  const now = server.container.clock.now();
  const userUuid = options.userUuid ?? server.adminUuid;
  const metadata: Record<string, unknown> = {
    uuid: userUuid,
    tenant_uuid: options.tenantUuid ?? server.topTenantUuid,
  };
  if (options.scope !== undefined) metadata.scope = options.scope;
  if (options.clientId !== undefined || options.scope !== undefined)
    metadata.client_id = options.clientId ?? 'test-client';
  await server.container.repositories.tokens.insertWithSession(
    { uuid: sessionUuid, tenantUuid: options.tenantUuid ?? server.topTenantUuid, userUuid, mobile: false },
    {
      digest: digestToken(value),
      sessionUuid,
      authId: userUuid,
      pbxUserUuid: userUuid,
      xivoUuid: null,
      issuedAtMs: now,
      expiresAtMs: now + (options.lifetimeSeconds ?? 3600) * 1000,
      metadata,
      userAgent: 'test',
      remoteAddr: '127.0.0.1',
      acl: options.acl ?? [],
      refreshTokenUuid: null,
      dpopJkt: options.dpopJkt ?? null,
    },
    now,
  );
  return value;
}
