import { DomainError } from '../errors/domain-error.ts';
import { refreshTokenDeleted } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { RefreshTokenFilters, RefreshTokenRepository } from './refresh-token-repository.ts';
import type { SessionRevoker } from './session-revoker.ts';

export interface RefreshTokenServiceDeps {
  refreshTokens: RefreshTokenRepository;
  users: UserRepository;
  tenants: TenantRepository;
  revoker: SessionRevoker;
  events: EventSink;
}

type ListQuery = ListParams & RefreshTokenFilters;

/** Listing and deleting refresh tokens (wazo §2.1 rows 6–8). */
export class RefreshTokenService {
  readonly #deps: RefreshTokenServiceDeps;

  constructor(deps: RefreshTokenServiceDeps) {
    this.#deps = deps;
  }

  async listAll(auth: AuthContext, query: ListQuery) {
    const tenantUuids = query.recurse ? await this.#deps.tenants.subtree(auth.tenantUuid) : [auth.tenantUuid];
    return this.#deps.refreshTokens.list({ tenantUuids }, query, query);
  }

  async listForUser(auth: AuthContext, userUuid: string, query: ListQuery) {
    const tenantUuids = await this.#deps.tenants.subtree(auth.tenantUuid);
    await this.#requireUser(userUuid, tenantUuids);
    return this.#deps.refreshTokens.list({ tenantUuids, userUuid }, query, query);
  }

  /** `/users/me/tokens`: the token owner's refresh tokens, whatever tenant it scopes to. */
  async listOwn(auth: AuthContext, query: ListQuery) {
    const user = auth.userUuid ? await this.#deps.users.getLoginCandidate(auth.userUuid) : null;
    if (!user) return { total: 0, filtered: 0, items: [] };
    return this.#deps.refreshTokens.list(
      { tenantUuids: [user.tenantUuid], userUuid: user.uuid },
      query,
      query,
    );
  }

  async delete(auth: AuthContext, userUuid: string, clientId: string): Promise<void> {
    await this.#requireUser(userUuid, await this.#deps.tenants.subtree(auth.tenantUuid));
    await this.#deleteOne(userUuid, clientId);
  }

  async deleteOwn(auth: AuthContext, clientId: string): Promise<void> {
    if (!auth.userUuid) throw new DomainError('unknown-refresh-token', { details: { client_id: clientId } });
    await this.#deleteOne(auth.userUuid, clientId);
  }

  /** Decision D15: the sessions made from the refresh token end with it (wazo leaves them alive). */
  async #deleteOne(userUuid: string, clientId: string): Promise<void> {
    const token = await this.#deps.refreshTokens.findForUser(userUuid, clientId);
    if (!token) throw new DomainError('unknown-refresh-token', { details: { client_id: clientId } });
    // Sessions first: deleting the refresh token unlinks its access tokens (ON DELETE SET NULL).
    await this.#deps.revoker.revokeByRefreshTokens([token.uuid]);
    const deleted = await this.#deps.refreshTokens.deleteByUuids([token.uuid]);
    if (deleted.length === 0)
      throw new DomainError('unknown-refresh-token', { details: { client_id: clientId } });
    this.#deps.events.publish(refreshTokenDeleted(token));
  }

  async #requireUser(userUuid: string, tenantUuids: readonly string[]): Promise<void> {
    const user = await this.#deps.users.get(userUuid, tenantUuids);
    if (!user) throw unknownUser(userUuid);
  }
}
