import type { Db } from '../storage/database.ts';

export interface RevocationListener {
  onRevoked(sessionUuids: readonly string[]): void;
  /** Revocations may have been missed: cached tokens must be forgotten. */
  onReset(): void;
}

/**
 * How revocations reach every instance's token cache. `announceWithin` runs inside the revoking
 * transaction, so on PostgreSQL the notification is committed atomically with the deletion and
 * cannot be lost while the deletion stands.
 */
export interface RevocationFeed {
  start(listener: RevocationListener): Promise<void>;
  stop(): Promise<void>;
  announceWithin(executor: Db, sessionUuids: readonly string[]): Promise<void>;
  /** Whether every revocation committed more than the staleness bound ago is known here. */
  isCurrent(nowMs: number): boolean;
}
