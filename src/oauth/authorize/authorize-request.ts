import type { OAuthClient } from '../clients/oauth-client.ts';
import type { OAuthClientRepository } from '../clients/oauth-client-repository.ts';
import type { ScopeCatalog } from '../scopes/scope-catalog.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import { matchRedirectUri } from './redirect-uri.ts';
import type { CodeTransaction } from './transaction.ts';

/** Error codes of the authorization response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required';

export type AuthorizeValidation =
  /** The client or redirect URI cannot be trusted: an HTML page, never a redirect (no open redirector). */
  | { kind: 'page-error'; message: string }
  | {
      kind: 'redirect-error';
      redirectUri: string;
      error: AuthorizeErrorCode;
      description: string;
      state: string | null;
    }
  | { kind: 'valid'; client: OAuthClient; transaction: CodeTransaction };

export type QueryInput = Record<string, string | string[] | undefined>;

export interface AuthorizeRequestDeps {
  clients: OAuthClientRepository;
  scopeCatalog: ScopeCatalog;
}

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE = 2048;

class Refusal {
  readonly error: AuthorizeErrorCode;
  readonly description: string;

  constructor(error: AuthorizeErrorCode, description: string) {
    this.error = error;
    this.description = description;
  }
}

/**
 * Validates GET /oauth2/authorize (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1) in the order that decides
 * where errors may go: first the client and its redirect URI (RFC 6749 §4.1.2.1: when either is
 * wrong, the user is told and not redirected), then everything else, reported to the client.
 */
export async function validateAuthorizeRequest(
  deps: AuthorizeRequestDeps,
  query: QueryInput,
): Promise<AuthorizeValidation> {
  const clientId = single(query, 'client_id');
  if (clientId instanceof Refusal || !clientId)
    return { kind: 'page-error', message: 'The client_id is missing or repeated.' };
  const client = await deps.clients.findByClientId(clientId);
  if (!client) return { kind: 'page-error', message: 'This application is not known to the server.' };
  const requested = single(query, 'redirect_uri');
  const redirectUri = requested instanceof Refusal ? null : matchRedirectUri(client.redirectUris, requested);
  if (!redirectUri) {
    return {
      kind: 'page-error',
      message: 'The redirect_uri is missing or is not registered for this application.',
    };
  }
  const state = single(query, 'state');
  const stateValue = typeof state === 'string' && state.length <= MAX_STATE ? state : null;
  try {
    const transaction = await validateRest(deps, client, redirectUri, query);
    return { kind: 'valid', client, transaction: { ...transaction, state: stateValue } };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return {
      kind: 'redirect-error',
      redirectUri,
      error: error.error,
      description: error.description,
      state: stateValue,
    };
  }
}

async function validateRest(
  deps: AuthorizeRequestDeps,
  client: OAuthClient,
  redirectUri: string,
  query: QueryInput,
): Promise<CodeTransaction> {
  for (const [name, value] of Object.entries(query)) {
    // RFC 6749 §3.1: parameters must not be repeated.
    if (Array.isArray(value)) throw new Refusal('invalid_request', `The ${name} parameter is repeated.`);
  }
  const state = optional(query, 'state');
  if (state !== null && state.length > MAX_STATE)
    throw new Refusal('invalid_request', 'The state is too long.');
  const responseType = optional(query, 'response_type');
  if (responseType === null) throw new Refusal('invalid_request', 'The response_type is missing.');
  if (responseType !== 'code') {
    throw new Refusal('unsupported_response_type', 'Only response_type=code is supported.');
  }
  if (!client.grantTypes.includes('authorization_code')) {
    throw new Refusal('unauthorized_client', 'This client may not use the authorization code grant.');
  }
  const codeChallenge = checkPkce(query);
  const nonce = optional(query, 'nonce');
  if (nonce !== null && nonce.length > 512) throw new Refusal('invalid_request', 'The nonce is too long.');
  const dpopJkt = optional(query, 'dpop_jkt');
  if (dpopJkt !== null && !JWK_THUMBPRINT.test(dpopJkt)) {
    throw new Refusal('invalid_request', 'The dpop_jkt is not a SHA-256 JWK thumbprint.');
  }
  const scope = await checkScope(deps, client, optional(query, 'scope'));
  if (optional(query, 'prompt')?.split(' ').includes('none')) {
    // No login session outlives the pages in this version, so the user must always log in.
    throw new Refusal('login_required', 'The user must log in.');
  }
  return {
    flow: 'code',
    clientId: client.clientId,
    redirectUri,
    scope,
    state,
    codeChallenge,
    nonce,
    dpopJkt,
  };
}

/** OAuth 2.1 §4.1.1, security.md O4: a S256 challenge from every client; plain is refused. */
function checkPkce(query: QueryInput): string {
  const challenge = optional(query, 'code_challenge');
  if (challenge === null)
    throw new Refusal('invalid_request', 'PKCE is required: code_challenge is missing.');
  const method = optional(query, 'code_challenge_method');
  if (method !== 'S256') {
    throw new Refusal('invalid_request', 'The code_challenge_method must be S256 (plain is not accepted).');
  }
  if (!S256_CHALLENGE.test(challenge)) {
    throw new Refusal('invalid_request', 'The code_challenge is not a base64url SHA-256 digest.');
  }
  return challenge;
}

/** Every requested scope must be one the client may ask for and its tenant knows (security.md O6). */
async function checkScope(
  deps: AuthorizeRequestDeps,
  client: OAuthClient,
  value: string | null,
): Promise<string[]> {
  const names = [...new Set(parseScope(value))];
  if (names.length === 0) return [];
  const notAllowed = names.filter((name) => !client.scopes.includes(name));
  if (notAllowed.length > 0)
    throw new Refusal('invalid_scope', 'A requested scope is not allowed for this client.');
  const resolved = await deps.scopeCatalog.resolve(client.tenantUuid, names);
  if (resolved.unknown.length > 0) throw new Refusal('invalid_scope', 'A requested scope is unknown.');
  return names;
}

function single(query: QueryInput, name: string): string | null | Refusal {
  const value = query[name];
  if (Array.isArray(value)) return new Refusal('invalid_request', `The ${name} parameter is repeated.`);
  return value === undefined || value === '' ? null : value;
}

function optional(query: QueryInput, name: string): string | null {
  const value = single(query, name);
  if (value instanceof Refusal) throw value;
  return value;
}
