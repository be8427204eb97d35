import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthMode } from '@authlab/native-client';

/**
 * What `login` remembers for the next commands (never a token: those live in the vault). The
 * OIDC fields are present only when `login` was given them; absent, they follow `server`.
 */
export interface Settings {
  server: string;
  mode: AuthMode;
  /** The OpenID Provider; default `<server>/oidc`. */
  issuer?: string;
  /** Default `authlab-cli`. */
  clientId?: string;
  /** Default `openid email offline_access api`. */
  scope?: string;
  /** Where `whoami` and `call` send the access token; default `server`. */
  api?: string;
}

export const DEFAULT_SETTINGS: Settings = { server: 'http://localhost:4000', mode: 'oidc' };

const OPTIONAL_TEXTS = ['issuer', 'clientId', 'scope', 'api'] as const;

export function readSettings(home: string): Settings {
  try {
    const parsed = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as Record<string, unknown>;
    const settings: Settings = {
      server: typeof parsed.server === 'string' ? parsed.server : DEFAULT_SETTINGS.server,
      mode: parsed.mode === 'jwt' || parsed.mode === 'oidc' ? parsed.mode : DEFAULT_SETTINGS.mode,
    };
    for (const key of OPTIONAL_TEXTS) {
      const value = parsed[key];
      if (typeof value === 'string') settings[key] = value;
    }
    return settings;
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function writeSettings(home: string, settings: Settings): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'settings.json');
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
