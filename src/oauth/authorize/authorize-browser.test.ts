import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumInstalled, chromiumOrSkip, launchChromium } from '../../testing/chromium.ts';
import { authorizeQuery, insertClient } from '../../testing/oauth-authorize-fixtures.ts';
import { newUser } from '../../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';

/** The client's side: a loopback redirect URI (RFC 8252 §7.3) that records what it receives. */
interface Callback {
  server: Server;
  port: number;
  received: URLSearchParams[];
  /** Serves a page framing `frameUrl`, for the clickjacking check. */
  frameUrl: string;
}

async function startCallback(): Promise<Callback> {
  const callback: Callback = { server: createServer(), port: 0, received: [], frameUrl: '' };
  callback.server.on('request', (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/frame') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(
        `<!DOCTYPE html><iframe id="login" src="${callback.frameUrl.replaceAll('&', '&amp;')}"></iframe>`,
      );
      return;
    }
    if (url.pathname === '/cb') callback.received.push(url.searchParams);
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('done');
  });
  await new Promise<void>((resolve) => callback.server.listen(0, '127.0.0.1', resolve));
  callback.port = (callback.server.address() as AddressInfo).port;
  return callback;
}

describe('OAuth login pages in headless Chromium', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let callback: Callback | undefined;

  before(async () => {
    server = await startTestServer('sqlite');
    callback = await startCallback();
    if (!chromiumInstalled()) return;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (callback) await new Promise((resolve) => callback?.server.close(resolve));
    await server?.close();
  });

  test('§5 keyboard only: log in, allow, and land on the loopback redirect URI with code, state and iss', async (t) => {
    if (!chromiumOrSkip(t) || !server || !browser || !callback) return;
    const client = await insertClient(server, { name: 'Desktop App', redirectUris: ['http://127.0.0.1/cb'] });
    const user = await newUser(server);
    const redirectUri = `http://127.0.0.1:${callback.port}/cb`;
    const query = authorizeQuery(client, { redirect_uri: redirectUri });
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));

    await page.goto(`${server.origin}/oauth2/authorize?${query}`);
    assert.equal(await page.evaluate('document.activeElement?.id'), 'username');
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.waitForSelector('button[value="allow"]');
    assert.match((await page.textContent('h1')) ?? '', /Allow Desktop App/);
    assert.equal(await page.evaluate('document.activeElement?.value'), 'allow');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.port === String(callback?.port));

    assert.equal(callback.received.length, 1);
    const params = callback.received[0] as URLSearchParams;
    assert.match(params.get('code') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(params.get('state'), query.get('state'));
    assert.equal(params.get('iss'), server.container.oauth.issuer.value);
    const elsewhere = requests.filter(
      (url) => !url.startsWith(server?.origin ?? '') && !url.startsWith(redirectUri),
    );
    assert.deepEqual(elsewhere, [], 'the pages load nothing from anywhere else');
    await context.close();
  });

  test('RFC 9700 §4.16 the login page cannot be framed', async (t) => {
    if (!chromiumOrSkip(t) || !server || !browser || !callback) return;
    const client = await insertClient(server, { redirectUris: ['http://127.0.0.1/cb'] });
    callback.frameUrl = `${server.origin}/oauth2/authorize?${authorizeQuery(client, {
      redirect_uri: `http://127.0.0.1:${callback.port}/cb`,
    })}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const framed = page.waitForResponse((response) =>
      response.url().startsWith(`${server?.origin}/oauth2/authorize`),
    );
    await page.goto(`http://127.0.0.1:${callback.port}/frame`);
    assert.equal((await framed).status(), 200, 'the server answered; the browser must refuse to show it');
    await page.waitForTimeout(200);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame);
    // Chromium replaces a refused frame with its error page (X-Frame-Options, frame-ancestors).
    assert.equal(frame.url(), 'chrome-error://chromewebdata/');
    const shown = await frame.evaluate('document.querySelector("form") !== null');
    assert.equal(shown, false, 'the login form is not rendered inside a frame');
    await context.close();
  });
});
