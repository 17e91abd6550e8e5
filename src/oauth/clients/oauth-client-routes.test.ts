import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { digestClientSecret } from '../../crypto/client-credentials.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  assertInvalid,
  type ClientBody,
  CONFIG,
  call,
  createClient,
  NATIVE,
  WEB,
} from '../../testing/oauth-client-fixtures.ts';
import { assertApiError, createSubTenant, type ListBody, uniqueTag } from '../../testing/test-fixtures.ts';

/** Issue #6 §2: the OAuth client registry under /0.1/oauth/clients: fields, rules, secrets, list. */

await describeEachDialect('OAuth clients API', { config: CONFIG }, ({ server }) => {
  test('§2 POST creates a confidential client with defaults; the secret is shown once, stored as a digest', async () => {
    const client = await createClient(server(), { ...WEB, scopes: ['openid', 'calls.read'] });
    const { client_secret: secret, ...rest } = client;
    assert.ok(secret && /^[A-Za-z0-9_-]{43}$/.test(secret), `a 256-bit base64url secret: ${secret}`);
    assert.deepEqual(rest, {
      uuid: client.uuid,
      tenant_uuid: server().topTenantUuid,
      client_id: client.client_id,
      name: client.name,
      client_type: 'confidential',
      token_endpoint_auth_method: 'client_secret_basic',
      jwks: null,
      redirect_uris: ['https://app.example.com/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'calls.read'],
      acl: [],
      access_token_lifetime_seconds: 600,
      refresh_idle_seconds: 1000,
      refresh_max_lifetime_seconds: 5000,
      rotation: 'none',
      dpop_bound: false,
      skip_consent: false,
      created_at: client.created_at,
    });
    assert.ok(!Number.isNaN(Date.parse(client.created_at)));
    const row = await server()
      .container.storage.db.selectFrom('auth_oauth_client')
      .selectAll()
      .where('uuid', '=', client.uuid)
      .executeTakeFirstOrThrow();
    assert.equal(row.secret_hash, digestClientSecret(secret));
    assert.ok(!JSON.stringify(row).includes(secret), 'no clear secret at rest');
    const fetched = await call(server(), `/${client.uuid}`);
    assert.equal(fetched.status, 200, fetched.text);
    assert.deepEqual(fetched.body, rest);
    assert.ok(!server().logs.some((line) => line.includes(secret)), 'the secret is never logged');
  });

  test('§2 a public client gets "none", rotation and no secret; client_id may be chosen, once', async () => {
    const clientId = `native-${uniqueTag()}`;
    const client = await createClient(server(), { ...NATIVE, client_id: clientId });
    assert.equal(client.client_id, clientId);
    assert.equal(client.token_endpoint_auth_method, 'none');
    assert.equal(client.rotation, 'rotate');
    assert.equal(client.client_secret, undefined);
    const again = await call(server(), '', {
      method: 'POST',
      body: { ...NATIVE, name: 'x', client_id: clientId },
    });
    assert.ok('client_id' in assertApiError(again, 409, 'conflict'));
    const badId = await call(server(), '', {
      method: 'POST',
      body: { ...NATIVE, name: 'x', client_id: 'a b' },
    });
    assertInvalid(badId, 'client_id');
  });

  test('§2 PUT replaces the registration; client_id and client_type stay', async () => {
    const client = await createClient(server());
    const result = await call(server(), `/${client.uuid}`, {
      method: 'PUT',
      body: {
        name: 'renamed',
        client_id: 'other',
        client_type: 'public',
        redirect_uris: ['https://new.example.com/cb'],
        access_token_lifetime_seconds: 60,
        skip_consent: true,
      },
    });
    assert.equal(result.status, 200, result.text);
    const body = result.body as ClientBody;
    assert.deepEqual(
      [body.client_id, body.client_type, body.name, body.redirect_uris, body.access_token_lifetime_seconds],
      [client.client_id, 'confidential', 'renamed', ['https://new.example.com/cb'], 60],
    );
    assert.equal(body.skip_consent, true);
    assert.equal(body.client_secret, undefined, 'the secret is kept, not shown');
    const toJwt = await call(server(), `/${client.uuid}`, {
      method: 'PUT',
      body: {
        name: 'n',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    });
    assert.equal(toJwt.status, 200, toJwt.text);
    assert.equal((toJwt.body as ClientBody).client_secret, undefined);
  });

  test('§2 POST /secret rotates the secret: the new one is shown once and replaces the old digest', async () => {
    const client = await createClient(server());
    const result = await call(server(), `/${client.uuid}/secret`, { method: 'POST' });
    assert.equal(result.status, 200, result.text);
    const secret = (result.body as ClientBody).client_secret as string;
    assert.ok(secret && secret !== client.client_secret);
    const row = await server()
      .container.storage.db.selectFrom('auth_oauth_client')
      .select('secret_hash')
      .where('uuid', '=', client.uuid)
      .executeTakeFirstOrThrow();
    assert.equal(row.secret_hash, digestClientSecret(secret));
    const publicClient = await createClient(server(), NATIVE);
    assertInvalid(
      await call(server(), `/${publicClient.uuid}/secret`, { method: 'POST' }),
      'token_endpoint_auth_method',
    );
    assertApiError(
      await call(server(), `/${randomUUID()}/secret`, { method: 'POST' }),
      404,
      'unknown-oauth-client',
    );
  });

  test('§2 registrations that break the rules are 400 invalid-data naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...WEB, redirect_uris: ['http://app.example.com/cb'] }, 'redirect_uris'],
      [{ ...WEB, redirect_uris: ['https://app.example.com/cb#x'] }, 'redirect_uris'],
      [{ ...WEB, redirect_uris: ['https://*.example.com/cb'] }, 'redirect_uris'],
      [{ ...WEB, redirect_uris: ['/relative'] }, 'redirect_uris'],
      [{ ...WEB, redirect_uris: ['javascript:alert(1)'] }, 'redirect_uris'],
      [{ ...NATIVE, token_endpoint_auth_method: 'client_secret_basic' }, 'token_endpoint_auth_method'],
      [{ ...WEB, token_endpoint_auth_method: 'none' }, 'token_endpoint_auth_method'],
      [{ ...NATIVE, grant_types: ['client_credentials'] }, 'grant_types'],
      [{ client_type: 'confidential', grant_types: ['authorization_code'] }, 'grant_types'],
      [{ ...NATIVE, rotation: 'none' }, 'rotation'],
      [{ ...WEB, scopes: ['nope'] }, 'scopes'],
      [{ ...WEB, token_endpoint_auth_method: 'private_key_jwt' }, 'jwks'],
      [{ ...WEB, grant_types: ['password'] }, 'grant_types'],
      [{ ...WEB, access_token_lifetime_seconds: 0 }, 'access_token_lifetime_seconds'],
      [{ client_type: 'both' }, 'client_type'],
      [{ name: 1, client_type: 'public' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const result = await call(server(), '', { method: 'POST', body: { name: 'n', ...body } });
      assertInvalid(result, field);
    }
    const fine = await createClient(server(), { ...NATIVE, rotation: 'none', dpop_bound: true });
    assert.deepEqual([fine.rotation, fine.dpop_bound], ['none', true]);
    const loopbacks = ['http://localhost:8080/cb', 'http://[::1]/cb', 'http://127.0.0.1:1234/cb?x=1'];
    assert.deepEqual(
      (await createClient(server(), { ...NATIVE, redirect_uris: loopbacks })).redirect_uris,
      loopbacks,
    );
  });

  test('§2 private_key_jwt takes public JWKs only', async () => {
    const { publicKey, privateKey } = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    );
    const publicJwk = publicKey.export({ format: 'jwk' });
    const privateJwk = privateKey.export({ format: 'jwk' });
    const base = { ...WEB, token_endpoint_auth_method: 'private_key_jwt' };
    const client = await createClient(server(), { ...base, jwks: { keys: [publicJwk] } });
    assert.equal(client.client_secret, undefined, 'no shared secret with private_key_jwt');
    assert.deepEqual(client.jwks, { keys: [publicJwk] });
    for (const key of [privateJwk, { kty: 'oct', k: 'c2VjcmV0' }, { ...publicJwk, x: 'bad' }]) {
      const result = await call(server(), '', {
        method: 'POST',
        body: { name: 'n', ...base, jwks: { keys: [key] } },
      });
      assertInvalid(result, 'jwks');
    }
    const refused = await call(server(), '', {
      method: 'POST',
      body: { name: 'n', ...base, jwks: { keys: [privateJwk] } },
    });
    assert.match(refused.text, /private key members are refused: d/);
  });

  test('§2 list: envelope, search, order, paging and bad parameters', async () => {
    const tenant = await createSubTenant(server());
    const tag = uniqueTag();
    for (const name of ['bravo', 'alpha', 'charlie']) {
      await createClient(server(), { ...WEB, name: `${name}-${tag}` }, { tenant });
    }
    const page = (await call(server(), '?order=name&direction=desc&limit=2&offset=1', { tenant }))
      .body as ListBody<ClientBody>;
    assert.deepEqual([page.total, page.filtered], [3, 3]);
    assert.deepEqual(
      page.items.map((c) => c.name),
      [`bravo-${tag}`, `alpha-${tag}`],
    );
    const searched = (await call(server(), '?search=ALPHA', { tenant })).body as ListBody<ClientBody>;
    assert.deepEqual([searched.total, searched.filtered, searched.items.length], [3, 1, 1]);
    assert.equal((await call(server(), '?order=secret_hash', { tenant })).status, 400);
  });

  test('§2 non-UUID paths are 404; empty or non-JSON bodies are 400', async () => {
    assert.equal((await call(server(), '/not-a-uuid')).status, 404);
    const result = await call(server(), '', {
      method: 'POST',
      rawBody: '{oops',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(result.status, 400, result.text);
  });
});
