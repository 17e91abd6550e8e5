import { digestToken, isTokenShaped } from '../../crypto/token-values.ts';
import type { DeviceCode, DeviceCodeRepository } from '../codes/device-code-repository.ts';
import { OAuthError } from '../oauth-error.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';
import type { UserGrantIssuer } from './user-grant-issuer.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface DeviceCodeGrantDeps {
  deviceCodes: DeviceCodeRepository;
  userGrants: UserGrantIssuer;
  now: () => number;
}

/**
 * grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4, §3.5): the device polls
 * until the user decided on the verification page. Polling faster than the interval is slow_down
 * and adds 5 seconds to it; an approved code gives tokens exactly once (a conditional update).
 */
export class DeviceCodeGrant {
  readonly #deps: DeviceCodeGrantDeps;

  constructor(deps: DeviceCodeGrantDeps) {
    this.#deps = deps;
  }

  async handle(request: OAuthTokenRequest): Promise<OAuthTokenResponse> {
    const value = request.params.device_code;
    if (!value) throw new OAuthError('invalid_request', 'device_code is required.');
    const code = isTokenShaped(value)
      ? await this.#deps.deviceCodes.findByDeviceCodeHash(digestToken(value))
      : null;
    if (!code || code.clientId !== request.client.clientId) {
      throw new OAuthError('invalid_grant', 'The device code is invalid.');
    }
    const now = this.#deps.now();
    if (now > code.expiresAtMs) throw new OAuthError('expired_token', 'The device code has expired.');
    if (code.status === 'approved') return this.#redeem(code, request);
    await this.#answerPoll(code, now);
    throw new OAuthError('invalid_grant', 'The device code was already used.');
  }

  /** Throws the RFC 8628 §3.5 answer for a code not approved (yet). */
  async #answerPoll(code: DeviceCode, now: number): Promise<void> {
    if (code.status === 'denied') throw new OAuthError('access_denied', 'The user denied the request.');
    if (code.status !== 'pending') return;
    const { deviceCodes } = this.#deps;
    if (code.lastPolledAtMs !== null && now - code.lastPolledAtMs < code.intervalSeconds * 1000) {
      await deviceCodes.slowDown(code.deviceCodeHash, now);
      throw new OAuthError('slow_down', 'Poll less often.');
    }
    await deviceCodes.recordPoll(code.deviceCodeHash, now);
    throw new OAuthError('authorization_pending', 'The user has not decided yet.');
  }

  async #redeem(code: DeviceCode, request: OAuthTokenRequest): Promise<OAuthTokenResponse> {
    const claimed = await this.#deps.deviceCodes.claimApproved(code.deviceCodeHash);
    if (!claimed || code.userUuid === null)
      throw new OAuthError('invalid_grant', 'The device code was already used.');
    const issued = await this.#deps.userGrants.issue({
      request,
      userUuid: code.userUuid,
      scope: parseScope(code.scope),
      authTimeMs: code.authTimeMs ?? this.#deps.now(),
      nonce: null,
      dpopJkt: request.dpopJkt,
      grantType: DEVICE_CODE_GRANT,
    });
    return issued.response;
  }
}
