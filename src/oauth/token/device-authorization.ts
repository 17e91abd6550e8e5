import { digestToken, newTokenValue } from '../../crypto/token-values.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import type { DeviceCodeRepository } from '../codes/device-code-repository.ts';
import { formatUserCode, generateUserCode } from '../codes/user-code.ts';
import type { Issuer } from '../issuer.ts';
import { OAuthError } from '../oauth-error.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import { DEVICE_CODE_GRANT } from './grant-device-code.ts';
import type { TokenAcl } from './token-acl.ts';

export interface DeviceAuthorizationDeps {
  deviceCodes: DeviceCodeRepository;
  tokenAcl: TokenAcl;
  issuer: Issuer;
  now: () => number;
  lifetimeSeconds: number;
  intervalSeconds: number;
}

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** A user code drawn twice is astronomically rare; a few draws make a collision a non-event. */
const MAX_DRAWS = 5;

/**
 * POST /oauth2/device_authorization (RFC 8628 §3.1–3.2): a device code (128 random bits, stored
 * as its digest) and a user code for the verification page.
 */
export class DeviceAuthorization {
  readonly #deps: DeviceAuthorizationDeps;

  constructor(deps: DeviceAuthorizationDeps) {
    this.#deps = deps;
  }

  async start(
    client: OAuthClient,
    params: Readonly<Record<string, string>>,
  ): Promise<DeviceAuthorizationResponse> {
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
      throw new OAuthError('unauthorized_client', 'This client may not use the device flow.');
    }
    const scope = await this.#deps.tokenAcl.validateRequested(client, parseScope(params.scope));
    const { deviceCodes, lifetimeSeconds, intervalSeconds } = this.#deps;
    const deviceCode = newTokenValue();
    for (let draw = 1; draw <= MAX_DRAWS; draw += 1) {
      const userCode = generateUserCode();
      const inserted = await deviceCodes.insert({
        deviceCodeHash: digestToken(deviceCode),
        userCode,
        clientId: client.clientId,
        scope: scope.join(' '),
        status: 'pending',
        userUuid: null,
        authTimeMs: null,
        intervalSeconds,
        lastPolledAtMs: null,
        expiresAtMs: this.#deps.now() + lifetimeSeconds * 1000,
      });
      if (inserted) return this.#response(deviceCode, userCode);
    }
    throw new Error('no free user code after several draws');
  }

  #response(deviceCode: string, userCode: string): DeviceAuthorizationResponse {
    const shown = formatUserCode(userCode);
    const verificationUri = this.#deps.issuer.url('/oauth2/device');
    return {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(shown)}`,
      expires_in: this.#deps.lifetimeSeconds,
      interval: this.#deps.intervalSeconds,
    };
  }
}
