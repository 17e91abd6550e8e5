const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

export type JsonTextProblem = 'too-deep' | 'nul' | null;

/**
 * Looks at a JSON body before JSON.parse, in one pass without recursion (security.md §5.4 FZ-JSON):
 * - `too-deep` when arrays and objects nest deeper than `maxDepth`, so a 10,000-deep `[[[…` costs one
 *   loop over a body already capped by http.body_limit_bytes and can never overflow a stack in the
 *   parser, the prototype scan or the schema validator;
 * - `nul` for a `\u0000` escape inside a string: PostgreSQL text cannot hold U+0000 (the request
 *   would fail as a 500 there and store it on SQLite), and no Gatehouse value needs it.
 * Brackets inside strings do not count. Malformed text is left to JSON.parse to refuse.
 */
export function inspectJsonText(text: string, maxDepth: number): JsonTextProblem {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) {
        if (text.charCodeAt(i + 1) === LETTER_U && text.startsWith('0000', i + 2)) return 'nul';
        i++;
      } else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      if (++depth > maxDepth) return 'too-deep';
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) {
      depth--;
    }
  }
  return null;
}
