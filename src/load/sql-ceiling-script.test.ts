// The bench's pgbench script (bench/pgbench/refresh-login.sql) must send what a refresh login
// sends, or its rate is not the ceiling of scenario e. The bench checks this before measuring;
// this test checks it at every change, so that a change to the login's SQL updates the script.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { firstDifference, scriptStatements, statementShape } from '../../bench/sql-ceiling.ts';
import { createUser, login, postRefreshToken } from '../testing/http-client.ts';
import { postgresUnavailableReason } from '../testing/test-databases.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

const SCRIPT = new URL('../../bench/pgbench/refresh-login.sql', import.meta.url);

test('statement shapes: placeholders and literals are alike, the SQL around them is not', () => {
  assert.equal(
    statementShape(`select "a" from "t" where "b" = $1 and "c" = cast($2 as varchar(36))`),
    statementShape(`select "a" from "t" where "b" = :uu and "c" = cast(NULL as varchar(36));`),
  );
  assert.equal(
    statementShape(`select 'f', 10 where $3 is null`),
    statementShape(`select :x, $1 where 'y' is null`),
  );
  assert.notEqual(
    statementShape(`select "a" from "t" where "b" = $1`),
    statementShape(`select "a" from "t" where "c" = $1`),
  );
  assert.notEqual(statementShape(`x is null`), statementShape(`x is not null`));
});

test('script statements: pgbench commands, comments and the variables query are left out', () => {
  const script = [
    '-- a comment',
    '\\set n random(1, 4)',
    'select 1 as v \\gset',
    '\\startpipeline',
    'begin;',
    'commit;',
    '\\endpipeline',
  ];
  assert.deepEqual(scriptStatements(script.join('\n')), ['begin;', 'commit;']);
  assert.equal(firstDifference(['begin', 'commit'], ['begin;', 'commit;']), -1);
  assert.equal(firstDifference(['begin'], ['begin;', 'commit;']), 1);
});

describe('the pgbench script sends what a refresh login sends [postgres]', async () => {
  const skip = (await postgresUnavailableReason()) ?? false;
  let server: TestServer | undefined;
  let sent: string[] | null = null;
  const query = pg.Client.prototype.query;

  before(async () => {
    if (skip) return;
    server = await startTestServer('postgres');
    // Every statement this process sends while `sent` is set (the test server runs in-process).
    pg.Client.prototype.query = function recordedQuery(this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      if (!text.startsWith('LISTEN') && !isHeartbeat(args)) sent?.push(text);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  after(async () => {
    pg.Client.prototype.query = query;
    await server?.close();
  });

  test('same statements, in the same order', { skip }, async () => {
    const srv = server as TestServer;
    const user = await createUser(srv);
    const { refresh_token } = await login(srv, user.username, user.password, {
      access_type: 'offline',
      client_id: 'ceiling',
    });
    const script = scriptStatements(readFileSync(SCRIPT, 'utf8'));
    // A statement of a background job could land inside the window: a real difference shows twice.
    let statements: string[] = [];
    let differs = -1;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      sent = [];
      const result = await postRefreshToken(srv, refresh_token as string, 'ceiling', { expiration: 3600 });
      statements = sent;
      sent = null;
      assert.equal(result.status, 200);
      differs = firstDifference(statements, script);
      if (differs === -1) break;
    }
    assert.equal(
      differs,
      -1,
      `statement ${differs + 1}: the login sent\n  ${statements[differs]}\nthe script has\n  ${script[differs]}`,
    );
  });
});

/** Each instance's heartbeat notification (`select pg_notify($1, 'h:…')`), sent on a timer. */
function isHeartbeat(args: unknown[]): boolean {
  const values = (args[1] ?? (args[0] as { values?: unknown[] })?.values) as unknown[] | undefined;
  return Array.isArray(values) && typeof values[1] === 'string' && values[1].startsWith('h:');
}
