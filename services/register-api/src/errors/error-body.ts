import { z } from 'zod';
import { ERROR_CATALOGUE } from './error-catalogue.js';

const codes = Object.values(ERROR_CATALOGUE).map((e) => e.code) as [string, ...string[]];

/** The body of every error answer, for the OpenAPI document. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(codes),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;
