import type { ErrorCode } from './error-catalog.ts';

export interface DomainErrorOptions {
  /** Replaces the catalog message (e.g. wazo's "Unauthorized for <scope>"). */
  message?: string;
  details?: Record<string, unknown>;
  resource?: string;
  headers?: Record<string, string>;
}

/** The only error services throw: a catalog code plus safe, client-facing details. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly options: DomainErrorOptions;

  constructor(code: ErrorCode, options: DomainErrorOptions = {}) {
    super(options.message ?? code);
    this.name = 'DomainError';
    this.code = code;
    this.options = options;
  }
}
