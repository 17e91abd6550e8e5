import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.ts';
import { newId } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import { tenantAdded, tenantDeleted, tenantUpdated } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import type { PolicyRepository } from '../policies/policy-repository.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import {
  type Address,
  EMPTY_ADDRESS,
  MAX_LISTED_UUIDS,
  normalizeDomainNames,
  randomSlug,
  slugFromName,
  type TenantDetails,
  type TenantFields,
  type TenantFilters,
  tenantConflict,
  unknownTenant,
} from './tenant.ts';
import type { TenantListRepository } from './tenant-list-repository.ts';
import { provisionTenant } from './tenant-provisioning.ts';
import { TenantRepository } from './tenant-repository.ts';

export interface TenantServiceDeps {
  tenants: TenantRepository;
  views: TenantListRepository;
  users: UserRepository;
  groups: GroupRepository;
  policies: PolicyRepository;
  revoker: SessionRevoker;
  events: EventSink;
  log: Logger;
  now: () => number;
  config: Pick<Config, 'all_users_policies' | 'tenant_default_groups'>;
}

export interface TenantInput {
  name?: string | null;
  contact?: string | null;
  phone?: string | null;
  domain_names?: string[];
  default_authentication_method?: string;
  address?: Partial<Address>;
}

export interface NewTenantInput extends TenantInput {
  uuid?: string | null;
  slug?: string | null;
}

export type TenantListQuery = ListParams & Omit<TenantFilters, 'uuids'> & { uuids?: string[] };

/**
 * Who acts on tenants: the scoping tenant and the caller's own. Routes pass their AuthContext;
 * registration and the operator's CLI, which hold no token, pass the two uuids.
 */
export type TenantScope = Pick<AuthContext, 'tenantUuid' | 'callerTenantUuid'>;

/** The tenants plugin (wazo §2.5). Visibility is the scoping tenant's subtree; the rest is 404. */
export class TenantService {
  readonly #deps: TenantServiceDeps;

  constructor(deps: TenantServiceDeps) {
    this.#deps = deps;
  }

  /** GET /tenants always covers the scoping tenant's whole subtree (`recurse` changes nothing). */
  async list(auth: TenantScope, query: TenantListQuery) {
    const visible = await this.#deps.tenants.subtree(auth.tenantUuid);
    return this.#deps.views.list(visible, { ...query, uuids: splitUuids(query.uuids) }, query);
  }

  async get(auth: TenantScope, uuid: string): Promise<TenantDetails> {
    await this.#assertVisible(auth.tenantUuid, uuid);
    const tenant = await this.#deps.views.get(uuid);
    if (!tenant) throw unknownTenant(uuid);
    return tenant;
  }

  /** Creates a child of the scoping tenant, then its groups, then announces it. */
  async create(auth: TenantScope, input: NewTenantInput): Promise<TenantDetails> {
    const uuid = input.uuid?.toLowerCase() ?? newId();
    if (uuid === auth.tenantUuid) {
      throw new DomainError('master-tenant-conflict', {
        details: { parent_uuid: { constraint_id: 'unique', message: 'A master tenant already exist' } },
      });
    }
    if (await this.#deps.tenants.get(uuid)) throw identityConflict(uuid);
    const fields = await this.#fields(auth, input);
    const slug = input.slug ?? (await this.#freeSlug(fields.name));
    await translateConflicts(uuid, () =>
      this.#deps.tenants.insert({
        ...fields,
        uuid,
        slug,
        parentUuid: auth.tenantUuid,
        createdAtMs: this.#deps.now(),
      }),
    );
    await provisionTenant(this.#deps, uuid);
    const tenant = await this.get(auth, uuid);
    this.#deps.events.publish(tenantAdded(tenant));
    return tenant;
  }

  /** Full replacement (wazo §1.7): what the body omits is reset; the slug never changes. */
  async update(auth: AuthContext, uuid: string, input: TenantInput): Promise<TenantDetails> {
    await this.#assertVisible(auth.tenantUuid, uuid);
    const fields = await this.#fields(auth, input);
    await translateConflicts(uuid, () => this.#deps.tenants.update(uuid, fields));
    const tenant = await this.get(auth, uuid);
    this.#deps.events.publish(tenantUpdated(tenant));
    return tenant;
  }

  /**
   * Ends the tenant's sessions and deletes it in one transaction (what it owns goes by cascade),
   * so its users' tokens stop working at once everywhere.
   */
  async delete(auth: TenantScope, uuid: string): Promise<void> {
    await this.#assertVisible(auth.tenantUuid, uuid);
    if (uuid === auth.tenantUuid) {
      throw new DomainError('deleting-own-tenant-forbidden', {
        message: `Deleting its own tenant is forbidden: "${uuid}"`,
        details: { tenant_uuid: uuid },
      });
    }
    if (await this.#deps.tenants.hasChildren(uuid)) throw hasChildren(uuid);
    await this.#deps.revoker.revokeTenant(uuid, async (tx) => {
      // Within the transaction only: on SQLite another query would wait for its connection.
      const tenants = new TenantRepository(tx);
      if (!(await tenants.deleteLeaf(uuid))) {
        throw (await tenants.get(uuid)) ? hasChildren(uuid) : unknownTenant(uuid);
      }
    });
    this.#deps.events.publish(tenantDeleted(uuid));
  }

  async domains(auth: AuthContext, uuid: string) {
    await this.#assertVisible(auth.tenantUuid, uuid);
    const items = await this.#deps.views.domainsOf(uuid);
    return { total: items.length, items };
  }

  /** Re-parenting (wazo 26.03): both visible, and the new parent may not sit under the tenant. */
  async reparent(auth: AuthContext, uuid: string, parentUuid: string): Promise<void> {
    await this.#assertVisible(auth.tenantUuid, uuid);
    await this.#assertVisible(auth.tenantUuid, parentUuid);
    if (!(await this.#deps.tenants.reparent(uuid, parentUuid))) {
      throw tenantConflict('parent_uuid', 'The new parent is the tenant itself or one of its descendants');
    }
  }

  async #assertVisible(scopeUuid: string, uuid: string): Promise<void> {
    if (!(await this.#deps.tenants.isInSubtree(scopeUuid, uuid))) throw unknownTenant(uuid);
  }

  /**
   * The contact must be a user the caller can see (Z2: no object is reached by id across tenants);
   * wazo accepts any existing user.
   */
  async #fields(auth: TenantScope, input: TenantInput): Promise<TenantFields> {
    const contactUuid = input.contact?.toLowerCase() ?? null;
    if (contactUuid) {
      const visible = await this.#deps.tenants.subtree(auth.callerTenantUuid);
      if (!(await this.#deps.users.get(contactUuid, visible))) throw unknownUser(contactUuid);
    }
    return {
      name: input.name ?? null,
      contactUuid,
      phone: input.phone ?? null,
      domainNames: normalizeDomainNames(input.domain_names ?? []),
      defaultAuthenticationMethod: input.default_authentication_method ?? 'native',
      address: { ...EMPTY_ADDRESS, ...input.address },
    };
  }

  /** wazo: the name's slug when free, else three random characters until one is free. */
  async #freeSlug(name: string | null): Promise<string> {
    const fromName = name ? slugFromName(name) : '';
    if (fromName && !(await this.#deps.tenants.slugExists(fromName))) return fromName;
    for (;;) {
      const slug = randomSlug();
      if (!(await this.#deps.tenants.slugExists(slug))) return slug;
    }
  }
}

/** `uuids` may come repeated or comma-separated; wazo caps the list at 25. */
function splitUuids(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const uuids = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (uuids.length > MAX_LISTED_UUIDS) {
    throw new DomainError('invalid-list-param', {
      details: {
        uuids: { constraint_id: 'length', constraint: { max: MAX_LISTED_UUIDS }, message: 'Too many uuids' },
      },
    });
  }
  return uuids.map((u) => u.toLowerCase());
}

async function translateConflicts(uuid: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const violated = uniqueViolation(error);
    if (violated === null) throw error;
    if (/domain/.test(violated)) throw tenantConflict('domain_names', 'A domain name is already used');
    if (/slug/.test(violated)) throw tenantConflict('slug', 'The slug is already used');
    throw identityConflict(uuid);
  }
}

function identityConflict(uuid: string): DomainError {
  return new DomainError('tenant-identity-conflict', {
    message: `A tenant with uuid "${uuid}" already exists`,
    details: { uuid },
  });
}

function hasChildren(uuid: string): DomainError {
  return new DomainError('tenant-has-children', {
    message: `Unauthorized delete of tenant : "${uuid}" ; since it has at least one child`,
    details: { uuid },
  });
}
