/**
 * The one error catalog. Services throw `DomainError(code)`; only this table knows the HTTP status,
 * wazo-auth's `error_id`/`resource` and which of wazo's two body shapes (§1.5) the code renders in:
 * - `legacy`: `{"reason": [msg], "timestamp": [t], "status_code": n}`, used by wazo's token endpoints;
 *   the JS SDK matches `reason[0] === "No such token"` to trigger a refresh, so messages are exact.
 * - `api`: `{"message", "error_id", "details", "timestamp", "resource"?}`, everything else.
 * - `route`: generic HTTP errors (bad JSON, body too large…) take the shape of the route they hit.
 * docs/errors.md lists every code; a test keeps the two in step.
 */
export type ErrorShape = 'legacy' | 'api' | 'route';

export interface CatalogEntry {
  status: number;
  shape: ErrorShape;
  message: string;
  resource?: string;
  /** Overrides the wazo error_id when it differs from the catalog code. */
  errorId?: string;
  description: string;
}

export const ERROR_CATALOG = {
  'authentication-failed': {
    status: 401,
    shape: 'legacy',
    message: 'Authentication Failed',
    description:
      'Login refused: unknown login, wrong password, disabled user, bad refresh token (one answer).',
  },
  'invalid-token-request': {
    status: 400,
    shape: 'legacy',
    message: 'Invalid request',
    description: 'POST /token body refused by validation; the reason lists each field and its problem.',
  },
  'max-sessions': {
    status: 429,
    shape: 'legacy',
    message: 'User has exceeded the maximum number of active sessions',
    description: 'The user already holds max_user_concurrent_sessions sessions.',
  },
  'no-such-token': {
    status: 404,
    shape: 'legacy',
    message: 'No such token',
    description: 'The token checked is unknown, malformed, revoked or expired.',
  },
  'missing-scope': {
    status: 403,
    shape: 'legacy',
    message: 'Unauthorized',
    description: 'The token checked does not grant the requested scope.',
  },
  'forbidden-tenant': {
    status: 403,
    shape: 'legacy',
    message: 'Unauthorized',
    description: "The checked token's user is not allowed on the requested tenant.",
  },
  'wrong-old-password': {
    status: 401,
    shape: 'legacy',
    message: 'Authentication Failed',
    description: 'PUT /users/{uuid}/password with a wrong old password.',
  },
  unauthorized: {
    status: 401,
    shape: 'api',
    message: 'Unauthorized',
    description: 'X-Auth-Token missing, unknown, expired, or without the ACL the route requires.',
  },
  'unauthorized-tenant': {
    status: 401,
    shape: 'api',
    message: 'Unauthorized tenant',
    description: "Wazo-Tenant names a tenant outside the caller's subtree.",
  },
  'invalid-data': {
    status: 400,
    shape: 'api',
    message: 'Sent data is invalid',
    description: 'A management request body failed validation; details name each field.',
  },
  'invalid-list-param': {
    status: 400,
    shape: 'api',
    message: 'Invalid list parameter',
    resource: 'users',
    description: 'Bad order, direction, limit, offset or filter on a list route.',
  },
  'unknown-user': {
    status: 404,
    shape: 'api',
    message: 'No such user',
    resource: 'users',
    description: 'The user does not exist or is outside the visible tenants.',
  },
  'unknown-tenant': {
    status: 404,
    shape: 'api',
    message: 'No such tenant',
    resource: 'tenants',
    description: 'The tenant does not exist or is outside the visible tenants.',
  },
  'deleting-own-tenant-forbidden': {
    status: 403,
    shape: 'api',
    message: 'Deleting its own tenant is forbidden',
    resource: 'tenants',
    description: 'DELETE /tenants/{uuid} of the scoping tenant itself.',
  },
  'tenant-has-children': {
    status: 400,
    shape: 'api',
    message: 'Unauthorized delete of a tenant since it has at least one child',
    resource: 'tenants',
    description: 'DELETE /tenants/{uuid} of a tenant that still has sub-tenants; delete or move them first.',
  },
  'tenant-identity-conflict': {
    status: 409,
    shape: 'api',
    message: 'A tenant with this uuid already exists',
    resource: 'tenants',
    description: 'POST /tenants with the uuid of an existing tenant.',
  },
  'master-tenant-conflict': {
    status: 403,
    shape: 'api',
    errorId: 'conflict',
    message: 'Conflict detected',
    resource: 'tenants',
    description: 'POST /tenants whose uuid equals its parent: there is only one top tenant.',
  },
  'unknown-group': {
    status: 404,
    shape: 'api',
    message: 'No such group',
    resource: 'groups',
    description: 'The group does not exist or is outside the visible tenants.',
  },
  'forbidden-group': {
    status: 403,
    shape: 'api',
    message: 'Forbidden group modification',
    resource: 'groups',
    description: 'The group is system-managed (the all-users group): no edit, delete or membership change.',
  },
  'missmatching-tenant': {
    status: 400,
    shape: 'api',
    message: 'Ressources are not in the same tenant',
    resource: 'groups',
    description: 'A user can only join a group of its own tenant (wazo spells the id this way).',
  },
  'duplicate-group': {
    status: 409,
    shape: 'legacy',
    message: 'Group already exists',
    description: 'A group of the tenant already has this name or slug.',
  },
  'unknown-policy': {
    status: 404,
    shape: 'legacy',
    message: 'No such policy',
    description: 'The policy does not exist or is not visible from the scoping tenant.',
  },
  'read-only-policy': {
    status: 403,
    shape: 'legacy',
    message: 'Forbidden policy modification',
    description: 'The policy is config-managed, or shared by an ancestor tenant: it cannot be changed here.',
  },
  'duplicate-policy': {
    status: 409,
    shape: 'legacy',
    message: 'Policy already exists',
    description: 'A policy with this name or slug exists in the tenant, or as a shared policy of its line.',
  },
  'duplicate-access': {
    status: 409,
    shape: 'legacy',
    message: 'Policy already associated to this access',
    description: 'PUT /policies/{policy}/acl/{access} for an access the policy already has.',
  },
  'invalid-policy-input': {
    status: 400,
    shape: 'legacy',
    message: 'Invalid value supplied for field',
    description: 'A policy body failed validation; wazo names the first bad field in the reason.',
  },
  'unknown-refresh-token': {
    status: 404,
    shape: 'api',
    errorId: 'cannot-find-refresh-token-matching-client-id',
    message: 'Cannot find a refresh token matching this client_id',
    resource: 'tokens',
    description: 'DELETE of a refresh token that does not exist for that user and client_id.',
  },
  'unknown-oauth-client': {
    status: 404,
    shape: 'api',
    message: 'No such OAuth client',
    resource: 'oauth_clients',
    description: 'The OAuth client does not exist or is outside the visible tenants.',
  },
  'unknown-oauth-scope': {
    status: 404,
    shape: 'api',
    message: 'No such OAuth scope',
    resource: 'oauth_scopes',
    description:
      'The OAuth scope does not exist or is outside the visible tenants (config and protocol scopes ' +
      'have no uuid and cannot be changed through the API).',
  },
  conflict: {
    status: 409,
    shape: 'api',
    message: 'Conflict detected',
    description: 'A unique value (username, email, uuid…) is already taken.',
  },
  'password-managed-externally': {
    status: 405,
    shape: 'api',
    message: 'The password of this user is managed by an external authentication method',
    description: 'Password change for a user whose authentication method is not native.',
  },
  'unknown-email': {
    status: 404,
    shape: 'api',
    message: 'No such email',
    resource: 'emails',
    description: 'The email does not exist, belongs to another user, or is outside the visible tenants.',
  },
  'mail-delivery-failed': {
    status: 503,
    shape: 'api',
    message: 'The email could not be sent',
    resource: 'emails',
    description: 'The SMTP server refused or could not be reached; nothing the email was for was kept.',
  },
  'not-found': {
    status: 404,
    shape: 'route',
    message: 'Not found',
    description: 'No route, or a path parameter that is not a UUID where one is required.',
  },
  'method-not-allowed': {
    status: 405,
    shape: 'route',
    message: 'Method not allowed',
    description: 'The path exists but not with this method; the Allow header lists the others.',
  },
  'invalid-json': {
    status: 400,
    shape: 'route',
    message: 'Invalid JSON body',
    description: 'The body is empty, not JSON, or not a JSON object.',
  },
  'json-too-deep': {
    status: 400,
    shape: 'route',
    message: 'JSON body nested too deeply',
    description: 'Arrays and objects in the body nest deeper than http.json_max_depth.',
  },
  'nul-character': {
    status: 400,
    shape: 'route',
    message: 'NUL characters are not accepted',
    description: 'A JSON string in the body holds U+0000, which no Gatehouse value may contain.',
  },
  'scope-limit-exceeded': {
    status: 400,
    shape: 'route',
    message: 'Too many or too long scopes',
    description:
      'A token check asked for a scope longer than http.max_scope_length or more than http.max_scopes_per_check scopes.',
  },
  'duplicate-header': {
    status: 400,
    shape: 'route',
    message: 'Header sent more than once',
    description:
      'X-Auth-Token, Authorization, Wazo-Tenant, Content-Type or Wazo-Session-Type appeared twice.',
  },
  'header-too-large': {
    status: 431,
    shape: 'api',
    message: 'Request headers too large',
    description: 'The request line and headers exceed http.max_header_bytes; the connection is closed.',
  },
  'request-timeout': {
    status: 408,
    shape: 'api',
    message: 'Request not received in time',
    description: 'The client did not finish sending its request in time; the connection is closed.',
  },
  'payload-too-large': {
    status: 413,
    shape: 'route',
    message: 'Request body too large',
    description: 'The body exceeds http.body_limit_bytes.',
  },
  'unsupported-media-type': {
    status: 415,
    shape: 'route',
    message: 'Unsupported Content-Type; send application/json',
    description: 'A body was sent with a Content-Type that is not JSON (decision D9).',
  },
  'bad-request': {
    status: 400,
    shape: 'route',
    message: 'Bad request',
    description: 'Malformed request line, headers or query string.',
  },
  'too-many-failed-logins': {
    status: 429,
    shape: 'route',
    message: 'Too many failed attempts from this address, retry later',
    description:
      'The client address used up brute_force.address_max_failures (failed logins and password-reset ' +
      'requests) in its window; Retry-After gives the seconds left (docs/brute-force.md).',
  },
  'hashing-overloaded': {
    status: 503,
    shape: 'route',
    message: 'Too many logins in progress, retry later',
    description: 'The password-hashing queue is full; Retry-After says when to come back.',
  },
  'storage-unavailable': {
    status: 503,
    shape: 'route',
    message: 'Storage unavailable, retry later',
    description: 'The database cannot be reached; nothing was changed and no token was accepted.',
  },
  internal: {
    status: 500,
    shape: 'route',
    message: 'Internal server error',
    description: 'An unexpected failure; the details are logged, never sent.',
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function catalogEntry(code: ErrorCode): CatalogEntry {
  return ERROR_CATALOG[code];
}
