import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { digestToken } from '../../crypto/token-values.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  insertCode,
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  refresh,
  TEST_REDIRECT_URI,
  type TokenBody,
  tokenRequest,
  tokensByCode,
} from '../../testing/oauth-token-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

interface ProofKey {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
  jkt: string;
}

async function proofKey(): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

/** A DPoP proof (RFC 9449 §4.2) for POST on the token endpoint, unless told otherwise. */
async function proof(server: TestServer, key: ProofKey, htu?: string): Promise<string> {
  return new SignJWT({
    htm: 'POST',
    htu: htu ?? server.container.oauth.issuer.url('/oauth2/token'),
    jti: randomUUID(),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

/** RFC 9449 at the token endpoint: bound access tokens and bound refresh-token families. */
await describeEachDialect(
  'RFC 9449 DPoP at the token endpoint',
  { config: OAUTH_TOKEN_TEST_CONFIG },
  ({ server }) => {
    test('§5 a proof binds the access token: token_type DPoP, dpop_jkt stored', async () => {
      const tc = await newOAuthClient(server());
      const key = await proofKey();
      const result = await tokenRequest(
        server(),
        tc,
        { grant_type: 'client_credentials', scope: 'calls:read' },
        { DPoP: await proof(server(), key) },
      );
      assert.equal(result.status, 200, result.text);
      const body = result.body as TokenBody;
      assert.equal(body.token_type, 'DPoP');
      const stored = await server().container.repositories.tokens.findByDigest(
        digestToken(body.access_token),
      );
      assert.equal(stored?.dpopJkt, key.jkt);
      const introspected = await postForm(
        server(),
        '/oauth2/introspect',
        { token: body.access_token },
        { basic: tc },
      );
      assert.equal(introspected.status, 200, introspected.text);
      assert.deepEqual((introspected.body as { cnf?: unknown }).cnf, { jkt: key.jkt });
      assert.equal((introspected.body as { token_type?: unknown }).token_type, 'DPoP');
    });

    test('§5 a bound family refreshes only with a proof of the same key', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const user = await oauthUser(server());
      const key = await proofKey();
      const tokens = await tokensByCode(server(), tc, user.uuid, {}, { DPoP: await proof(server(), key) });
      assert.equal(tokens.token_type, 'DPoP');
      const refreshToken = tokens.refresh_token as string;
      const bare = await refresh(server(), tc, refreshToken);
      assert.equal(bare.status, 400);
      assert.equal(oauthErrorOf(bare), 'invalid_dpop_proof');
      const otherKey = await refresh(
        server(),
        tc,
        refreshToken,
        {},
        { DPoP: await proof(server(), await proofKey()) },
      );
      assert.equal(oauthErrorOf(otherKey), 'invalid_grant');
      const ok = await refresh(server(), tc, refreshToken, {}, { DPoP: await proof(server(), key) });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((ok.body as TokenBody).token_type, 'DPoP');
    });

    test('§11.1 a replayed proof, or one for another URL, is invalid_dpop_proof', async () => {
      const tc = await newOAuthClient(server());
      const key = await proofKey();
      const once = await proof(server(), key);
      const params = { grant_type: 'client_credentials', scope: 'calls:read' };
      assert.equal((await tokenRequest(server(), tc, params, { DPoP: once })).status, 200);
      const replayed = await tokenRequest(server(), tc, params, { DPoP: once });
      assert.equal(replayed.status, 400);
      assert.equal(oauthErrorOf(replayed), 'invalid_dpop_proof');
      const elsewhere = await proof(server(), key, server().container.oauth.issuer.url('/oauth2/revoke'));
      assert.equal(
        oauthErrorOf(await tokenRequest(server(), tc, params, { DPoP: elsewhere })),
        'invalid_dpop_proof',
      );
    });

    test('§10 a code bound with dpop_jkt needs a proof of that key; a dpop_bound client always needs one', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const key = await proofKey();
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid, { dpopJkt: key.jkt });
      const params = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: TEST_REDIRECT_URI,
      };
      const withOtherKey = await tokenRequest(server(), tc, params, {
        DPoP: await proof(server(), await proofKey()),
      });
      assert.equal(oauthErrorOf(withOtherKey), 'invalid_grant');
      const bound = await newOAuthClient(server(), { dpopBound: true });
      const bare = await tokenRequest(server(), bound, { grant_type: 'client_credentials' });
      assert.equal(oauthErrorOf(bare), 'invalid_dpop_proof');
      const withProof = await tokenRequest(
        server(),
        bound,
        { grant_type: 'client_credentials' },
        { DPoP: await proof(server(), key) },
      );
      assert.equal(withProof.status, 200, withProof.text);
    });
  },
);
