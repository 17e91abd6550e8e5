import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/token-values.ts';
import type { BlobSigner } from './signed-blob.ts';

/** A validated authorization request (RFC 6749 §4.1.1), carried by the login and consent pages. */
export interface CodeTransaction {
  flow: 'code';
  clientId: string;
  /** The redirect URI the request named (or the only registered one), already matched. */
  redirectUri: string;
  scope: string[];
  state: string | null;
  codeChallenge: string;
  nonce: string | null;
  dpopJkt: string | null;
}

/** A device authorization the user is approving on the verification page (RFC 8628 §3.3). */
export interface DeviceTransaction {
  flow: 'device';
  clientId: string;
  /** Stored form: 8 letters, no dash. */
  userCode: string;
  scope: string[];
}

export type Transaction = CodeTransaction | DeviceTransaction;

export interface LoggedIn {
  userUuid: string;
  login: string;
  authTimeMs: number;
}

/** How long a login page stays usable (security: the transaction, not a session). */
const TRANSACTION_MS = 10 * 60_000;
/** Between a good login and the consent click. */
const LOGIN_MS = 5 * 60_000;

/**
 * The state of a login in progress, kept by the browser instead of a server-side session: the
 * transaction (hidden field `tx`) and, after the password, the logged-in proof (hidden field
 * `login`). Both are signed and expire; both are bound to the CSRF cookie's value, and the proof
 * also to the very transaction it was earned for, so neither can be carried to another browser
 * or another request.
 */
export class TransactionSeal {
  readonly #signer: BlobSigner;
  readonly #now: () => number;

  constructor(signer: BlobSigner, now: () => number) {
    this.#signer = signer;
    this.#now = now;
  }

  sealTransaction(transaction: Transaction, csrf: string): string {
    return this.#signer.sign('oauth-tx', { t: transaction, c: csrf }, this.#now() + TRANSACTION_MS);
  }

  openTransaction(blob: string | null, csrf: string): Transaction | null {
    const opened = this.#signer.verify<{ t?: Transaction; c?: string }>('oauth-tx', blob, this.#now());
    if (!opened?.t || typeof opened.c !== 'string' || !constantTimeEqual(opened.c, csrf)) return null;
    return opened.t;
  }

  sealLogin(transactionBlob: string, csrf: string, loggedIn: LoggedIn): string {
    const payload = { ...loggedIn, c: csrf, x: digest(transactionBlob) };
    return this.#signer.sign('oauth-login', payload, this.#now() + LOGIN_MS);
  }

  openLogin(blob: string | null, transactionBlob: string, csrf: string): LoggedIn | null {
    const opened = this.#signer.verify<Partial<LoggedIn> & { c?: string; x?: string }>(
      'oauth-login',
      blob,
      this.#now(),
    );
    if (!opened || typeof opened.c !== 'string' || typeof opened.x !== 'string') return null;
    if (!constantTimeEqual(opened.c, csrf) || !constantTimeEqual(opened.x, digest(transactionBlob)))
      return null;
    if (typeof opened.userUuid !== 'string' || typeof opened.authTimeMs !== 'number') return null;
    return { userUuid: opened.userUuid, login: String(opened.login ?? ''), authTimeMs: opened.authTimeMs };
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
