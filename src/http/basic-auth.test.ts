import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBasicCredentials } from './basic-auth.ts';

/** `Basic base64(login:password)` with the credentials encoded as given. */
function basicHeader(text: string, encoding: BufferEncoding = 'utf8', scheme = 'Basic'): string {
  return `${scheme} ${Buffer.from(text, encoding).toString('base64')}`;
}

describe('parseBasicCredentials (wazo §1.2, §3.2 step 2)', () => {
  test('A1 plain ASCII credentials are split into login and password', () => {
    assert.deepEqual(parseBasicCredentials(basicHeader('alice:s3cret')), {
      login: 'alice',
      password: 's3cret',
    });
  });

  test('A9 UTF-8 credentials are decoded as UTF-8', () => {
    assert.deepEqual(parseBasicCredentials(basicHeader('éric:pässwörd€🔑')), {
      login: 'éric',
      password: 'pässwörd€🔑',
    });
  });

  test('A9 bytes that are not valid UTF-8 fall back to latin-1 (WP-1084)', () => {
    const header = basicHeader('éric:pässwörd', 'latin1');
    assert.notEqual(header, basicHeader('éric:pässwörd'));
    assert.deepEqual(parseBasicCredentials(header), { login: 'éric', password: 'pässwörd' });
  });

  test('A9 a lone high latin-1 byte (invalid UTF-8) still decodes through latin-1', () => {
    const bytes = Buffer.concat([Buffer.from('bob:pa'), Buffer.from([0xff]), Buffer.from('ss')]);
    assert.deepEqual(parseBasicCredentials(`Basic ${bytes.toString('base64')}`), {
      login: 'bob',
      password: 'paÿss',
    });
  });

  test('A1 only the first colon splits: the password may contain colons', () => {
    assert.deepEqual(parseBasicCredentials(basicHeader('alice:pa:ss:word:')), {
      login: 'alice',
      password: 'pa:ss:word:',
    });
    assert.deepEqual(parseBasicCredentials(basicHeader('alice::')), { login: 'alice', password: ':' });
  });

  test('A3 an empty login or an empty password makes the credentials absent', () => {
    assert.equal(parseBasicCredentials(basicHeader(':s3cret')), null);
    assert.equal(parseBasicCredentials(basicHeader('alice:')), null);
    assert.equal(parseBasicCredentials(basicHeader(':')), null);
    assert.equal(parseBasicCredentials(basicHeader('')), null);
  });

  test('A3 decoded text without a colon is not credentials', () => {
    assert.equal(parseBasicCredentials(basicHeader('alice')), null);
  });

  test('A3 a missing header or another scheme is not credentials', () => {
    const encoded = Buffer.from('alice:s3cret').toString('base64');
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic ',
      `Bearer ${encoded}`,
      `Digest ${encoded}`,
      `Basic${encoded}`,
      `Basics ${encoded}`,
      `${encoded}`,
      `X Basic ${encoded}`,
    ]) {
      assert.equal(parseBasicCredentials(header), null, `header ${JSON.stringify(header)}`);
    }
  });

  test('A1 the scheme name is case-insensitive (lower-case "basic" accepted)', () => {
    const expected = { login: 'alice', password: 's3cret' };
    assert.deepEqual(parseBasicCredentials(basicHeader('alice:s3cret', 'utf8', 'basic')), expected);
    assert.deepEqual(parseBasicCredentials(basicHeader('alice:s3cret', 'utf8', 'BASIC')), expected);
    assert.deepEqual(parseBasicCredentials(basicHeader('alice:s3cret', 'utf8', 'bAsIc')), expected);
  });

  test('FZ-BASIC invalid base64 is ignored instead of crashing (wazo-auth answers 500)', () => {
    const valid = Buffer.from('alice:s3cret').toString('base64'); // YWxpY2U6czNjcmV0
    for (const encoded of [
      '!!!',
      '!!!!',
      'YWxp!2U6czNjcmV0',
      'YWxpY2U6czNjcmV0!',
      `${valid}===`,
      `${valid}=====`,
      'YWxpY2U6=czNjcmV0',
      'YWxp=Y2U6czNjcmV0',
      '=YWxpY2U6czNjcmV0',
      'YWxpY2U6czNjcmV0a',
      'YWxpY2U6czNjcmV0a=',
      'YWxpY2U6czNjcmV0a==',
      'YWxpY2U6czNjcmV0-_',
      'YWxp Y2U6czNjcmV0 extra',
      '\u00e9\u00e9\u00e9\u00e9',
    ]) {
      assert.equal(parseBasicCredentials(`Basic ${encoded}`), null, `encoded ${JSON.stringify(encoded)}`);
    }
  });

  test('FZ-BASIC correctly padded base64 decodes (one and two padding characters)', () => {
    assert.deepEqual(parseBasicCredentials(basicHeader('ab:cde')), { login: 'ab', password: 'cde' }); // YWI6Y2Rl
    assert.deepEqual(parseBasicCredentials(basicHeader('ab:cd')), { login: 'ab', password: 'cd' }); // YWI6Y2Q=
    assert.deepEqual(parseBasicCredentials(basicHeader('ab:c')), { login: 'ab', password: 'c' }); // YWI6Yw==
  });

  test('FZ-BASIC an oversized header is refused before decoding; a large but sane one is read', () => {
    assert.equal(parseBasicCredentials(basicHeader(`alice:${'x'.repeat(10_000)}`)), null);
    assert.equal(parseBasicCredentials(basicHeader(`alice:${'x'.repeat(1_000_000)}`)), null);
    assert.equal(parseBasicCredentials(`Basic ${'A'.repeat(20_000)}`), null);
    const password = 'y'.repeat(4000);
    assert.deepEqual(parseBasicCredentials(basicHeader(`alice:${password}`)), { login: 'alice', password });
  });

  test('FZ-BASIC NUL and control characters survive decoding as data, not as separators', () => {
    assert.deepEqual(parseBasicCredentials(basicHeader('al\u0000ice:pa\u0000ss')), {
      login: 'al\u0000ice',
      password: 'pa\u0000ss',
    });
  });
});
