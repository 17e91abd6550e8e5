import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { postToken } from '../testing/http-client.ts';
import { postgresUnavailableReason } from '../testing/test-databases.ts';
import { newUser } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * CC-6 and CC-9 made deterministic (PostgreSQL, where transactions really run side by side): a
 * login's writes begin by locking its user's row (token-repository.ts, storage/row-lock.ts). Here
 * another transaction holds that row while it adds a session or changes the password. The login
 * must wait for it and then see what it committed. The burst tests (cc-sessions, cc-changes)
 * reach the same race only by chance; without the lock these fail at once.
 */
const postgresSkip = await postgresUnavailableReason();
const CAP = 1;

describe('CC-6 CC-9 a login waits for the transaction holding its user row [postgres]', {
  skip: postgresSkip || false,
}, () => {
  let server: TestServer;
  let holder: pg.Client;
  /** Watches pg_stat_activity from outside the holder's transaction, whose statistics stay frozen. */
  let observer: pg.Client;

  before(async () => {
    server = await startTestServer('postgres', { config: { max_user_concurrent_sessions: CAP } });
    const { url, pgSchema } = server.database;
    holder = new pg.Client({ connectionString: url, options: `-c search_path=${pgSchema}` });
    observer = new pg.Client({ connectionString: url });
    await holder.connect();
    await observer.connect();
  });
  after(async () => {
    await holder?.end();
    await observer?.end();
    await server?.close();
  });

  test('CC-6: the cap counts the session committed by the transaction the login waited for', async () => {
    const user = await newUser(server);
    await holder.query('begin');
    await holder.query('update auth_user set purpose = purpose where uuid = $1', [user.uuid]);
    await holder.query(
      `insert into auth_session (uuid, tenant_uuid, user_uuid, mobile, created_at)
       values ($1, $2, $3, false, $4)`,
      [crypto.randomUUID(), user.tenant_uuid, user.uuid, Date.now()],
    );
    const answer = postToken(server, user.username, user.password);
    await waitForLoginOnUserRow();
    await holder.query('commit');
    const { status } = await answer;
    assert.equal(status, 429, 'the session committed during the wait reaches the cap');
    assert.equal(await sessionCount(user.uuid), CAP);
  });

  test('CC-9: a password changed by the transaction the login waited for refuses the login', async () => {
    const user = await newUser(server);
    await holder.query('begin');
    await holder.query("update auth_user set password_hash = 'changed meanwhile' where uuid = $1", [
      user.uuid,
    ]);
    const answer = postToken(server, user.username, user.password);
    await waitForLoginOnUserRow();
    await holder.query('commit');
    const { status } = await answer;
    assert.equal(status, 401, 'verified against the old hash, refused under the new one');
    assert.equal(await sessionCount(user.uuid), 0);
  });

  async function sessionCount(userUuid: string): Promise<number> {
    const { rows } = await holder.query('select count(*)::int as n from auth_session where user_uuid = $1', [
      userUuid,
    ]);
    return rows[0].n;
  }

  /** Until a Gatehouse connection waits for a row lock on a statement that reads auth_user. */
  async function waitForLoginOnUserRow(): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const { rowCount } = await observer.query(
        `select 1 from pg_stat_activity
          where wait_event_type = 'Lock' and application_name = 'gatehouse' and query like '%"auth_user"%'`,
      );
      if (rowCount) return;
      await sleep(10);
    }
    throw new Error('the login never waited for the user row');
  }
});
