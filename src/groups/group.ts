import { DomainError } from '../errors/domain-error.ts';

export interface Group {
  uuid: string;
  name: string;
  slug: string;
  tenantUuid: string;
  systemManaged: boolean;
}

/** Exact-match filters of GET /groups (wazo §2.6). */
export interface GroupFilters {
  uuid?: string;
  name?: string;
  slug?: string;
  user_uuid?: string;
  read_only?: boolean;
  policy_uuid?: string;
  policy_slug?: string;
}

export function unknownGroup(uuid: string): DomainError {
  return new DomainError('unknown-group', { message: `No such group: "${uuid}"`, details: { uuid } });
}

export function forbiddenGroup(uuid: string): DomainError {
  return new DomainError('forbidden-group', {
    message: `Forbidden group modification: "${uuid}"`,
    details: { uuid },
  });
}

export function duplicateGroup(name: string): DomainError {
  return new DomainError('duplicate-group', { message: `Group "${name}" already exists` });
}

/** The wire shape: `read_only` is the current name of `system_managed`, kept as a deprecated alias. */
export function renderGroup(group: Group) {
  return {
    uuid: group.uuid,
    name: group.name,
    slug: group.slug,
    tenant_uuid: group.tenantUuid,
    read_only: group.systemManaged,
    system_managed: group.systemManaged,
  };
}
