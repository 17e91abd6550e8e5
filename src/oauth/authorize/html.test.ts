import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html } from './html.ts';

test('§5 escapeHtml escapes the characters that end text or an attribute value', () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&\`</a>`),
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
  );
  assert.equal(escapeHtml('plain text é'), 'plain text é');
});

test('§5 html escapes interpolations but keeps nested html and lists', () => {
  const name = '<script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  const page = html`<p title="${'"quoted"'}">${inner}${[html`<i>${'&'}</i>`, 'x<']}${null}${undefined}${3}</p>`;
  assert.equal(
    page.value,
    '<p title="&quot;quoted&quot;"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b><i>&amp;</i>x&lt;3</p>',
  );
});
