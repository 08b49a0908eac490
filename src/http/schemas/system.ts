import { z } from 'zod';

export const health = z.strictObject({ status: z.literal('ok') });
/** GET /readyz when ready (503 with the error envelope otherwise). */
export const readiness = z.strictObject({ status: z.literal('ready'), migrations: z.number().optional() });
/** GET /api/openapi.json: this document (described, not repeated). */
export const openApiDocument = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) });
