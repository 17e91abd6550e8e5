import { randomInt } from 'node:crypto';
import { DomainError } from '../errors/domain-error.ts';

/** A tenant's postal address; every field is null when the tenant has none (wazo §2.5). */
export interface Address {
  line_1: string | null;
  line_2: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  zip_code: string | null;
}

export const ADDRESS_FIELDS = ['line_1', 'line_2', 'city', 'state', 'country', 'zip_code'] as const;

export const EMPTY_ADDRESS: Readonly<Address> = Object.freeze({
  line_1: null,
  line_2: null,
  city: null,
  state: null,
  country: null,
  zip_code: null,
});

/** What PUT replaces as a whole (the slug and the parent are not part of it). */
export interface TenantFields {
  name: string | null;
  contactUuid: string | null;
  phone: string | null;
  domainNames: string[];
  defaultAuthenticationMethod: string;
  address: Address;
}

export interface NewTenant extends TenantFields {
  uuid: string;
  slug: string;
  parentUuid: string;
  createdAtMs: number;
}

/** The full tenant object of the API. */
export interface TenantDetails extends TenantFields {
  uuid: string;
  slug: string;
  parentUuid: string;
}

export interface TenantFilters {
  uuid?: string;
  uuids?: string[];
  name?: string;
  slug?: string;
  domain_name?: string;
}

/** wazo's TenantSlug: 1 to 10 characters of [A-Za-z0-9_]. */
export const TENANT_SLUG_PATTERN = '^[A-Za-z0-9_]{1,10}$';
const SLUG_MAX_LENGTH = 10;
const RANDOM_SLUG_LENGTH = 3;
const RANDOM_SLUG_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** The slug wazo derives from a name: its allowed characters, cut to ten; may be empty. */
export function slugFromName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '').slice(0, SLUG_MAX_LENGTH);
}

/** wazo's fallback when the name gives no free slug: three random letters or digits. */
export function randomSlug(): string {
  let slug = '';
  for (let i = 0; i < RANDOM_SLUG_LENGTH; i += 1)
    slug += RANDOM_SLUG_ALPHABET[randomInt(RANDOM_SLUG_ALPHABET.length)];
  return slug;
}

/**
 * wazo's domain-name rule: at least two dot-separated labels of letters, digits and hyphens, no
 * label starting or ending with a hyphen, no underscore, 253 characters at most, an optional final dot.
 */
export const DOMAIN_NAME_PATTERN =
  '^(?=.{1,253}\\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?){1,126}\\.?$';

/** wazo de-duplicates and sorts the domain names it is given. */
export function normalizeDomainNames(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

export const MAX_LISTED_UUIDS = 25;

export function unknownTenant(uuid: string): DomainError {
  return new DomainError('unknown-tenant', { message: `No such tenant: "${uuid}"`, details: { uuid } });
}

export function tenantConflict(field: string, message: string): DomainError {
  return new DomainError('conflict', {
    resource: 'tenants',
    details: { [field]: { constraint_id: 'unique', message } },
  });
}
