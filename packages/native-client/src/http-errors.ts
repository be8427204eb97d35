import { NativeAuthError } from './types.ts';

/** A transient failure (network down, 5xx): keep the tokens and try again later. */
export class ServerUnavailableError extends NativeAuthError {
  constructor(message: string, options?: ErrorOptions) {
    super('server_unavailable', message, options);
    this.name = 'ServerUnavailableError';
  }
}

/** Reads `{ error, error_description }` from a JSON error body, tolerating anything else. */
export async function oauthError(response: Response): Promise<{ error: string; description: string }> {
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown };
    return {
      error: typeof body.error === 'string' ? body.error : `http_${response.status}`,
      description: typeof body.error_description === 'string' ? body.error_description : response.statusText,
    };
  } catch {
    return { error: `http_${response.status}`, description: response.statusText };
  }
}
