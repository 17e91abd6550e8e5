import { sql } from 'kysely';
import type { Db } from '../storage/database.ts';

/** Who a reset email goes to, and at which address. */
export interface ResetTarget {
  userUuid: string;
  username: string | null;
  address: string;
}

export interface ResetLookup {
  by: 'username' | 'email' | 'login';
  value: string;
}

/**
 * Finds whom a reset request is for. Mail only ever goes to a confirmed address: the one asked
 * for, else the user's main confirmed one, else any confirmed one (wazo would also mail an
 * unconfirmed address given as `email`; an unproven address must not receive account control).
 * Users whose password lives elsewhere (ldap, saml) get nothing: their reset would be refused.
 */
export class ResetTargetRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async find(lookup: ResetLookup): Promise<ResetTarget | null> {
    const byEmail = lookup.by === 'username' ? null : await this.#byConfirmedEmail(lookup.value);
    if (byEmail || lookup.by === 'email') return byEmail;
    return this.#byUsername(lookup.value);
  }

  async #byConfirmedEmail(address: string): Promise<ResetTarget | null> {
    const row = await this.#nativeUsers()
      .innerJoin('auth_email as e', 'e.user_uuid', 'u.uuid')
      .select(['u.uuid', 'u.username', 'e.address'])
      .where(sql<string>`lower(e.address)`, '=', address.toLowerCase())
      .where('e.confirmed', '=', true)
      .executeTakeFirst();
    return row ? { userUuid: row.uuid, username: row.username, address: row.address } : null;
  }

  async #byUsername(username: string): Promise<ResetTarget | null> {
    const user = await this.#nativeUsers()
      .select(['u.uuid', 'u.username'])
      .where(sql<string>`lower(u.username)`, '=', username.toLowerCase())
      .executeTakeFirst();
    if (!user) return null;
    const email = await this.#db
      .selectFrom('auth_email')
      .select('address')
      .where('user_uuid', '=', user.uuid)
      .where('confirmed', '=', true)
      .orderBy('main', 'desc')
      .orderBy('address')
      .executeTakeFirst();
    return email ? { userUuid: user.uuid, username: user.username, address: email.address } : null;
  }

  #nativeUsers() {
    return this.#db
      .selectFrom('auth_user as u')
      .innerJoin('auth_tenant as t', 't.uuid', 'u.tenant_uuid')
      .where((eb) =>
        eb.or([
          eb('u.authentication_method', '=', 'native'),
          eb.and([
            eb('u.authentication_method', '=', 'default'),
            eb('t.default_authentication_method', '=', 'native'),
          ]),
        ]),
      );
  }
}
