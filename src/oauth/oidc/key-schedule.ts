/**
 * The rotation rules of the ID-token signing keys (issue #6 §8, security.md §1.3), as pure
 * functions of the stored keys and the time, so that every instance reading the same rows takes
 * the same decisions:
 *
 * - a key signs from `activeFrom` until `retireAfter − maxTokenLifetime` (its signing end), so
 *   every ID token it signs has expired by `retireAfter`, when it leaves the JWKS;
 * - its successor starts exactly at that signing end, and is created (thus published)
 *   `prepublish` before it, so relying parties have fetched it before it signs anything;
 * - with no usable key at all (first start, or every instance down past the signing end), a key
 *   is made for the current slot of the `lifetime` grid: instances starting together agree on it.
 */
export interface RotationSettings {
  lifetimeMs: number;
  prepublishMs: number;
  /** The longest an ID token may live: a key stays published this long after it stops signing. */
  maxTokenLifetimeMs: number;
}

export interface ScheduledKey {
  kid: string;
  activeFromMs: number;
  retireAfterMs: number;
}

export function signingEndMs(key: ScheduledKey, settings: RotationSettings): number {
  return key.retireAfterMs - settings.maxTokenLifetimeMs;
}

/** The key that signs at `nowMs`: the newest active one still inside its signing period. */
export function signingKeyAt<K extends ScheduledKey>(
  keys: readonly K[],
  nowMs: number,
  settings: RotationSettings,
): K | null {
  let best: K | null = null;
  for (const key of keys) {
    const usable = key.activeFromMs <= nowMs && nowMs < signingEndMs(key, settings);
    if (usable && (best === null || key.activeFromMs > best.activeFromMs)) best = key;
  }
  return best;
}

/** The `activeFrom` of the key to create now, or null when the keyring is complete. */
export function nextSlotToCreate(
  keys: readonly ScheduledKey[],
  nowMs: number,
  settings: RotationSettings,
): number | null {
  const current = signingKeyAt(keys, nowMs, settings);
  if (current === null) return firstSlot(keys, nowMs, settings);
  const end = signingEndMs(current, settings);
  if (nowMs < end - settings.prepublishMs) return null;
  const hasSuccessor = keys.some((key) => key.activeFromMs > current.activeFromMs);
  return hasSuccessor ? null : end;
}

/**
 * The grid slot containing now, so that instances racing at first start pick the same one. A slot
 * already taken (only after a configuration change moved the grid) falls back to now itself.
 */
function firstSlot(keys: readonly ScheduledKey[], nowMs: number, settings: RotationSettings): number {
  const slot = nowMs - (nowMs % settings.lifetimeMs);
  return keys.some((key) => key.activeFromMs >= slot) ? nowMs : slot;
}

/** When a key starting at `activeFromMs` leaves the JWKS. */
export function retireAfterFor(activeFromMs: number, settings: RotationSettings): number {
  return activeFromMs + settings.lifetimeMs + settings.maxTokenLifetimeMs;
}

export function isRetired(key: ScheduledKey, nowMs: number): boolean {
  return key.retireAfterMs <= nowMs;
}
