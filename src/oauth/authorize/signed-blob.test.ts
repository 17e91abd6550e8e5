import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlobSigner } from './signed-blob.ts';

const signer = new BlobSigner(Buffer.alloc(32, 1));

test('§5 a signed blob round-trips until it expires', () => {
  const blob = signer.sign('tx', { a: 1 }, 1000);
  assert.deepEqual(signer.verify('tx', blob, 999), { a: 1 });
  assert.deepEqual(signer.verify('tx', blob, 1000), { a: 1 });
  assert.equal(signer.verify('tx', blob, 1001), null);
});

test('§5 a blob of another purpose, key or with an altered body or MAC is refused', () => {
  const blob = signer.sign('tx', { a: 1 }, 1000);
  assert.equal(signer.verify('login', blob, 0), null);
  assert.equal(new BlobSigner(Buffer.alloc(32, 2)).verify('tx', blob, 0), null);
  const [body, mac] = blob.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ p: 'tx', e: 1000, d: { a: 2 } })).toString('base64url');
  assert.equal(signer.verify('tx', `${forged}.${mac}`, 0), null);
  assert.equal(signer.verify('tx', `${body}.${mac.slice(0, -2)}`, 0), null);
  assert.equal(signer.verify('tx', `${body}`, 0), null);
  assert.equal(signer.verify('tx', '', 0), null);
  assert.equal(signer.verify('tx', null, 0), null);
});
