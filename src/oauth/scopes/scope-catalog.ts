import type { OAuthScopeRepository } from './oauth-scope-repository.ts';

/** Scopes every tenant has, defined by OpenID Connect and RFC 6749; they carry no ACL. */
export const PROTOCOL_SCOPES: Readonly<Record<string, string>> = {
  openid: 'Sign you in (OpenID Connect).',
  profile: 'Read your name and username.',
  email: 'Read your email address.',
  offline_access: 'Stay signed in (a refresh token).',
};

export interface ScopeDefinition {
  description?: string;
  acl: readonly string[];
}

export interface ResolvedScopes {
  /** The requested names this tenant knows, in request order, without duplicates. */
  known: string[];
  unknown: string[];
  /** The union of the known scopes' ACL entries. */
  acl: string[];
  /** name → description, for the consent screen. */
  descriptions: Record<string, string>;
}

/**
 * Turns OAuth scope names into ACL entries (issue #6 §3): a tenant's own scopes (API) win over the
 * ones the configuration defines for every tenant, and the protocol scopes mean no ACL at all.
 */
export class ScopeCatalog {
  readonly #tenantScopes: OAuthScopeRepository;
  readonly #configured: Readonly<Record<string, ScopeDefinition>>;

  constructor(tenantScopes: OAuthScopeRepository, configured: Readonly<Record<string, ScopeDefinition>>) {
    this.#tenantScopes = tenantScopes;
    this.#configured = configured;
  }

  async resolve(tenantUuid: string, names: readonly string[]): Promise<ResolvedScopes> {
    const unique = [...new Set(names)];
    const own = new Map((await this.#tenantScopes.findByNames(tenantUuid, unique)).map((s) => [s.name, s]));
    const resolved: ResolvedScopes = { known: [], unknown: [], acl: [], descriptions: {} };
    const acl = new Set<string>();
    for (const name of unique) {
      const definition = own.get(name) ?? this.#configuredScope(name);
      if (definition) {
        resolved.known.push(name);
        for (const entry of definition.acl) acl.add(entry);
        resolved.descriptions[name] = definition.description ?? name;
      } else if (name in PROTOCOL_SCOPES) {
        resolved.known.push(name);
        resolved.descriptions[name] = PROTOCOL_SCOPES[name] as string;
      } else {
        resolved.unknown.push(name);
      }
    }
    resolved.acl = [...acl];
    return resolved;
  }

  /** Every scope name the tenant can use, for discovery (`scopes_supported`) and the admin API. */
  async namesOf(tenantUuid: string | null): Promise<string[]> {
    const own = tenantUuid ? (await this.#tenantScopes.listInTenant(tenantUuid)).map((s) => s.name) : [];
    return [...new Set([...Object.keys(PROTOCOL_SCOPES), ...Object.keys(this.#configured), ...own])].sort();
  }

  #configuredScope(name: string): ScopeDefinition | null {
    return Object.hasOwn(this.#configured, name) ? (this.#configured[name] as ScopeDefinition) : null;
  }
}

/** RFC 6749 §3.3: scope is a space-delimited list of case-sensitive strings. */
export function parseScope(value: string | undefined | null): string[] {
  return value ? value.split(' ').filter((s) => s.length > 0) : [];
}
