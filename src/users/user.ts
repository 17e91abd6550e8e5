import type { StoredPassword } from '../crypto/password-hasher.ts';
import { DomainError } from '../errors/domain-error.ts';

export type Purpose = 'user' | 'internal' | 'external_api';

export interface Email {
  uuid: string;
  address: string;
  main: boolean;
  confirmed: boolean;
}

export interface User {
  uuid: string;
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: Purpose;
  tenantUuid: string;
  enabled: boolean;
  authenticationMethod: string;
  emails: Email[];
}

/** The editable part of a user: PUT replaces all of it (wazo §1.7). */
export interface UserFields {
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: Purpose;
  authenticationMethod: string;
  enabled: boolean;
}

export interface NewUser extends UserFields {
  uuid: string;
  tenantUuid: string;
  password: StoredPassword | null;
  email: { uuid: string; address: string; main: boolean; confirmed: boolean } | null;
  createdAtMs: number;
}

/** What a login needs to know about a user, resolved with its tenant's default method. */
export interface LoginCandidate {
  uuid: string;
  username: string | null;
  tenantUuid: string;
  purpose: Purpose;
  enabled: boolean;
  /** The user's method, or its tenant's default when the user's is `default` (wazo §3.2 step 6). */
  effectiveMethod: string;
  password: StoredPassword | null;
}

export interface UserFilters {
  uuid?: string;
  username?: string;
  firstname?: string;
  lastname?: string;
  purpose?: string;
  email_address?: string;
  group_uuid?: string;
  /** Direct user ↔ policy association only. */
  policy_uuid?: string;
  policy_slug?: string;
  /** Directly or through one of the user's groups. */
  has_policy_uuid?: string;
  has_policy_slug?: string;
}

/** wazo-auth's default method for a new user: `default` for humans, `native` for service accounts. */
export function defaultAuthenticationMethod(purpose: Purpose): string {
  return purpose === 'user' ? 'default' : 'native';
}

/** Methods this server can verify; the others (ldap, saml) are accepted as data but cannot log in yet. */
export const AUTHENTICATION_METHODS = ['default', 'native', 'ldap', 'saml'] as const;

export function unknownUser(uuid: string): DomainError {
  return new DomainError('unknown-user', { message: `No such user: "${uuid}"`, details: { uuid } });
}
