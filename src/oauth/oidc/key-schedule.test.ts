import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  nextSlotToCreate,
  type RotationSettings,
  retireAfterFor,
  type ScheduledKey,
  signingEndMs,
  signingKeyAt,
} from './key-schedule.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const settings: RotationSettings = { lifetimeMs: 90 * DAY, prepublishMs: DAY, maxTokenLifetimeMs: DAY };

function key(kid: string, activeFromMs: number): ScheduledKey {
  return { kid, activeFromMs, retireAfterMs: retireAfterFor(activeFromMs, settings) };
}

describe('§1.3 signing key schedule', () => {
  test('no key: the slot of the grid containing now, so instances starting together agree', () => {
    const now = 1000 * DAY + 5 * HOUR;
    const slot = nextSlotToCreate([], now, settings);
    assert.equal(slot, 990 * DAY);
    assert.equal(nextSlotToCreate([], now + HOUR, settings), slot);
  });

  test('a key signs from active_from until retire_after minus the longest ID-token lifetime', () => {
    const k = key('k1', 0);
    assert.equal(signingEndMs(k, settings), 90 * DAY);
    assert.equal(signingKeyAt([k], -1, settings), null);
    assert.equal(signingKeyAt([k], 0, settings), k);
    assert.equal(signingKeyAt([k], 90 * DAY - 1, settings), k);
    assert.equal(signingKeyAt([k], 90 * DAY, settings), null);
  });

  test('the successor is due prepublish before the end, starts at the end, and is asked for once', () => {
    const k1 = key('k1', 0);
    assert.equal(nextSlotToCreate([k1], 89 * DAY - 1, settings), null);
    assert.equal(nextSlotToCreate([k1], 89 * DAY, settings), 90 * DAY);
    const k2 = key('k2', 90 * DAY);
    assert.equal(nextSlotToCreate([k1, k2], 89 * DAY, settings), null);
    assert.equal(signingKeyAt([k1, k2], 90 * DAY - 1, settings), k1, 'published, not signing yet');
    assert.equal(signingKeyAt([k1, k2], 90 * DAY, settings), k2);
  });

  test('after a downtime past the signing end, a key for the current slot is made', () => {
    const k1 = key('k1', 0);
    const now = 200 * DAY;
    assert.equal(nextSlotToCreate([k1], now, settings), 180 * DAY);
  });

  test('a grid slot already taken (the lifetime was changed) falls back to now', () => {
    const shorter: RotationSettings = { ...settings, lifetimeMs: 30 * DAY };
    const old = { kid: 'k1', activeFromMs: 60 * DAY, retireAfterMs: 60 * DAY + DAY };
    assert.equal(nextSlotToCreate([old], 61 * DAY, shorter), 61 * DAY);
  });
});
