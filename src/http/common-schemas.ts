import { Type } from '@sinclair/typebox';

/** Path parameters that must be UUIDs; anything else is a 404, as wazo-auth's UUID converters give. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const UuidString = (description?: string) => Type.String({ pattern: UUID_PATTERN, description });

export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);
