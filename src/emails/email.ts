import { DomainError } from '../errors/domain-error.ts';

/** An address as stored, with who owns it (for tenant checks and the mail's greeting). */
export interface StoredEmail {
  uuid: string;
  address: string;
  main: boolean;
  confirmed: boolean;
  userUuid: string;
  tenantUuid: string;
  username: string | null;
}

/** One item of a PUT …/emails body; `confirmed` only on the admin route (null keeps the current flag). */
export interface EmailInput {
  address: string;
  main?: boolean;
  confirmed?: boolean | null;
}

export interface EmailRow {
  uuid: string;
  address: string;
  main: boolean;
  confirmed: boolean;
}

/**
 * The new list of a user's addresses (wazo §2.4): an address already there (compared without
 * case) keeps its uuid and, unless the admin route says otherwise, its `confirmed` flag; new ones
 * are unconfirmed unless the admin route confirms them.
 */
export function planEmails(current: readonly EmailRow[], input: readonly EmailInput[], newId: () => string) {
  refuseBadList(input);
  const byAddress = new Map(current.map((e) => [e.address.toLowerCase(), e]));
  return input.map((item): EmailRow => {
    const existing = byAddress.get(item.address.toLowerCase());
    return {
      uuid: existing?.uuid ?? newId(),
      address: item.address,
      main: item.main ?? false,
      confirmed: item.confirmed ?? existing?.confirmed ?? false,
    };
  });
}

/** wazo's schema rules: exactly one main address when the list is not empty, no address twice. */
function refuseBadList(input: readonly EmailInput[]): void {
  if (input.length === 0) return;
  const mains = input.filter((e) => e.main === true).length;
  if (mains !== 1) {
    throw invalidEmails(
      mains > 1 ? 'Only one address should be main' : 'At least one address should be main',
    );
  }
  const addresses = new Set(input.map((e) => e.address.toLowerCase()));
  if (addresses.size !== input.length) throw invalidEmails('The same address can only be used once');
}

function invalidEmails(message: string): DomainError {
  return new DomainError('invalid-data', {
    message,
    resource: 'emails',
    details: { _schema: [{ constraint_id: 'emails', message }] },
  });
}

export function unknownEmail(uuid: string): DomainError {
  return new DomainError('unknown-email', { message: `No such email: "${uuid}"`, details: { uuid } });
}

export function loginTaken(address: string): DomainError {
  return new DomainError('conflict', {
    resource: 'users',
    details: {
      email_address: { constraint_id: 'unique', message: `The login "${address}" is already used` },
    },
  });
}
