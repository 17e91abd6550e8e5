import type { OAuthClient } from '../clients/oauth-client.ts';
import { DpopProofError, type JtiReplayCache, verifyDpopProof } from '../dpop/dpop-proof.ts';
import { OAuthError } from '../oauth-error.ts';

export interface TokenEndpointProofDeps {
  /** issuer + /oauth2/token: the proof's htu. */
  tokenEndpointUrl: string;
  maxAgeSeconds: number;
  replay: JtiReplayCache;
  now: () => number;
}

/**
 * RFC 9449 §5: the DPoP header of a token request, verified (POST, the token endpoint, fresh, not
 * replayed); returns its key's thumbprint, or null when there is none. A bad proof is 400
 * invalid_dpop_proof, checked before any code or refresh token is spent. A dpop_bound client
 * must always send one.
 */
export async function tokenEndpointProof(
  header: string | string[] | undefined,
  client: OAuthClient,
  deps: TokenEndpointProofDeps,
): Promise<string | null> {
  if (header === undefined) {
    if (client.dpopBound) throw new OAuthError('invalid_dpop_proof', 'This client must send a DPoP proof.');
    return null;
  }
  if (Array.isArray(header)) throw new OAuthError('invalid_dpop_proof', 'Send exactly one DPoP proof.');
  try {
    const now = deps.now();
    const { jkt } = await verifyDpopProof(
      header,
      { method: 'POST', url: deps.tokenEndpointUrl, nowMs: now, maxAgeSeconds: deps.maxAgeSeconds },
      deps.replay,
    );
    return jkt;
  } catch (error) {
    if (error instanceof DpopProofError)
      throw new OAuthError('invalid_dpop_proof', 'The DPoP proof is invalid.');
    throw error;
  }
}

/**
 * A code or refresh token bound to a key (RFC 9449 §10, §5) is usable only with a proof of that
 * key: no proof is invalid_dpop_proof; a proof of another key is invalid_grant.
 */
export function requireBoundKey(bound: string | null, presented: string | null): void {
  if (bound === null) return;
  if (presented === null)
    throw new OAuthError('invalid_dpop_proof', 'A DPoP proof of the bound key is required.');
  if (presented !== bound)
    throw new OAuthError('invalid_grant', 'The DPoP key is not the one the grant is bound to.');
}
