import { randomInt } from 'node:crypto';

/** wazo-auth's `Slug`: group and policy slugs are 1…80 of `[A-Za-z0-9_-]`. */
export const SLUG_PATTERN = '^[A-Za-z0-9_-]+$';
export const SLUG_MAX_LENGTH = 80;

/** The name stripped of every character a slug may not hold, as wazo's `Slug.from_name`. */
export function slugFromName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '').slice(0, SLUG_MAX_LENGTH);
}

const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** wazo falls back to 3 random lower-case letters and digits when the name gives no free slug. */
export function randomSlug(length = 3): string {
  let slug = '';
  for (let i = 0; i < length; i++) slug += RANDOM_ALPHABET[randomInt(RANDOM_ALPHABET.length)];
  return slug;
}

/** The slug to use: the requested one, else from the name, else random ones until one is free. */
export async function chooseSlug(
  requested: string | undefined | null,
  name: string,
  taken: (slug: string) => Promise<boolean>,
): Promise<string> {
  if (requested) return requested;
  const fromName = slugFromName(name);
  if (fromName && !(await taken(fromName))) return fromName;
  for (;;) {
    const candidate = randomSlug();
    if (!(await taken(candidate))) return candidate;
  }
}
