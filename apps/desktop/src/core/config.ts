import { isLoopbackHttp } from '@authlab/native-client';
import { z } from 'zod';

/** Another OpenID Provider for the OIDC panel; each field absent follows the authlab server. */
export interface OidcSettings {
  /** Default `<server>/oidc`. Kept exactly as given: discovery compares it with the provider's. */
  issuer?: string;
  /** Default `authlab-desktop`: a public client (no secret), PKCE, loopback redirect. */
  clientId?: string;
  /** Default `openid email offline_access api`. */
  scope?: string;
  /** Where the panel's Call API sends the access token (`<api>/api/me`); default the server. */
  api?: string;
}

export interface DesktopConfig {
  /** The authlab server's origin, exactly its `PUBLIC_URL` (the default issuer is `<server>/oidc`). */
  server: string;
  oidc: OidcSettings;
}

export class DesktopConfigError extends Error {
  override name = 'DesktopConfigError';
}

/** https, or plain http to a loopback address only: tokens must not cross a network in clear. */
const secureUrl = (example: string) =>
  z
    .string()
    .trim()
    .transform((raw, ctx) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${raw} is not a URL (example: ${example})` });
        return z.NEVER;
      }
      if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
        ctx.addIssue({ code: 'custom', message: `${raw}: use https (plain http only to a loopback address)` });
        return z.NEVER;
      }
      if (url.username || url.password || url.search || url.hash) {
        ctx.addIssue({ code: 'custom', message: `${raw}: no credentials, query or fragment` });
        return z.NEVER;
      }
      return { url, raw };
    });

const SETTINGS = {
  server: {
    flag: '--server',
    env: 'AUTHLAB_SERVER',
    schema: secureUrl('http://localhost:4000').transform(({ url }) => url.origin),
  },
  issuer: {
    flag: '--issuer',
    env: 'AUTHLAB_ISSUER',
    schema: secureUrl('https://sso.example.edu/realms/workshop').transform(({ raw }) => raw),
  },
  clientId: { flag: '--client-id', env: 'AUTHLAB_CLIENT_ID', schema: z.string().trim().min(1, 'is empty') },
  scope: {
    flag: '--scope',
    env: 'AUTHLAB_SCOPE',
    schema: z
      .string()
      .transform((raw) => raw.split(/\s+/).filter(Boolean).join(' '))
      // The panel verifies an ID token (OIDC Core §3.1.2.1: no `openid`, no ID token).
      .refine((scope) => scope.split(' ').includes('openid'), 'must include openid'),
  },
  api: {
    flag: '--api',
    env: 'AUTHLAB_API',
    schema: secureUrl('https://api.example.edu').transform(({ url }) => url.href.replace(/\/$/, '')),
  },
} as const;

/**
 * Reads the desktop app's settings once, at start, each from the command line (`--name=value`,
 * wins) or the environment: `--server`/`AUTHLAB_SERVER` (default `http://localhost:4000`), and for
 * another OpenID Provider `--issuer`/`AUTHLAB_ISSUER`, `--client-id`/`AUTHLAB_CLIENT_ID`,
 * `--scope`/`AUTHLAB_SCOPE`, `--api`/`AUTHLAB_API`. A bad value throws a `DesktopConfigError`
 * whose message names the setting.
 *
 * @example
 * loadDesktopConfig({ AUTHLAB_ISSUER: 'https://sso.example.edu/realms/x' }, []).oidc.issuer;
 */
export function loadDesktopConfig(env: Record<string, string | undefined>, argv: readonly string[]): DesktopConfig {
  const read = (name: keyof typeof SETTINGS): string | undefined => {
    const { flag, env: variable, schema } = SETTINGS[name];
    const fromFlag = argv.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
    const raw = fromFlag ?? env[variable];
    if (raw === undefined) return undefined;
    const parsed = (schema as z.ZodType<string>).safeParse(raw);
    if (!parsed.success) {
      throw new DesktopConfigError(`${fromFlag !== undefined ? flag : variable}: ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  };
  const oidc: OidcSettings = {};
  for (const name of ['issuer', 'clientId', 'scope', 'api'] as const) {
    const value = read(name);
    if (value !== undefined) oidc[name] = value;
  }
  return { server: read('server') ?? 'http://localhost:4000', oidc };
}
