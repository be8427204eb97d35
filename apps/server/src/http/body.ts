import type { Context } from 'koa';
import type { z } from 'zod';
import { HttpError } from './errors.ts';

/** True when the body came from an HTML form: such a post is answered with a 303 to a page. */
export function isFormPost(ctx: Context): boolean {
  return ctx.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
}

/**
 * Validates the parsed JSON or form body with a strict schema: wrong types, missing or unknown
 * fields are a 400 naming the field, never a 500.
 */
export function readBody<T extends z.ZodType>(ctx: Context, schema: T): z.infer<T> {
  if (!ctx.is('application/json', 'application/x-www-form-urlencoded')) {
    throw new HttpError(415, 'unsupported_media_type', 'send application/json or application/x-www-form-urlencoded');
  }
  const result = schema.safeParse(ctx.request.body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    const unknown = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new HttpError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}${unknown}`);
  }
  return result.data;
}
