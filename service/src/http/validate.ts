import type { z } from 'zod';
import { AppError } from '../app/app-error.js';
import { formatPath } from '../config/load.js';

/** Parses input with a schema; a failure is a 400 naming every field and what is wrong with it. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'body' | 'query' | 'path',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: formatPath(i.path), problem: i.message }));
  const first = fields[0]!;
  const prefix = where === 'body' ? '' : `${where} `;
  throw new AppError(400, 'invalid_request', `${prefix}${first.field}: ${first.problem}`, { fields });
}
