import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { digestToken } from '../crypto/token-values.ts';
import { startTestSmtpServer, tokenIn } from '../mail/test-smtp-server.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, adminToken, login, request, tokenStatus } from '../testing/http-client.ts';
import {
  assertApiError,
  createSubTenant,
  newUser,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const smtp = await startTestSmtpServer();
after(() => smtp.close());

const PAGE = '<html><body>Confirmed, {{ username }}</body></html>';
const EXPIRATION_SECONDS = 3600;

interface EmailItem {
  uuid: string;
  address: string;
  confirmed: boolean;
}

/** A user with one unconfirmed main address (set through PUT emails); returns the user and the email. */
async function userWithUnconfirmedEmail(server: TestServer, tag = 'confirm') {
  const user = await newUser(server);
  const address = `${tag}-${uniqueTag()}@example.com`;
  const result = await adminRequest(server, `/users/${user.uuid}/emails`, {
    method: 'PUT',
    body: { emails: [{ address, main: true }] },
  });
  assert.equal(result.status, 200, result.text);
  const email = (result.body as EmailItem[])[0];
  assert.ok(email);
  return { user, email };
}

/** Asks for a confirmation email and returns the link token it carries. */
async function mailedToken(server: TestServer, userUuid: string, email: EmailItem): Promise<string> {
  const before = smtp.to(email.address).length;
  const result = await adminRequest(server, `/users/${userUuid}/emails/${email.uuid}/confirm`);
  assert.equal(result.status, 204, result.text);
  const mails = await smtp.waitFor(email.address, before + 1);
  const mail = mails.at(-1);
  assert.ok(mail);
  return tokenIn(mail);
}

async function isConfirmed(server: TestServer, userUuid: string, emailUuid: string): Promise<boolean> {
  const user = await adminRequest(server, `/users/${userUuid}`);
  const emails = (user.body as { emails: EmailItem[] }).emails;
  return emails.find((e) => e.uuid === emailUuid)?.confirmed === true;
}

await describeEachDialect(
  'email confirmation',
  {
    manualClock: true,
    config: {
      smtp: {
        host: '127.0.0.1',
        port: smtp.port,
        from_address: 'auth@stack.example.com',
        from_name: 'Stack',
      },
      public_url: 'https://stack.example.com/api/auth',
      email_confirmation: {
        expiration_seconds: EXPIRATION_SECONDS,
        subject: 'Confirm {{ email_address }}',
        get_response_body: PAGE,
        get_mimetype: 'text/html; charset=utf-8',
      },
    },
  },
  ({ server }) => {
    test('§2.4 GET /users/{u}/emails/{e}/confirm mails a link to the address, from the configured sender', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const [mail] = smtp.to(email.address);
      assert.ok(mail);
      assert.deepEqual(mail.to, [email.address]);
      assert.equal(mail.from, 'auth@stack.example.com');
      assert.equal(mail.subject, `Confirm ${email.address}`);
      assert.match(mail.toHeader, new RegExp(user.username));
      assert.ok(
        mail.text.includes(
          `https://stack.example.com/api/auth/0.1/emails/${email.uuid}/confirm?token=${token}`,
        ),
        mail.text,
      );
    });

    test('§3.13 the link token: auth_id wazo-auth, the confirm ACL only, empty metadata, top-tenant session without user', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const check = await request(server(), `/token/${token}`);
      assert.equal(check.status, 200, check.text);
      const data = (check.body as { data: Record<string, unknown> }).data;
      assert.equal(data.auth_id, 'wazo-auth');
      assert.deepEqual(data.acl, [`auth.emails.${email.uuid}.confirm.edit`]);
      assert.deepEqual(data.metadata, {});
      const row = await server()
        .container.storage.db.selectFrom('auth_token as t')
        .innerJoin('auth_session as s', 's.uuid', 't.session_uuid')
        .select(['s.user_uuid', 's.tenant_uuid', 't.expires_at_ms', 't.issued_at_ms'])
        .where('t.token_hash', '=', digestToken(token))
        .executeTakeFirstOrThrow();
      assert.equal(row.user_uuid, null);
      assert.equal(row.tenant_uuid, server().topTenantUuid);
      assert.equal(Number(row.expires_at_ms) - Number(row.issued_at_ms), EXPIRATION_SECONDS * 1000);
    });

    test('§2.4 GET /emails/{e}/confirm?token= confirms, answers the configured page and type, once only', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const first = await request(server(), `/emails/${email.uuid}/confirm?token=${token}`);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.text, PAGE);
      assert.equal(first.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await isConfirmed(server(), user.uuid, email.uuid), true);
      assert.equal(await tokenStatus(server(), token), 404, 'the link token is spent');
      assert.ok(!server().logs.some((line) => line.includes(token)), 'the token never reaches the log');
      const second = await request(server(), `/emails/${email.uuid}/confirm?token=${token}`);
      assertApiError(second, 401, 'unauthorized');
      const password = `pw-${uniqueTag()}-long`;
      await adminRequest(server(), `/users/${user.uuid}`, { method: 'PUT', body: { username: null } });
      await server().container.repositories.users.setPassword(
        user.uuid,
        await server().container.hasher.hash(password),
      );
      await login(server(), email.address, password);
    });

    test('§1.2 on GET /emails/{e}/confirm the token query parameter wins over X-Auth-Token', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const wrongQuery = await request(server(), `/emails/${email.uuid}/confirm?token=${uniqueTag()}`, {
        token,
      });
      assertApiError(wrongQuery, 401, 'unauthorized');
      assert.equal(await isConfirmed(server(), user.uuid, email.uuid), false);
      const header = await request(server(), `/emails/${email.uuid}/confirm`, { token });
      assert.equal(header.status, 200, 'without the query parameter the header is used');
      const other = await userWithUnconfirmedEmail(server());
      const otherToken = await mailedToken(server(), other.user.uuid, other.email);
      const wins = await request(server(), `/emails/${other.email.uuid}/confirm?token=${otherToken}`, {
        token: await adminToken(server()),
      });
      assert.equal(wins.status, 200, wins.text);
      assert.equal(await tokenStatus(server(), otherToken), 404, 'the query token was the one spent');
    });

    test('§2.4 PUT /emails/{e}/confirm: link token spent once, admin token kept, 404 unknown, 401 other email', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const other = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const wrongEmail = await request(server(), `/emails/${other.email.uuid}/confirm`, {
        method: 'PUT',
        token,
      });
      const details = assertApiError(wrongEmail, 401, 'unauthorized');
      assert.equal(details.required_access, `auth.emails.${other.email.uuid}.confirm.update`);
      const done = await request(server(), `/emails/${email.uuid}/confirm`, { method: 'PUT', token });
      assert.equal(done.status, 204, done.text);
      assert.equal(await isConfirmed(server(), user.uuid, email.uuid), true);
      const again = await request(server(), `/emails/${email.uuid}/confirm`, { method: 'PUT', token });
      assertApiError(again, 401, 'unauthorized');
      const admin = await adminToken(server());
      const byAdmin = await request(server(), `/emails/${other.email.uuid}/confirm`, {
        method: 'PUT',
        token: admin,
      });
      assert.equal(byAdmin.status, 204, byAdmin.text);
      assert.equal(await tokenStatus(server(), admin), 204, 'an ordinary token is not spent');
      const unknown = await request(server(), '/emails/11111111-2222-4333-8444-555555555555/confirm', {
        method: 'PUT',
        token: admin,
      });
      assertApiError(unknown, 404, 'unknown-email');
      assertApiError(
        await request(server(), `/emails/${email.uuid}/confirm`, { method: 'PUT' }),
        401,
        'unauthorized',
      );
    });

    test('§2.4 resend: 409 already confirmed, 404 unknown or another user email, 401 without ACL, S-TEN-1 404', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const confirmed = await newUser(server(), { email_address: `done-${uniqueTag()}@example.com` });
      const confirmedEmail = (confirmed.emails as EmailItem[])[0];
      assert.ok(confirmedEmail);
      const conflict = await adminRequest(
        server(),
        `/users/${confirmed.uuid}/emails/${confirmedEmail.uuid}/confirm`,
      );
      assert.equal((assertApiError(conflict, 409, 'conflict') as { uuid: string }).uuid, confirmedEmail.uuid);
      assert.equal((conflict.body as { resource: string }).resource, 'emails');
      const unknown = await adminRequest(
        server(),
        `/users/${user.uuid}/emails/11111111-2222-4333-8444-555555555555/confirm`,
      );
      assertApiError(unknown, 404, 'unknown-email');
      const notHis = await adminRequest(server(), `/users/${confirmed.uuid}/emails/${email.uuid}/confirm`);
      assertApiError(notHis, 404, 'unknown-email');
      const noUser = await adminRequest(
        server(),
        `/users/11111111-2222-4333-8444-555555555555/emails/${email.uuid}/confirm`,
      );
      assertApiError(noUser, 404, 'unknown-user');
      const self = await login(server(), user.username, user.password);
      const refused = await request(server(), `/users/${user.uuid}/emails/${email.uuid}/confirm`, {
        token: self.token,
      });
      assertApiError(refused, 401, 'unauthorized');
      const sub = await createSubTenant(server(), undefined, { allUsersGroup: true });
      const subAdmin = await userWithAcl(server(), ['auth.#'], { tenant: sub });
      const foreign = await request(server(), `/users/${user.uuid}/emails/${email.uuid}/confirm`, {
        token: subAdmin.token.token,
      });
      assertApiError(foreign, 404, 'unknown-user');
      const foreignConfirm = await request(server(), `/emails/${email.uuid}/confirm`, {
        method: 'PUT',
        token: subAdmin.token.token,
      });
      assertApiError(foreignConfirm, 404, 'unknown-email');
      assert.equal(smtp.to(email.address).length, 0, 'no refused request sent mail');
    });

    test('§3.13 a confirmation link stops working after email_confirmation.expiration_seconds', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      server().clock?.advance(EXPIRATION_SECONDS * 1000 + 1000);
      const late = await request(server(), `/emails/${email.uuid}/confirm?token=${token}`);
      assertApiError(late, 401, 'unauthorized');
      assert.equal(await isConfirmed(server(), user.uuid, email.uuid), false);
    });

    test('CC-12 ten concurrent redemptions of one confirmation link: exactly one 200, the others 401', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server());
      const token = await mailedToken(server(), user.uuid, email);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => request(server(), `/emails/${email.uuid}/confirm?token=${token}`)),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, ...Array(9).fill(401)], JSON.stringify(statuses));
    });

    test('§2.4 a confirmation the SMTP server refuses: 503 mail-delivery-failed and the link token withdrawn', async () => {
      const { user, email } = await userWithUnconfirmedEmail(server(), 'rejected');
      const sessionsBefore = await linkSessions(server());
      const result = await adminRequest(server(), `/users/${user.uuid}/emails/${email.uuid}/confirm`);
      assertApiError(result, 503, 'mail-delivery-failed');
      assert.equal(await linkSessions(server()), sessionsBefore);
    });
  },
);

async function linkSessions(server: TestServer): Promise<number> {
  const row = await server.container.storage.db
    .selectFrom('auth_token')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_agent', '=', 'wazo-auth-email-reset')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
