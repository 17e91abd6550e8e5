import { digestToken, isTokenShaped } from '../../crypto/token-values.ts';
import type { SessionRevoker } from '../../tokens/session-revoker.ts';
import type { TokenRepository } from '../../tokens/token-repository.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import type { FamilyRevocation } from './family-revocation.ts';
import type { RefreshFamilies } from './rotation.ts';

export interface TokenRevocationDeps {
  families: RefreshFamilies;
  revocation: FamilyRevocation;
  tokens: TokenRepository;
  revoker: SessionRevoker;
}

/**
 * POST /oauth2/revoke (RFC 7009). A refresh token ends its whole family and every access token
 * made from it; an access token ends its session. A token of another client, or unknown, is a
 * 200 that revokes nothing (§2.2). Any storage failure propagates as 503, never as a 200 that did
 * nothing (B19). The hint only picks which kind is looked up first.
 */
export class TokenRevocation {
  readonly #deps: TokenRevocationDeps;

  constructor(deps: TokenRevocationDeps) {
    this.#deps = deps;
  }

  async revoke(client: OAuthClient, token: string, hint: string | undefined): Promise<void> {
    if (!isTokenShaped(token)) return;
    const order =
      hint === 'access_token'
        ? [this.#accessToken, this.#refreshToken]
        : [this.#refreshToken, this.#accessToken];
    for (const attempt of order) if (await attempt.call(this, client, token)) return;
  }

  async #refreshToken(client: OAuthClient, token: string): Promise<boolean> {
    const match = await this.#deps.families.locate(token);
    if (!match) return false;
    if (match.grant.clientId === client.clientId) await this.#deps.revocation.revoke(match.grant.uuid);
    return true;
  }

  async #accessToken(client: OAuthClient, token: string): Promise<boolean> {
    const digest = digestToken(token);
    const record = await this.#deps.tokens.findByDigest(digest);
    if (!record) return false;
    if (record.metadata.client_id === client.clientId) await this.#deps.revoker.revokeToken(digest);
    return true;
  }
}
