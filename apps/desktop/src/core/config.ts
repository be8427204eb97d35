import { isLoopbackHttp } from '@authlab/native-client';
import { z } from 'zod';

export interface DesktopConfig {
  /** The authlab server's origin, exactly its `PUBLIC_URL` (the OIDC issuer is `<server>/oidc`). */
  server: string;
}

export class DesktopConfigError extends Error {
  override name = 'DesktopConfigError';
}

const serverUrl = z
  .string()
  .trim()
  .default('http://localhost:4000')
  .transform((raw, ctx) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${raw} is not a URL (example: http://localhost:4000)` });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
      ctx.addIssue({ code: 'custom', message: `${raw}: use https (plain http only to a loopback address)` });
      return z.NEVER;
    }
    return url.origin;
  });

/**
 * Reads the desktop app's settings once, at start: `AUTHLAB_SERVER` (environment) or
 * `--server=<url>` (command line, wins), default `http://localhost:4000`. A bad value throws a
 * `DesktopConfigError` whose message names the setting.
 *
 * @example
 * loadDesktopConfig({ AUTHLAB_SERVER: 'https://auth.example.edu' }, []).server; // 'https://auth.example.edu'
 */
export function loadDesktopConfig(env: Record<string, string | undefined>, argv: readonly string[]): DesktopConfig {
  const flag = argv.find((arg) => arg.startsWith('--server='))?.slice('--server='.length);
  const parsed = serverUrl.safeParse(flag ?? env.AUTHLAB_SERVER);
  if (!parsed.success) {
    const name = flag !== undefined ? '--server' : 'AUTHLAB_SERVER';
    throw new DesktopConfigError(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return { server: parsed.data };
}
