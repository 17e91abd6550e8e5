/**
 * Loopback redirect URIs of native apps (RFC 8252 §7.3): the app listens on a port it gets from the
 * system, so that part alone may differ from the registered URI. `localhost` varies only against a
 * registered `localhost` URI (RFC 8252 §8.3 advises the IP literals; a name is never mixed with them).
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * The registered redirect URI a request may use, or null. Comparison is by exact string (RFC 9700
 * §4.1.3, security.md O1): no normalisation, so a trailing slash, extra path or other host is a
 * different URI. When the request names none and the client has exactly one, that one is used.
 */
export function matchRedirectUri(registered: readonly string[], requested: string | null): string | null {
  if (requested === null) return registered.length === 1 ? (registered[0] as string) : null;
  if (registered.includes(requested)) return requested;
  const asked = LOOPBACK.exec(requested);
  if (!asked) return null;
  for (const uri of registered) {
    const known = LOOPBACK.exec(uri);
    if (known && known[1] === asked[1] && (known[3] ?? '') === (asked[3] ?? '') && validPort(asked[2])) {
      return requested;
    }
  }
  return null;
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

/**
 * The redirect URI with response parameters added to its query (RFC 6749 §4.1.2: keeping the
 * query it already has). Registered URIs carry no fragment, but one is dropped here to be sure.
 */
export function withResponseParameters(
  redirectUri: string,
  parameters: Record<string, string | null>,
): string {
  const base = redirectUri.split('#', 1)[0] as string;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== null) query.append(name, value);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}${query.toString()}`;
}

/**
 * The CSP source that lets the login pages' form submission end in a redirect to this URI (browsers
 * apply form-action to the redirects after a submission). Host sources cannot name an IPv6 literal
 * nor a private-use scheme's "origin", so those get their scheme only.
 */
export function formActionSource(redirectUri: string): string {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return "'none'";
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return url.protocol;
  if (url.hostname.startsWith('[')) return url.protocol;
  return url.origin;
}
