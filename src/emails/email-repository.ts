import { sql } from 'kysely';
import type { Db } from '../storage/database.ts';
import { toBool } from '../storage/tables.ts';
import type { EmailRow, StoredEmail } from './email.ts';

/** A user's email addresses (table auth_email, unique on lower(address) across all users). */
export class EmailRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async listOf(userUuid: string): Promise<EmailRow[]> {
    const rows = await this.#db
      .selectFrom('auth_email')
      .select(['uuid', 'address', 'main', 'confirmed'])
      .where('user_uuid', '=', userUuid)
      .orderBy('address')
      .execute();
    return rows.map((r) => ({
      uuid: r.uuid,
      address: r.address,
      main: toBool(r.main),
      confirmed: toBool(r.confirmed),
    }));
  }

  async find(emailUuid: string): Promise<StoredEmail | null> {
    const row = await this.#db
      .selectFrom('auth_email as e')
      .innerJoin('auth_user as u', 'u.uuid', 'e.user_uuid')
      .select(['e.uuid', 'e.address', 'e.main', 'e.confirmed', 'e.user_uuid', 'u.tenant_uuid', 'u.username'])
      .where('e.uuid', '=', emailUuid)
      .executeTakeFirst();
    if (!row) return null;
    return {
      uuid: row.uuid,
      address: row.address,
      main: toBool(row.main),
      confirmed: toBool(row.confirmed),
      userUuid: row.user_uuid,
      tenantUuid: row.tenant_uuid,
      username: row.username,
    };
  }

  /** Whether `value` is another user's username or email address, ignoring case (wazo login_exists). */
  async isSomeoneElsesLogin(value: string, exceptUserUuid: string | null): Promise<boolean> {
    const lowered = value.toLowerCase();
    const others = exceptUserUuid ?? '';
    const [byName, byEmail] = await Promise.all([
      this.#db
        .selectFrom('auth_user')
        .select('uuid')
        .where(sql<string>`lower(username)`, '=', lowered)
        .where('uuid', '!=', others)
        .executeTakeFirst(),
      this.#db
        .selectFrom('auth_email')
        .select('uuid')
        .where(sql<string>`lower(address)`, '=', lowered)
        .where('user_uuid', '!=', others)
        .executeTakeFirst(),
    ]);
    return byName !== undefined || byEmail !== undefined;
  }

  /**
   * Replaces the user's list in one transaction. Rows are deleted first so an address may move
   * between rows or change case; a unique violation (another user took it meanwhile) rolls back.
   */
  async replace(userUuid: string, emails: readonly EmailRow[]): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx.deleteFrom('auth_email').where('user_uuid', '=', userUuid).execute();
      if (emails.length === 0) return;
      await tx
        .insertInto('auth_email')
        .values(emails.map((e) => ({ ...e, user_uuid: userUuid })))
        .execute();
    });
  }

  /** Marks the address confirmed; false when it no longer exists. */
  async confirm(emailUuid: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('auth_email')
      .set({ confirmed: true })
      .where('uuid', '=', emailUuid)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
