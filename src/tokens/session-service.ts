import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { SessionRepository } from './session-repository.ts';
import type { SessionRevoker } from './session-revoker.ts';

export interface SessionServiceDeps {
  sessions: SessionRepository;
  users: UserRepository;
  tenants: TenantRepository;
  revoker: SessionRevoker;
}

/** The sessions API (wazo §2.9). */
export class SessionService {
  readonly #deps: SessionServiceDeps;

  constructor(deps: SessionServiceDeps) {
    this.#deps = deps;
  }

  async list(auth: AuthContext, params: ListParams) {
    const tenantUuids = params.recurse
      ? await this.#deps.tenants.subtree(auth.tenantUuid)
      : [auth.tenantUuid];
    return this.#deps.sessions.list({ tenantUuids }, params);
  }

  async listForUser(auth: AuthContext, userUuid: string, params: ListParams) {
    const tenantUuids = await this.#requireUser(auth, userUuid);
    return this.#deps.sessions.list({ tenantUuids, userUuid }, params);
  }

  /** Always succeeds: unknown or out-of-scope sessions are silently left alone, as in wazo-auth. */
  async delete(auth: AuthContext, sessionUuid: string): Promise<void> {
    await this.#deps.revoker.revokeSession(sessionUuid, await this.#deps.tenants.subtree(auth.tenantUuid));
  }

  /**
   * wazo-auth deletes the session by UUID within the visible tenants without checking its owner;
   * Gatehouse only deletes it when it belongs to that user.
   */
  async deleteForUser(auth: AuthContext, userUuid: string, sessionUuid: string): Promise<void> {
    const tenantUuids = await this.#requireUser(auth, userUuid);
    await this.#deps.revoker.revokeSession(sessionUuid, tenantUuids, userUuid);
  }

  async #requireUser(auth: AuthContext, userUuid: string): Promise<string[]> {
    const tenantUuids = await this.#deps.tenants.subtree(auth.tenantUuid);
    const user = await this.#deps.users.get(userUuid, tenantUuids);
    if (!user) throw unknownUser(userUuid);
    return tenantUuids;
  }
}
