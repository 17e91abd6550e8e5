import type { LoggerOptions } from 'pino';
import { redactToken } from '../crypto/token-values.ts';

/**
 * pino options shared by the server and the CLI. Secrets never reach a log line: credential
 * headers and body fields are censored, and the token in `/token/{token}` paths and `?token=`
 * (`access_token=`, `refresh_token=`) queries is shown the way wazo-auth shows it (last 8 characters).
 */
export function buildLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-auth-token"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-auth-token"]',
        '*.password',
        '*.new_password',
        '*.old_password',
        '*.refresh_token',
        '*.client_secret',
        '*.token',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: { method?: string; url?: string; ip?: string; id?: string }) => ({
        method: request.method,
        url: redactUrl(request.url ?? ''),
        remote_addr: request.ip,
      }),
    },
  };
}

const TOKEN_IN_PATH = /(\/token\/)([^/?#]+)/gi;
// `access_token`/`refresh_token`: OAuth clients that put tokens in the URL, which the /oauth2/
// endpoints refuse, but only after the access log has seen it (RFC 6750 §5.3).
const TOKEN_IN_QUERY = /([?&](?:access_|refresh_)?token=)([^&#]*)/gi;

export function redactUrl(url: string): string {
  return url
    .replace(TOKEN_IN_PATH, (_, prefix: string, token: string) => `${prefix}${redactToken(token)}`)
    .replace(TOKEN_IN_QUERY, (_, prefix: string, token: string) => `${prefix}${redactToken(token)}`);
}
