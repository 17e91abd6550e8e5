import type { TSchema } from '@sinclair/typebox';
import type { Config } from '../config/config-schema.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuthContext } from '../http/auth-context.ts';
import { redactConfig } from './config-redaction.ts';

/** One operation of PATCH /config: wazo accepts only a boolean `replace` of the runtime flags. */
export interface ConfigPatchOperation {
  op: 'replace';
  path: '/debug' | '/profiling_enabled';
  value: boolean;
}

export interface ConfigServiceDeps {
  config: Readonly<Config>;
  schema: TSchema;
  /** Applies a pino level to the running logger. */
  setLogLevel: (level: string) => void;
  /** The top tenant's UUID (it never changes once created). */
  topTenantUuid: () => Promise<string | null>;
}

/** The answer of GET and PATCH /config. */
export type ConfigView = Record<string, unknown> & { debug: boolean; profiling_enabled: boolean };

export const CONFIG_READ_ACL = 'auth.config.read';
export const CONFIG_UPDATE_ACL = 'auth.config.update';

/**
 * GET/PATCH /config (§2.12): the running configuration, secrets redacted, for top-tenant callers
 * only. The loaded config is frozen; the two flags PATCH may change live here, per instance, and
 * are lost on restart, as in wazo-auth. `profiling_enabled` is accepted and reported but changes
 * nothing (Gatehouse has no profiler).
 */
export class ConfigService {
  readonly #deps: ConfigServiceDeps;
  #debug: boolean;
  #profilingEnabled = false;
  #topTenant: string | null = null;

  constructor(deps: ConfigServiceDeps) {
    this.#deps = deps;
    this.#debug = ['debug', 'trace'].includes(deps.config.log_level);
  }

  async get(auth: AuthContext): Promise<ConfigView> {
    await this.#requireTopTenant(auth, CONFIG_READ_ACL);
    return this.#view();
  }

  async patch(auth: AuthContext, operations: readonly ConfigPatchOperation[]): Promise<ConfigView> {
    await this.#requireTopTenant(auth, CONFIG_UPDATE_ACL);
    for (const operation of operations) {
      if (operation.path === '/debug') this.#setDebug(operation.value);
      else this.#profilingEnabled = operation.value;
    }
    return this.#view();
  }

  #view(): ConfigView {
    const redacted = redactConfig(this.#deps.schema, this.#deps.config) as Record<string, unknown>;
    return { ...redacted, debug: this.#debug, profiling_enabled: this.#profilingEnabled };
  }

  /** debug on: at least the debug level; off: back to the configured log_level (as wazo-auth). */
  #setDebug(debug: boolean): void {
    this.#debug = debug;
    const configured = this.#deps.config.log_level;
    const verbose = configured === 'trace' ? 'trace' : 'debug';
    this.#deps.setLogLevel(debug ? verbose : configured);
  }

  /** wazo's required_master_tenant: the token's own tenant must be the top tenant, else 401. */
  async #requireTopTenant(auth: AuthContext, requiredAccess: string): Promise<void> {
    this.#topTenant ??= await this.#deps.topTenantUuid();
    if (this.#topTenant !== null && auth.callerTenantUuid === this.#topTenant) return;
    throw new DomainError('unauthorized', {
      details: {
        invalid_token: null,
        reason: 'missing_permission_or_invalid_tenant',
        required_access: requiredAccess,
        tenant_uuid: auth.callerTenantUuid,
      },
    });
  }
}
