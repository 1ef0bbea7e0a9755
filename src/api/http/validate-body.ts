import type { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';

/**
 * Validates a parsed JSON request body against a zod schema. Unknown keys are dropped (clients
 * send back whole objects they read, with read-only fields). The first problem becomes a 400
 * VALIDATION_FAILED naming the field; zod's messages carry no secret input values.
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', { message: 'A JSON object body (Content-Type: application/json) is required.' });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new AppError('VALIDATION_FAILED', { message: `${where}: ${issue?.message ?? 'invalid value'}` });
  }
  return result.data;
}
