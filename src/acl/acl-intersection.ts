/**
 * What an OAuth token may do: the ACL of its granted scopes, limited to what the user (or the
 * client, for client_credentials) holds now.
 *
 * TODO(#6): placeholder until the real intersection (pattern-aware, from the scoped refresh tokens
 * work) is merged. It is deliberately conservative: a scope entry is kept only when the holder has
 * exactly the same entry, and every negation of the holder is kept, so the result never grants more
 * than either side.
 */
export function intersectAcl(scope: readonly string[], user: readonly string[]): string[] {
  const held = new Set(user.filter((entry) => !entry.startsWith('!')));
  const kept = scope.filter((entry) => !entry.startsWith('!') && held.has(entry));
  const negations = user.filter((entry) => entry.startsWith('!'));
  return [...new Set([...kept, ...negations])];
}
