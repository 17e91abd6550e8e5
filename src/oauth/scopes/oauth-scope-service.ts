import { guardOf } from '../../acl/acl-grant-guard.ts';
import { newId } from '../../crypto/token-values.ts';
import { DomainError } from '../../errors/domain-error.ts';
import type { ListParams, ListResult } from '../../http/list-query.ts';
import type { TenantRepository } from '../../tenants/tenant-repository.ts';
import type { OAuthAdminCaller } from '../clients/oauth-client-service.ts';
import type { OAuthScope, OAuthScopeRepository } from './oauth-scope-repository.ts';
import { PROTOCOL_SCOPES, type ScopeDefinition } from './scope-catalog.ts';

export interface OAuthScopeServiceDeps {
  scopes: OAuthScopeRepository;
  tenants: TenantRepository;
  /** config.oauth.scopes: defined for every tenant, read-only here. */
  configured: Readonly<Record<string, ScopeDefinition>>;
}

export type ScopeSource = 'tenant' | 'config' | 'protocol';

/** A scope as listed: config and protocol scopes have no uuid and are shown in the scoping tenant. */
export interface ScopeView {
  uuid: string | null;
  tenantUuid: string;
  name: string;
  description: string | null;
  acl: string[];
  source: ScopeSource;
}

export interface ScopeFilters {
  name?: string;
  source?: ScopeSource;
}

export interface OAuthScopeInput {
  name: string;
  description?: string | null;
  acl?: string[];
}

/**
 * OAuth scopes as named sets of ACL entries (issue #6 §3), so an OAuth access token carries an ACL
 * and is checked like any other. A tenant's scopes are behind the policies' grant guard (D12): no
 * caller can define a scope granting what it does not hold itself.
 */
export class OAuthScopeService {
  readonly #deps: OAuthScopeServiceDeps;

  constructor(deps: OAuthScopeServiceDeps) {
    this.#deps = deps;
  }

  /**
   * The tenant's own scopes (its subtree's with `recurse`), then the config scopes it does not
   * redefine, then the protocol scopes. Few per tenant, so filtered and paged in memory.
   */
  async list(auth: OAuthAdminCaller, query: ListParams & ScopeFilters): Promise<ListResult<ScopeView>> {
    const tenants = query.recurse ? await this.#visible(auth) : [auth.tenantUuid];
    const own = (await this.#deps.scopes.listInTenants(tenants)).map(tenantView);
    const redefined = new Set(own.filter((s) => s.tenantUuid === auth.tenantUuid).map((s) => s.name));
    const all = [...own, ...this.#builtIn(auth.tenantUuid).filter((s) => !redefined.has(s.name))];
    const filtered = all.filter((scope) => matches(scope, query));
    const sorted = filtered.sort(compareBy(query.order as 'name' | 'source', query.direction));
    const end = query.limit === undefined ? undefined : query.offset + query.limit;
    return { total: all.length, filtered: filtered.length, items: sorted.slice(query.offset, end) };
  }

  async get(auth: OAuthAdminCaller, uuid: string): Promise<OAuthScope> {
    const scope = await this.#deps.scopes.findByUuid(uuid);
    if (!scope || !(await this.#visible(auth)).includes(scope.tenantUuid)) throw unknownScope(uuid);
    return scope;
  }

  async create(auth: OAuthAdminCaller, input: OAuthScopeInput): Promise<OAuthScope> {
    // The protocol scopes mean something to every client (OIDC Core §5.4, §11): never redefined.
    if (Object.hasOwn(PROTOCOL_SCOPES, input.name)) {
      throw new DomainError('invalid-data', {
        resource: 'oauth_scopes',
        details: { name: { constraint_id: 'reserved', message: `"${input.name}" is a reserved scope` } },
      });
    }
    const acl = [...new Set(input.acl ?? [])];
    guardOf(auth.token).assertMayAdd(acl);
    const scope: OAuthScope = {
      uuid: newId(),
      tenantUuid: auth.tenantUuid,
      name: input.name,
      description: input.description ?? null,
      acl,
    };
    if (!(await this.#deps.scopes.insert(scope))) throw scopeTaken(input.name);
    return scope;
  }

  /** PUT replaces description and ACL; whatever the ACL gains or loses passes the guard. */
  async update(
    auth: OAuthAdminCaller,
    uuid: string,
    input: Omit<OAuthScopeInput, 'name'>,
  ): Promise<OAuthScope> {
    const existing = await this.get(auth, uuid);
    const acl = [...new Set(input.acl ?? [])];
    const guard = guardOf(auth.token);
    guard.assertMayAdd(acl.filter((access) => !existing.acl.includes(access)));
    guard.assertMayRemove(existing.acl.filter((access) => !acl.includes(access)));
    const scope = { ...existing, description: input.description ?? null, acl };
    await this.#deps.scopes.update(scope);
    return scope;
  }

  /** Clients naming the scope keep the name; it simply grants nothing until defined again. */
  async delete(auth: OAuthAdminCaller, uuid: string): Promise<void> {
    const scope = await this.get(auth, uuid);
    guardOf(auth.token).assertMayRemove(scope.acl);
    await this.#deps.scopes.delete(uuid);
  }

  #builtIn(tenantUuid: string): ScopeView[] {
    const configured = Object.entries(this.#deps.configured).map(([name, definition]) => ({
      uuid: null,
      tenantUuid,
      name,
      description: definition.description ?? null,
      acl: [...definition.acl],
      source: 'config' as const,
    }));
    const protocol = Object.entries(PROTOCOL_SCOPES).map(([name, description]) => ({
      uuid: null,
      tenantUuid,
      name,
      description,
      acl: [],
      source: 'protocol' as const,
    }));
    return [...configured, ...protocol];
  }

  #visible(auth: OAuthAdminCaller): Promise<string[]> {
    return this.#deps.tenants.subtree(auth.tenantUuid);
  }
}

function tenantView(scope: OAuthScope): ScopeView {
  return { ...scope, source: 'tenant' };
}

function matches(scope: ScopeView, query: ScopeFilters & { search?: string }): boolean {
  if (query.name !== undefined && scope.name !== query.name) return false;
  if (query.source !== undefined && scope.source !== query.source) return false;
  if (query.search === undefined || query.search === '') return true;
  const text = `${scope.name} ${scope.description ?? ''}`.toLowerCase();
  return query.search
    .toLowerCase()
    .trim()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

function compareBy(order: 'name' | 'source', direction: 'asc' | 'desc') {
  const sign = direction === 'asc' ? 1 : -1;
  return (a: ScopeView, b: ScopeView) =>
    sign * (a[order].localeCompare(b[order]) || a.name.localeCompare(b.name)) ||
    (a.uuid ?? '').localeCompare(b.uuid ?? '');
}

function unknownScope(uuid: string): DomainError {
  return new DomainError('unknown-oauth-scope', {
    message: `No such OAuth scope: "${uuid}"`,
    details: { uuid },
  });
}

function scopeTaken(name: string): DomainError {
  return new DomainError('conflict', {
    resource: 'oauth_scopes',
    details: { name: { constraint_id: 'unique', message: `The tenant already has a scope "${name}"` } },
  });
}
