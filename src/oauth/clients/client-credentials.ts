import { decodeJwt } from 'jose';
import { OAuthError } from '../oauth-error.ts';
import type { ClientAuthMethod } from './oauth-client.ts';

/** RFC 7523 §2.2: the only assertion type accepted with `client_assertion`. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What a request presents to authenticate its client, before anything is looked up. */
export type PresentedCredentials =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string }
  | { method: 'none'; clientId: string };

/** RFC 6750-style challenge a 401 carries when the client used HTTP Basic (RFC 6749 §5.2). */
export const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="oauth"' };

/**
 * Reads the client credentials of a request. RFC 6749 §2.3: a client uses exactly one method per
 * request, so two at once (Basic and client_secret in the body, or a secret and an assertion) is
 * invalid_request; a client_id in the body must name the same client as the credentials.
 */
export function presentedCredentials(
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): PresentedCredentials {
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  const post = params.client_secret !== undefined;
  const jwt = params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  if (Number(basic) + Number(post) + Number(jwt) > 1) {
    throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
  }
  const presented: PresentedCredentials = basic
    ? fromBasic(authorization as string)
    : post
      ? { method: 'client_secret_post', clientId: params.client_id ?? '', secret: params.client_secret ?? '' }
      : jwt
        ? fromAssertion(params)
        : { method: 'none', clientId: params.client_id ?? '' };
  if (presented.clientId === '') throw invalidClient(presented.method, 'The client is not identified.');
  if (params.client_id !== undefined && params.client_id !== presented.clientId) {
    throw invalidClient(presented.method, 'client_id does not match the client credentials.');
  }
  return presented;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding. */
function fromBasic(authorization: string): PresentedCredentials {
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('client_secret_basic', 'Malformed Basic credentials.');
  try {
    return {
      method: 'client_secret_basic',
      clientId: formDecode(decoded.slice(0, colon)),
      secret: formDecode(decoded.slice(colon + 1)),
    };
  } catch {
    throw invalidClient('client_secret_basic', 'Malformed Basic credentials.');
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/** RFC 7523 §3: the client is the assertion's `sub` (checked against `iss` once verified). */
function fromAssertion(params: Readonly<Record<string, string>>): PresentedCredentials {
  if (params.client_assertion_type !== JWT_BEARER_ASSERTION || !params.client_assertion) {
    throw invalidClient('private_key_jwt', 'Unsupported client assertion.');
  }
  let subject: unknown;
  try {
    subject = decodeJwt(params.client_assertion).sub;
  } catch {
    throw invalidClient('private_key_jwt', 'Malformed client assertion.');
  }
  if (typeof subject !== 'string') throw invalidClient('private_key_jwt', 'The assertion names no client.');
  return { method: 'private_key_jwt', clientId: subject, assertion: params.client_assertion };
}

/** 401 invalid_client, with the Basic challenge when Basic was used (RFC 6749 §5.2). */
export function invalidClient(method: ClientAuthMethod, description: string): OAuthError {
  return new OAuthError('invalid_client', description, {
    headers: method === 'client_secret_basic' ? BASIC_CHALLENGE : {},
  });
}
