import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { StoredPassword } from '../crypto/password-hasher.ts';
import { type ListParams, searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { paginate } from '../storage/pagination.ts';
import { PrecompiledQuery } from '../storage/precompiled-query.ts';
import { type DatabaseSchema, toBool } from '../storage/tables.ts';
import type { Email, LoginCandidate, NewUser, User, UserFields, UserFilters } from './user.ts';
import { applyAssociationFilters } from './user-filters.ts';

type UserQuery = SelectQueryBuilder<DatabaseSchema, 'auth_user', object>;

export class UserRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Lookup for login (wazo §3.2 step 5): a confirmed email first, then the username; enabled users only. */
  async findLoginCandidate(login: string): Promise<LoginCandidate | null> {
    // No stored login holds U+0000 (PostgreSQL text cannot, and the API refuses it), and PostgreSQL
    // fails the query on one: such a login (a Basic header can carry it) is simply unknown.
    if (login.includes('\0')) return null;
    const row = await LOGIN_CANDIDATE.takeFirst(this.#db, { login: login.toLowerCase() });
    return row ? toCandidate(row) : null;
  }

  /** Any user with this username, enabled or not (bootstrap needs to find a disabled admin too). */
  async findUuidByUsername(username: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('auth_user')
      .select('uuid')
      .where(sql<string>`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
    return row?.uuid ?? null;
  }

  async setEnabled(uuid: string, enabled: boolean): Promise<void> {
    await this.#db.updateTable('auth_user').set({ enabled }).where('uuid', '=', uuid).execute();
  }

  async getLoginCandidate(uuid: string): Promise<LoginCandidate | null> {
    const row = await this.#db
      .selectFrom('auth_user as u')
      .innerJoin('auth_tenant as t', 't.uuid', 'u.tenant_uuid')
      .select(CANDIDATE_COLUMNS)
      .where('u.uuid', '=', uuid)
      .executeTakeFirst();
    return row ? toCandidate(row) : null;
  }

  /** A login name for the user: its username, else its main confirmed email (as wazo checks passwords). */
  async loginOf(uuid: string): Promise<string | null> {
    const user = await this.#db
      .selectFrom('auth_user')
      .select('username')
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    if (user?.username) return user.username;
    const email = await this.#db
      .selectFrom('auth_email')
      .select('address')
      .where('user_uuid', '=', uuid)
      .where('confirmed', '=', true)
      .orderBy('main', 'desc')
      .executeTakeFirst();
    return email?.address ?? null;
  }

  async get(uuid: string, tenantUuids: readonly string[]): Promise<User | null> {
    if (tenantUuids.length === 0) return null;
    const row = await this.#db
      .selectFrom('auth_user')
      .selectAll()
      .where('uuid', '=', uuid)
      .where('tenant_uuid', 'in', tenantUuids)
      .executeTakeFirst();
    if (!row) return null;
    const emails = await this.#emailsOf([uuid]);
    return toUser(row, emails.get(uuid) ?? []);
  }

  /** Whether a username would collide with any user's email address (wazo refuses it with 409). */
  async usernameIsSomeonesEmail(username: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('auth_email')
      .select('uuid')
      .where(sql<string>`lower(address)`, '=', username.toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  async insert(user: NewUser, allUsersGroupUuid: string): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('auth_user')
        .values({
          uuid: user.uuid,
          username: user.username,
          firstname: user.firstname,
          lastname: user.lastname,
          purpose: user.purpose,
          authentication_method: user.authenticationMethod,
          enabled: user.enabled,
          tenant_uuid: user.tenantUuid,
          password_hash: user.password?.hash ?? null,
          password_salt: user.password?.salt ?? null,
          created_at: user.createdAtMs,
        })
        .execute();
      if (user.email) {
        await tx
          .insertInto('auth_email')
          .values({ ...user.email, user_uuid: user.uuid })
          .execute();
      }
      await tx
        .insertInto('auth_user_group')
        .values({ group_uuid: allUsersGroupUuid, user_uuid: user.uuid })
        .execute();
    });
  }

  async update(uuid: string, fields: UserFields): Promise<void> {
    await this.#db
      .updateTable('auth_user')
      .set({
        username: fields.username,
        firstname: fields.firstname,
        lastname: fields.lastname,
        purpose: fields.purpose,
        authentication_method: fields.authenticationMethod,
        enabled: fields.enabled,
      })
      .where('uuid', '=', uuid)
      .execute();
  }

  async setPassword(uuid: string, password: StoredPassword | null): Promise<void> {
    await this.#db
      .updateTable('auth_user')
      .set({ password_hash: password?.hash ?? null, password_salt: password?.salt ?? null })
      .where('uuid', '=', uuid)
      .execute();
  }

  /** Replaces a legacy hash only if it is still the one verified, so a concurrent password change wins. */
  /** Replaces a legacy hash unless it changed meanwhile; true when this call replaced it. */
  async upgradePassword(uuid: string, previousHash: string, password: StoredPassword): Promise<boolean> {
    const result = await this.#db
      .updateTable('auth_user')
      .set({ password_hash: password.hash, password_salt: password.salt })
      .where('uuid', '=', uuid)
      .where('password_hash', '=', previousHash)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async delete(uuid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('auth_user').where('uuid', '=', uuid).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(tenantUuids: readonly string[], filters: UserFilters, params: ListParams) {
    if (tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] as User[] };
    const scoped = this.#db.selectFrom('auth_user').where('tenant_uuid', 'in', tenantUuids);
    const filtered = applyAssociationFilters(applyFilters(scoped, filters, params.search), filters);
    const [total, count, rows] = await Promise.all([
      countOf(scoped),
      countOf(filtered),
      paginate(
        filtered
          .selectAll()
          .orderBy(params.order as 'username', params.direction)
          .orderBy('uuid'),
        params,
      ).execute(),
    ]);
    const emails = await this.#emailsOf(rows.map((r) => r.uuid));
    return { total, filtered: count, items: rows.map((r) => toUser(r, emails.get(r.uuid) ?? [])) };
  }

  async #emailsOf(userUuids: string[]): Promise<Map<string, Email[]>> {
    const byUser = new Map<string, Email[]>();
    if (userUuids.length === 0) return byUser;
    const rows = await this.#db
      .selectFrom('auth_email')
      .selectAll()
      .where('user_uuid', 'in', userUuids)
      .orderBy('address')
      .execute();
    for (const row of rows) {
      const list = byUser.get(row.user_uuid) ?? [];
      list.push({
        uuid: row.uuid,
        address: row.address,
        main: toBool(row.main),
        confirmed: toBool(row.confirmed),
      });
      byUser.set(row.user_uuid, list);
    }
    return byUser;
  }
}

/**
 * A login's user in one round trip (issue #4): the user with this confirmed email, ranked first, and
 * the user with this username; the first row wins, as when the two were looked up in turn.
 */
const LOGIN_CANDIDATE = new PrecompiledQuery<{ login: string }, CandidateRow & { login_rank: number }>(
  (db, p) => {
    const enabledCandidates = (rank: number) =>
      db
        .selectFrom('auth_user as u')
        .innerJoin('auth_tenant as t', 't.uuid', 'u.tenant_uuid')
        .select(CANDIDATE_COLUMNS)
        .select(sql<number>`${sql.lit(rank)}`.as('login_rank'))
        .where('u.enabled', '=', true);
    return enabledCandidates(0)
      .innerJoin('auth_email as e', 'e.user_uuid', 'u.uuid')
      .where(sql<string>`lower(e.address)`, '=', p('login'))
      .where('e.confirmed', '=', true)
      .unionAll(enabledCandidates(1).where(sql<string>`lower(u.username)`, '=', p('login')))
      .orderBy('login_rank')
      .limit(1);
  },
);

/** The precompiled statements, for the test that compares them with their builder versions. */
export const USER_STATEMENTS = { LOGIN_CANDIDATE };

/** What a login needs of a user (auth_user as u, joined with its tenant as t). */
export const CANDIDATE_COLUMNS = [
  'u.uuid',
  'u.username',
  'u.tenant_uuid',
  'u.purpose',
  'u.enabled',
  'u.authentication_method',
  'u.password_hash',
  'u.password_salt',
  't.default_authentication_method as tenant_method',
] as const;

interface CandidateRow {
  uuid: string;
  username: string | null;
  tenant_uuid: string;
  purpose: string;
  enabled: boolean | number;
  authentication_method: string;
  password_hash: string | null;
  password_salt: string | null;
  tenant_method: string;
}

export function toCandidate(row: CandidateRow): LoginCandidate {
  return {
    uuid: row.uuid,
    username: row.username,
    tenantUuid: row.tenant_uuid,
    purpose: row.purpose as LoginCandidate['purpose'],
    enabled: toBool(row.enabled),
    effectiveMethod: row.authentication_method === 'default' ? row.tenant_method : row.authentication_method,
    password: row.password_hash ? { hash: row.password_hash, salt: row.password_salt } : null,
  };
}

function applyFilters(query: UserQuery, filters: UserFilters, search: string | undefined): UserQuery {
  let q = query;
  for (const column of ['uuid', 'username', 'firstname', 'lastname', 'purpose'] as const) {
    const value = filters[column];
    if (value !== undefined) q = q.where(column, '=', value);
  }
  if (filters.email_address !== undefined) {
    const address = filters.email_address.toLowerCase();
    q = q.where((eb) => eb.exists(emailMatching(eb, sql`lower(address) = ${address}`)));
  }
  if (search !== undefined && search !== '') {
    const pattern = searchPattern(search);
    const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    q = q.where((eb) =>
      eb.or([
        like('firstname'),
        like('lastname'),
        like('username'),
        eb.exists(emailMatching(eb, sql`lower(address) like ${pattern} escape '\\'`)),
      ]),
    );
  }
  return q;
}

function emailMatching(
  eb: ExpressionBuilder<DatabaseSchema, 'auth_user'>,
  condition: ReturnType<typeof sql>,
) {
  return eb
    .selectFrom('auth_email')
    .select('auth_email.uuid')
    .whereRef('auth_email.user_uuid', '=', 'auth_user.uuid')
    .where(condition as never);
}

async function countOf(query: UserQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function toUser(
  row: {
    uuid: string;
    username: string | null;
    firstname: string | null;
    lastname: string | null;
    purpose: string;
    tenant_uuid: string;
    enabled: boolean | number;
    authentication_method: string;
  },
  emails: Email[],
): User {
  return {
    uuid: row.uuid,
    username: row.username,
    firstname: row.firstname,
    lastname: row.lastname,
    purpose: row.purpose as User['purpose'],
    tenantUuid: row.tenant_uuid,
    enabled: toBool(row.enabled),
    authenticationMethod: row.authentication_method,
    emails,
  };
}
