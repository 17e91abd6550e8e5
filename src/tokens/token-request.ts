import { DomainError } from '../errors/domain-error.ts';
import type { ScopeCaps } from './token-scope-caps.ts';

/** A validated POST /token body (wazo §2.1). */
export interface TokenRequest {
  expirationSeconds: number | null;
  accessType: 'online' | 'offline';
  clientId: string | null;
  refreshToken: string | null;
  samlSessionId: string | null;
  backend: string;
  domainName: string | null;
  tenantId: string | null;
  /**
   * `acl`, or its alias `scope` (#6): the ACL entries asked for, without duplicates; null when
   * neither is given. The issued token gets at most what both this list and the user hold.
   */
  acl: string[] | null;
}

/** Field name to its messages; a list field's item errors are keyed by index, as marshmallow's. */
type FieldErrors = Record<string, string[] | Record<number, string[]>>;

const MAX_STRING = 1024;

/** The defaults of http.max_scope_length and http.max_scopes_per_check, which also bound `acl`. */
const DEFAULT_SCOPE_CAPS: ScopeCaps = { maxScopeLength: 1024, maxScopesPerCheck: 128 };

/**
 * Validates the body with wazo-auth's rules, including marshmallow's lenient integers for
 * `expiration` (numeric strings accepted, floats truncated, booleans and null refused). Unknown
 * fields are dropped. Failures are a 400 whose reason lists every field, in the style of the
 * Python dict wazo-auth puts there.
 */
export function parseTokenRequest(
  body: unknown,
  maxExpirationSeconds: number,
  scopeCaps: ScopeCaps = DEFAULT_SCOPE_CAPS,
): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid({ _schema: ['Invalid input type.'] });
  }
  const input = body as Record<string, unknown>;
  const errors: FieldErrors = {};
  const request: TokenRequest = {
    expirationSeconds: parseExpiration(input.expiration, maxExpirationSeconds, errors),
    accessType: parseAccessType(input.access_type, errors),
    clientId: parseString(input, 'client_id', errors),
    refreshToken: parseString(input, 'refresh_token', errors),
    samlSessionId: parseString(input, 'saml_session_id', errors),
    backend: parseString(input, 'backend', errors) ?? 'wazo_user',
    domainName: parseString(input, 'domain_name', errors),
    tenantId: parseString(input, 'tenant_id', errors),
    acl: parseAclList(input, 'acl', scopeCaps, errors) ?? parseAclList(input, 'scope', scopeCaps, errors),
  };
  checkCombinations(request, input, errors);
  if (Object.keys(errors).length > 0) throw invalid(errors);
  return request;
}

function parseExpiration(value: unknown, max: number, errors: FieldErrors): number | null {
  if (value === undefined) return null;
  const integer = lenientInteger(value);
  if (integer === null) {
    errors.expiration = [value === null ? 'Field may not be null.' : 'Not a valid integer.'];
    return null;
  }
  if (integer < 1 || integer > max) {
    errors.expiration = [`Must be greater than or equal to 1 and less than or equal to ${max}.`];
    return null;
  }
  return integer;
}

function lenientInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === 'string' && /^\s*[+-]?\d{1,15}\s*$/.test(value)) return Number.parseInt(value, 10);
  return null;
}

function parseAccessType(value: unknown, errors: FieldErrors): 'online' | 'offline' {
  if (value === undefined) return 'online';
  if (value === 'online' || value === 'offline') return value;
  if (value === null) errors.access_type = ['Field may not be null.'];
  else if (typeof value !== 'string') errors.access_type = ['Not a valid string.'];
  else errors.access_type = ['Must be one of: online, offline.'];
  return 'online';
}

function parseString(input: Record<string, unknown>, field: string, errors: FieldErrors): string | null {
  const value = input[field];
  if (value === undefined) return null;
  if (typeof value !== 'string') {
    errors[field] = [value === null ? 'Field may not be null.' : 'Not a valid string.'];
    return null;
  }
  if (value.length < 1 || value.length > MAX_STRING) {
    errors[field] = [`Length must be between 1 and ${MAX_STRING}.`];
    return null;
  }
  return value;
}

/**
 * `acl` / `scope` (#6), shaped as a marshmallow `List(String(validate=Length(1, n)), validate=Length(max=m))`
 * would report it. The caps are the token-check ones (http.max_scope_length, http.max_scopes_per_check):
 * the list becomes a token's ACL, so it is bounded like what a check may ask of one.
 */
function parseAclList(
  input: Record<string, unknown>,
  field: 'acl' | 'scope',
  caps: ScopeCaps,
  errors: FieldErrors,
): string[] | null {
  const value = input[field];
  if (value === undefined) return null;
  if (!Array.isArray(value)) {
    errors[field] = [value === null ? 'Field may not be null.' : 'Not a valid list.'];
    return null;
  }
  if (value.length > caps.maxScopesPerCheck) {
    errors[field] = [`Longer than maximum length ${caps.maxScopesPerCheck}.`];
    return null;
  }
  const itemErrors: Record<number, string[]> = {};
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string') itemErrors[index] = ['Not a valid string.'];
    else if (item.length < 1 || item.length > caps.maxScopeLength)
      itemErrors[index] = [`Length must be between 1 and ${caps.maxScopeLength}.`];
  });
  if (Object.keys(itemErrors).length > 0) {
    errors[field] = itemErrors;
    return null;
  }
  return [...new Set(value as string[])];
}

/** Cross-field rules; like marshmallow's schema validators they only run when every field is valid. */
function checkCombinations(request: TokenRequest, input: Record<string, unknown>, errors: FieldErrors): void {
  if (Object.keys(errors).length > 0) return;
  const schema: string[] = [];
  if (request.accessType === 'offline') {
    if (request.refreshToken) schema.push('cannot use the "access_type" "offline" with a refresh token');
    else if (!request.clientId)
      schema.push('"client_id" must be specified when using "access_type" is "offline"');
  }
  if (request.refreshToken && !request.clientId) {
    schema.push('"client_id" must be specified when using a "refresh_token"');
  }
  if (request.tenantId && request.domainName) {
    schema.push('"tenant_id" and "domain_name" must be mutually exclusive');
  }
  if (request.samlSessionId && request.refreshToken) {
    schema.push('Cannot use a "saml_session_id" and a "refresh_token" at the same time');
  }
  if (input.acl !== undefined && input.scope !== undefined) {
    schema.push('"acl" and "scope" must be mutually exclusive');
  }
  if (schema.length > 0) errors._schema = schema;
}

function invalid(errors: FieldErrors): DomainError {
  return new DomainError('invalid-token-request', { message: pythonRepr(errors), details: errors });
}

/**
 * Renders like Python's repr of a dict of lists, which is what wazo-auth sends as the reason; a
 * list field's item errors are a nested dict with integer keys (`{'acl': {0: ['Not a valid string.']}}`).
 */
function pythonRepr(errors: FieldErrors): string {
  const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const list = (messages: string[]) => `[${messages.map(quote).join(', ')}]`;
  const entries = Object.entries(errors).map(([k, v]) => {
    if (Array.isArray(v)) return `${quote(k)}: ${list(v)}`;
    const items = Object.entries(v).map(([index, messages]) => `${index}: ${list(messages)}`);
    return `${quote(k)}: {${items.join(', ')}}`;
  });
  return `{${entries.join(', ')}}`;
}
