/**
 * JSON kept in text columns (token metadata and ACL, refresh-token metadata) goes through these two
 * functions so both engines store exactly the same text.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value);
}

export function decodeJsonObject(text: string | null): Record<string, unknown> {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

export function decodeStringList(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
}
