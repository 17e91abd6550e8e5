import type { TokenCheckService } from '../../tokens/token-check-service.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import type { Issuer } from '../issuer.ts';
import { OAuthError } from '../oauth-error.ts';
import { familyExpired, type RefreshFamilies } from './rotation.ts';

export interface TokenIntrospectionDeps {
  tokenCheck: TokenCheckService;
  families: RefreshFamilies;
  issuer: Issuer;
  now: () => number;
}

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: IntrospectionResponse = { active: false };

/**
 * POST /oauth2/introspect (RFC 7662). Only confidential clients may introspect (a public client
 * proves nothing, and would turn this into a token oracle): others get 401 invalid_client. A
 * client sees only tokens issued to itself; any other token, unknown, expired or revoked is
 * {active:false} (§2.2), so the answer reveals nothing about other clients' tokens.
 */
export class TokenIntrospection {
  readonly #deps: TokenIntrospectionDeps;

  constructor(deps: TokenIntrospectionDeps) {
    this.#deps = deps;
  }

  async introspect(
    client: OAuthClient,
    token: string,
    hint: string | undefined,
  ): Promise<IntrospectionResponse> {
    if (client.tokenEndpointAuthMethod === 'none') {
      throw new OAuthError('invalid_client', 'Public clients may not introspect tokens.');
    }
    if (hint === 'refresh_token') {
      return (
        (await this.#refreshToken(client, token)) ?? (await this.#accessToken(client, token)) ?? INACTIVE
      );
    }
    return (await this.#accessToken(client, token)) ?? (await this.#refreshToken(client, token)) ?? INACTIVE;
  }

  async #accessToken(client: OAuthClient, token: string): Promise<IntrospectionResponse | null> {
    const found = await this.#deps.tokenCheck.findIgnoringBinding(token);
    if (!found) return null;
    const { record } = found;
    const { metadata } = record;
    if (metadata.client_id !== client.clientId) return INACTIVE;
    return {
      active: true,
      scope: metadata.scope,
      client_id: client.clientId,
      sub: typeof metadata.uuid === 'string' ? metadata.uuid : record.authId,
      wazo_tenant_uuid: record.sessionTenantUuid,
      token_type: record.dpopJkt ? 'DPoP' : 'Bearer',
      exp: Math.floor(record.expiresAtMs / 1000),
      iat: Math.floor(record.issuedAtMs / 1000),
      iss: this.#deps.issuer.value,
      ...(record.dpopJkt ? { cnf: { jkt: record.dpopJkt } } : {}),
    };
  }

  /** Only the current token of a live family is active (a grace-window predecessor is not advertised). */
  async #refreshToken(client: OAuthClient, token: string): Promise<IntrospectionResponse | null> {
    const match = await this.#deps.families.locate(token);
    if (!match) return null;
    const { grant } = match;
    if (
      match.kind !== 'current' ||
      grant.clientId !== client.clientId ||
      familyExpired(grant, client, this.#deps.now())
    ) {
      return INACTIVE;
    }
    return {
      active: true,
      scope: grant.scope.join(' '),
      client_id: client.clientId,
      sub: grant.userUuid,
      wazo_tenant_uuid: grant.tenantUuid,
      token_type: 'refresh_token',
      iat: Math.floor(grant.createdAtMs / 1000),
      iss: this.#deps.issuer.value,
      ...(grant.dpopJkt ? { cnf: { jkt: grant.dpopJkt } } : {}),
    };
  }
}
