import { type TProperties, Type } from '@sinclair/typebox';

/**
 * wazo-auth's list conventions (§1.6): order (one of the resource's sort columns), direction,
 * limit, offset, search, recurse, plus exact-match filters. A bad value is a 400
 * `invalid-list-param`, which the error handler derives from the querystring schema failing.
 */
/** Bounds both paging numbers so values like `1e99` are refused before they reach SQL. */
const MAX_PAGE_NUMBER = 2_147_483_647;

export function listQuerySchema<F extends TProperties>(
  orderColumns: readonly [string, ...string[]],
  defaultOrder: string,
  filters: F,
) {
  return Type.Object({
    order: Type.Union(
      orderColumns.map((c) => Type.Literal(c)),
      { default: defaultOrder },
    ),
    direction: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
    limit: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PAGE_NUMBER })),
    offset: Type.Integer({ minimum: 0, maximum: MAX_PAGE_NUMBER, default: 0 }),
    search: Type.Optional(Type.String({ maxLength: 512 })),
    recurse: Type.Boolean({ default: false }),
    ...filters,
  });
}

export interface ListParams {
  order: string;
  direction: 'asc' | 'desc';
  limit?: number;
  offset: number;
  search?: string;
  recurse: boolean;
}

/** wazo's search: case-insensitive substring where spaces between words match anything. */
export function searchPattern(search: string): string {
  const escaped = search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  return `%${escaped.trim().split(/\s+/).join('%')}%`;
}

export interface ListResult<T> {
  total: number;
  filtered: number;
  items: T[];
}

export const ListEnvelope = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ total: Type.Integer(), filtered: Type.Integer(), items: Type.Array(item) });
