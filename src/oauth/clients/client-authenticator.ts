import { createHash } from 'node:crypto';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { LoginGate } from '../../brute-force/login-gate.ts';
import { constantTimeEqual } from '../../crypto/token-values.ts';
import { DomainError } from '../../errors/domain-error.ts';
import type { JtiReplayCache } from '../dpop/dpop-proof.ts';
import type { Issuer } from '../issuer.ts';
import { OAuthError } from '../oauth-error.ts';
import { verifyClientAssertion } from './client-assertion.ts';
import { invalidClient, type PresentedCredentials, presentedCredentials } from './client-credentials.ts';
import type { OAuthClient } from './oauth-client.ts';
import type { OAuthClientRepository } from './oauth-client-repository.ts';

export interface ClientAuthRequest {
  authorization: string | undefined;
  params: Readonly<Record<string, string>>;
  remoteAddr: string;
  userAgent: string;
  /** The URL of the endpoint called, an accepted `aud` of client assertions. */
  endpointUrl: string;
}

export interface ClientAuthenticatorDeps {
  clients: OAuthClientRepository;
  gate: LoginGate;
  issuer: Issuer;
  /** jti of private_key_jwt assertions already used (in-process; see client-assertion.ts). */
  assertionReplay: JtiReplayCache;
  audit: AuditLog;
  now: () => number;
}

/** SHA-256 hex, the form client secrets are stored in (0005-oauth.ts). */
export function digestClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The brute-force account a client's secret is counted under (one counter per client and address). */
export function clientGateLogin(clientId: string): string {
  return `oauth-client:${clientId}`;
}

/**
 * Authenticates the client of a token, revocation, introspection or device request (RFC 6749
 * §2.3, RFC 7523). Only the client's registered method is accepted. Secrets go through the login
 * gate like passwords (RFC 9700 §2.5): each attempt is counted on the client (per address) before
 * it is checked, every failure also counts against the address, and a locked client is refused
 * even with the right secret. Every failure is the same 401 invalid_client.
 */
export class ClientAuthenticator {
  readonly #deps: ClientAuthenticatorDeps;

  constructor(deps: ClientAuthenticatorDeps) {
    this.#deps = deps;
  }

  async authenticate(request: ClientAuthRequest): Promise<OAuthClient> {
    await this.#assertAddressAllowed(request.remoteAddr);
    const presented = await this.#presented(request);
    if (presented.method === 'none') return this.#publicClient(presented, request);
    const { gate } = this.#deps;
    const ticket = await gate.countAttempt(
      { login: clientGateLogin(presented.clientId), user: null },
      request.remoteAddr,
    );
    try {
      const client = await this.#deps.clients.findByClientId(presented.clientId);
      const verified = client !== null && (await this.#verify(client, presented, request));
      if (!verified || ticket.locked) {
        const reason = ticket.locked ? 'client locked after repeated failures' : 'wrong client credentials';
        throw await this.#refuse(presented, request, reason);
      }
      await gate.succeeded(ticket);
      return client;
    } finally {
      ticket.release();
    }
  }

  /** Malformed credentials are a failed attempt too: they count against the address. */
  async #presented(request: ClientAuthRequest): Promise<PresentedCredentials> {
    try {
      return presentedCredentials(request.authorization, request.params);
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_client') {
        await this.#deps.gate.recordAddressFailure(request.remoteAddr);
      }
      throw error;
    }
  }

  /** A public client proves nothing but its id; PKCE or DPoP protect what it obtains. */
  async #publicClient(presented: PresentedCredentials, request: ClientAuthRequest): Promise<OAuthClient> {
    const client = await this.#deps.clients.findByClientId(presented.clientId);
    if (client?.tokenEndpointAuthMethod !== 'none') {
      throw await this.#refuse(presented, request, 'client authentication required');
    }
    return client;
  }

  async #verify(
    client: OAuthClient,
    presented: PresentedCredentials,
    request: ClientAuthRequest,
  ): Promise<boolean> {
    if (client.tokenEndpointAuthMethod !== presented.method) return false;
    if (presented.method === 'private_key_jwt') {
      const { issuer, assertionReplay, now } = this.#deps;
      return verifyClientAssertion(client, presented.assertion, {
        audiences: [...new Set([issuer.value, issuer.url('/oauth2/token'), request.endpointUrl])],
        nowMs: now(),
        replay: assertionReplay,
      });
    }
    if (presented.method === 'none' || client.secretDigest === null) return false;
    // Compared as digests: equal lengths, and the stored value is never the secret itself.
    return constantTimeEqual(digestClientSecret(presented.secret), client.secretDigest);
  }

  async #assertAddressAllowed(address: string): Promise<void> {
    try {
      await this.#deps.gate.assertAddressAllowed(address);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      throw new OAuthError('invalid_client', 'Too many failed attempts from this address.', {
        status: 429,
        headers: error.options.headers ?? {},
      });
    }
  }

  async #refuse(
    presented: PresentedCredentials,
    request: ClientAuthRequest,
    reason: string,
  ): Promise<OAuthError> {
    await this.#deps.gate.recordAddressFailure(request.remoteAddr);
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'failure',
      actor: presented.clientId,
      source_ip: request.remoteAddr,
      method: `oauth_client:${presented.method}`,
      user_agent: request.userAgent,
      client_id: presented.clientId,
      reason,
    });
    return invalidClient(presented.method, 'Client authentication failed.');
  }
}
