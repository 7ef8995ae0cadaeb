import { z } from 'zod';
import { API_PREFIX } from '../../protocol/api.js';
import { errorBodySchema } from '../../protocol/errors.js';
import { BYTE_STREAM, BYTES_OR_ZIP, type RouteRegistry } from './routes.js';

type Json = Record<string, unknown>;

/** OpenAPI 3.0's schema for raw bytes, in a request (chunks) or a response (downloads). */
const BINARY: Json = { type: 'string', format: 'binary' };

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as Json;
  delete json.$schema;
  return json;
}

/** Query and path parameters, one per property of the route's object schema. */
function parameters(schema: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name, in: where, required: where === 'path' || required.has(name), schema: property,
  }));
}

function isByteBody(schema: unknown): schema is typeof BYTE_STREAM | typeof BYTES_OR_ZIP {
  return schema === BYTE_STREAM || schema === BYTES_OR_ZIP;
}

/** The OpenAPI 3 document, generated from the same zod schemas the routes validate with. */
export function openApiDocument(routes: RouteRegistry, version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const url = `${API_PREFIX}${route.url}`.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, Json> = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      if (isByteBody(schema)) {
        const mediaTypes: readonly string[] = schema === BYTE_STREAM ? [BYTE_STREAM] : BYTES_OR_ZIP;
        responses[status] = { description: `HTTP ${status}: the bytes`, content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: BINARY }])) };
      }
      else if (schema) responses[status] = { description: `HTTP ${status}`, content: { 'application/json': { schema: schemaOf(schema, 'output') } } };
      else responses[status] = { description: `HTTP ${status}` };
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: schemaOf(errorBodySchema, 'output') } } };
    const operation: Json = {
      summary: route.summary,
      parameters: [...parameters(route.query, 'query'), ...parameters(route.params, 'path')],
      responses,
    };
    if (route.auth) operation.security = [{ bearer: [] }];
    if (route.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } };
    } else if (route.rawBody) {
      operation.requestBody = { required: true, content: { [BYTE_STREAM]: { schema: BINARY } } };
    }
    (paths[url] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Netdisk API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  };
}
