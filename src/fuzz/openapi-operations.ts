import { parse } from 'yaml';

/** The subset of JSON Schema the served OpenAPI document uses (TypeBox output). */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
}

export interface Parameter {
  name: string;
  schema: JsonSchema;
}

/** One path + method of the API, with what it takes. */
export interface Operation {
  method: string;
  /** OpenAPI template relative to the API prefix, e.g. /users/{user_uuid}. */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: JsonSchema;
}

interface RawOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/** Reads GET /api/api.yml (the document the server serves) into the list of operations to fuzz. */
export async function loadOperations(api: string): Promise<Operation[]> {
  const response = await fetch(`${api}/api/api.yml`);
  if (response.status !== 200) throw new Error(`api.yml gave ${response.status}`);
  const doc = parse(await response.text()) as {
    paths: Record<string, Record<string, RawOperation>>;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined =>
    schema?.$ref ? doc.components?.schemas?.[schema.$ref.split('/').pop() ?? ''] : schema;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const params = raw.parameters ?? [];
      const pick = (where: string) =>
        params.filter((p) => p.in === where).map((p) => ({ name: p.name, schema: resolve(p.schema) ?? {} }));
      const body = resolve(raw.requestBody?.content?.['application/json']?.schema);
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: pick('path'),
        queryParams: pick('query'),
        ...(body ? { body } : {}),
      });
    }
  }
  return operations;
}
