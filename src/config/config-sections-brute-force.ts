import { Type } from '@sinclair/typebox';

/**
 * The brute-force gate (security.md A1, S-BF-1..4; docs/brute-force.md). Every bound is finite and
 * every time is in seconds well below 2^31, so no value can overflow into "no lock at all"
 * (keycloak#30939); zero and negative values are refused at start-up (FZ-CFG).
 */
const ONE_WEEK_SECONDS = 604_800;

export const BruteForceConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description: 'Count failed logins and lock accounts and client addresses (docs/brute-force.md).',
    }),
    account_max_failures: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description:
        'Failed attempts on one account from one client address, within account_window_seconds, after ' +
        'which further attempts from that address are refused like a wrong password (NIST ceiling: 100).',
    }),
    account_window_seconds: Type.Integer({
      minimum: 1,
      maximum: ONE_WEEK_SECONDS,
      default: 900,
      description: 'Window in which account failures add up; it starts at the first failure.',
    }),
    lock_seconds: Type.Integer({
      minimum: 1,
      maximum: ONE_WEEK_SECONDS,
      default: 60,
      description: 'Length of the first lock; each further lock of the same counter doubles it.',
    }),
    lock_max_seconds: Type.Integer({
      minimum: 1,
      maximum: ONE_WEEK_SECONDS,
      default: 900,
      description: 'Longest lock, the cap of the doubling (at least lock_seconds).',
    }),
    address_max_failures: Type.Integer({
      minimum: 1,
      maximum: 10_000_000,
      default: 100,
      description:
        'Failed logins and password-reset requests from one client address within ' +
        'address_window_seconds; beyond it the address gets 429 with Retry-After.',
    }),
    address_window_seconds: Type.Integer({
      minimum: 1,
      maximum: ONE_WEEK_SECONDS,
      default: 86_400,
      description: 'Window of the per-address count; it starts at the first failure.',
    }),
    reset_max_per_login: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description:
        'Password-reset emails sent for one login name within account_window_seconds; further ' +
        'requests still answer 204 but send nothing (no mail flooding, no enumeration).',
    }),
  },
  { additionalProperties: false, default: {} },
);

/** Rules across keys, which the schema alone cannot say; the loader reports them with the others. */
export function bruteForceProblems(section: { lock_seconds: number; lock_max_seconds: number }): string[] {
  return section.lock_max_seconds < section.lock_seconds
    ? ['/brute_force/lock_max_seconds: must be at least lock_seconds']
    : [];
}
