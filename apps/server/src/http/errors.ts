import { AuthError } from '@authlab/auth-core';
import { StoreUnavailableError } from '@authlab/store';
import type { Context, Next } from 'koa';

/** An error the client caused; its `code` is the JSON `error` field. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, description?: string, headers: Record<string, string> = {}) {
    super(description ?? code);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (code: string, description?: string) => new HttpError(400, code, description);
export const notFound = () => new HttpError(404, 'not_found', 'no such resource');

/** Codes for the errors thrown by Koa's own layers (body parser, router) by status. */
const STATUS_CODES: Record<number, string> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  431: 'headers_too_large',
};

interface ErrorBody {
  error: string;
  error_description?: string;
}

function describe(error: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: error.code, error_description: error.message },
      headers: error.headers,
    };
  }
  if (error instanceof AuthError) {
    const headers: Record<string, string> =
      error.retryAfterSec !== undefined ? { 'Retry-After': String(error.retryAfterSec) } : {};
    // RFC 6750 §3: a rejected Bearer token is challenged with its error code.
    if (error.code === 'invalid_token') headers['WWW-Authenticate'] = 'Bearer realm="authlab", error="invalid_token"';
    return { status: error.status, body: { error: error.code, error_description: error.message }, headers };
  }
  if (error instanceof StoreUnavailableError) {
    return {
      status: 503,
      body: { error: 'store_unavailable', error_description: 'the data store is unreachable; try again shortly' },
      headers: { 'Retry-After': '5' },
    };
  }
  const status = (error as { status?: unknown; expose?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'invalid_request';
    // Parser messages ("Unexpected token … in JSON") are safe and helpful; nothing else is echoed.
    const description = code === 'invalid_request' ? 'the request body is not valid JSON or form data' : undefined;
    return {
      status,
      body: description ? { error: code, error_description: description } : { error: code },
      headers: {},
    };
  }
  return { status: 500, body: { error: 'internal_error' }, headers: {} };
}

/**
 * Every error becomes `{ error, error_description? }` JSON with the right status; a 5xx is
 * logged with its stack and the client sees only the code (never a stack trace).
 */
export async function errorResponses(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body == null) {
      throw new HttpError(404, 'not_found', `no route for ${ctx.method} ${ctx.path}`);
    }
    if (ctx.status === 405 && !ctx.body) {
      ctx.body = { error: 'method_not_allowed', error_description: `allowed: ${ctx.response.get('Allow')}` };
    }
  } catch (error) {
    const { status, body, headers } = describe(error);
    if (status >= 500 && status !== 503) ctx.state.log?.error({ err: error }, 'request failed');
    if (status === 503) ctx.state.log?.warn({ err: { message: (error as Error).message } }, 'store unavailable');
    ctx.status = status;
    ctx.set(headers);
    if (status === 401 && !ctx.response.get('WWW-Authenticate')) {
      ctx.set('WWW-Authenticate', 'Bearer realm="authlab"');
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  }
}
