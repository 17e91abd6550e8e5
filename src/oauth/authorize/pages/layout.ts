import type { FastifyReply } from 'fastify';
import { html, SafeHtml } from '../html.ts';

/**
 * Inline styles only (the CSP allows nothing else): readable, large targets, and a focus ring
 * that is always visible for keyboard users (WCAG 2.4.7).
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d1d5db;border-radius:.5rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
.tenant{margin:0 0 1.5rem;color:#4b5563}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password]{width:100%;padding:.6rem;font:inherit;border:1px solid #6b7280;border-radius:.25rem}
button{font:inherit;padding:.6rem 1.2rem;margin:1.5rem .5rem 0 0;border-radius:.25rem;border:1px solid #1e3a8a;background:#1e40af;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1e3a8a}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error{padding:.75rem;background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;border-radius:.25rem}
ul.scopes{padding-left:1.2rem}
code{font-size:1.2rem;letter-spacing:.1em}
`;

export function layout(title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.value;
}

/**
 * The headers of every login, consent and error page: nothing loads from anywhere (no scripts at
 * all), forms post only here and, for the redirect that ends the flow, to the client's origin;
 * no framing (RFC 9700 §4.16 clickjacking), no caching, no referrer (the query holds the request).
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  page: string,
  formActionExtra: readonly string[] = [],
): FastifyReply {
  const formAction = ["'self'", ...formActionExtra].join(' ');
  return reply
    .code(status)
    .header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    )
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .type('text/html; charset=utf-8')
    .send(page);
}
