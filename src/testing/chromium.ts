import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (the login pages' tests, issue #6 §5). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, with the flags this closed network needs: without the background-networking ones
 * Chromium keeps trying to reach its vendor's hosts and fails many connections at a time.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Without Chromium a browser test is reported skipped, with the reason; CI sets
 * GATEHOUSE_TEST_REQUIRE_CHROMIUM=1 and the test fails instead.
 */
export function chromiumOrSkip(t: TestContext): boolean {
  if (chromiumInstalled()) return true;
  if (process.env.GATEHOUSE_TEST_REQUIRE_CHROMIUM === '1') {
    assert.fail(`${CHROMIUM} is missing and GATEHOUSE_TEST_REQUIRE_CHROMIUM=1`);
  }
  t.skip(`${CHROMIUM} is not installed: the browser test did not run`);
  return false;
}
