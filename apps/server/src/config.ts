import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { type Argon2Params, assertStrongArgon2, DEFAULT_ARGON2 } from '@authlab/auth-core';
import { z } from 'zod';

/** A bad value in the environment: start-up stops with this one line, naming the variable. */
export class ConfigError extends Error {
  readonly code = 'config';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface Config {
  production: boolean;
  /** The listening address: loopback unless `HOST` opens it. */
  host: string;
  port: number;
  /** The origin every browser request must come from, e.g. `http://localhost:4000` (no trailing slash). */
  publicUrl: string;
  /** Cookies carry `Secure` (and the `__Host-` prefix): https, or a loopback origin where browsers allow it. */
  secureCookies: boolean;
  https: boolean;
  dataDir: string;
  redisUrl: string | undefined;
  trustProxy: number;
  session: { idleTtlMs: number; absoluteTtlMs: number };
  jwt: {
    accessTokenTtlSec: number;
    refreshIdleTtlMs: number;
    refreshAbsoluteTtlMs: number;
    /** How long a just-rotated refresh token, presented again, gets the same successor (0: never). */
    refreshReuseGraceMs: number;
    /** The signing key is replaced automatically once it is this old. */
    keyRotationIntervalMs: number;
  };
  demoPassword: string;
  seedDemo: boolean;
  oidcUpstream:
    | {
        issuer: string;
        clientId: string;
        clientSecret: string | undefined;
        /** Absent: chosen from the provider's `token_endpoint_auth_methods_supported`. */
        clientAuth: 'client_secret_basic' | 'client_secret_post' | undefined;
      }
    | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  argon2: Argon2Params;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `900`, `900s`, `15m`, `12h`, `30d` → milliseconds (a bare number is seconds). */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000);
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

/** A duration setting; with `allowZero`, `0` (in any unit) is accepted too and turns the feature off. */
const duration = (fallback: string, { allowZero = false } = {}) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = allowZero && /^0(ms|s|m|h|d)?$/.test(text.trim()) ? 0 : parseDuration(text);
      if (ms === null) {
        const zero = allowZero ? '0 or ' : '';
        ctx.addIssue({
          code: 'custom',
          message: `must be ${zero}a duration like 900, 15m, 12h or 30d (got "${text}")`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** The longest reuse grace window accepted: a stolen, rotated token is honoured at most this long. */
const MAX_REFRESH_REUSE_GRACE_MS = 60_000;

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${text}")` });
        return z.NEVER;
      }
      return value;
    });

const optionalBool = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((text) => (text === undefined ? undefined : ['true', '1', 'yes'].includes(text)));

const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL` },
  );

/** The demo accounts' password when DEMO_PASSWORD is not set: printed in the README, so public. */
export const PUBLISHED_DEMO_PASSWORD = 'correct-horse-battery-staple';

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Whether `host` (an address or name to listen on) reaches this machine only. */
export function isLoopbackHost(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return host === 'localhost' || host.endsWith('.localhost');
}

const schema = z.object({
  NODE_ENV: z.string().default('development'),
  HOST: z
    .string()
    .default('127.0.0.1')
    .refine((host) => isIP(host) !== 0 || HOST_NAME.test(host), {
      message: 'must be an IP address or a host name, without scheme, port or brackets (e.g. 127.0.0.1 or 0.0.0.0)',
    }),
  PORT: integer(4000, 0, 65_535),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  TRUST_PROXY: integer(0, 0, 10),
  SESSION_IDLE_TTL: duration('30m'),
  SESSION_ABSOLUTE_TTL: duration('12h'),
  ACCESS_TOKEN_TTL: duration('15m'),
  REFRESH_IDLE_TTL: duration('7d'),
  REFRESH_ABSOLUTE_TTL: duration('30d'),
  REFRESH_REUSE_GRACE: duration('30s', { allowZero: true }),
  JWT_KEY_ROTATION_INTERVAL: duration('90d'),
  DEMO_PASSWORD: z.string().min(12, 'must have at least 12 characters').default(PUBLISHED_DEMO_PASSWORD),
  SEED_DEMO: optionalBool(),
  OIDC_UPSTREAM_ISSUER: url(['http:', 'https:']).optional(),
  OIDC_UPSTREAM_CLIENT_ID: z.string().min(1).optional(),
  OIDC_UPSTREAM_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_UPSTREAM_CLIENT_AUTH: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ARGON2_MEMORY_KIB: integer(DEFAULT_ARGON2.memoryCost, 1, 4_194_304),
  ARGON2_TIME_COST: integer(DEFAULT_ARGON2.timeCost, 1, 100),
  ARGON2_PARALLELISM: integer(DEFAULT_ARGON2.parallelism, 1, 64),
});

/** Every environment variable the server reads. */
export const CONFIG_VARS: readonly string[] = Object.keys(schema.shape);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
}

/**
 * Reads and validates the environment once, at start. Throws `ConfigError` with one line that
 * names the variable and says what is expected.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, the way shells and .env files usually mean them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${name} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const publicUrl = new URL(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash || publicUrl.username) {
    throw new ConfigError(`PUBLIC_URL must be an origin such as https://auth.example.com (got "${e.PUBLIC_URL}")`);
  }
  const https = publicUrl.protocol === 'https:';
  if (production && !https && !isLoopbackUrl(publicUrl)) {
    throw new ConfigError('PUBLIC_URL must use https in production (cookies and tokens would travel in clear)');
  }
  if (e.SESSION_IDLE_TTL > e.SESSION_ABSOLUTE_TTL) {
    throw new ConfigError('SESSION_IDLE_TTL must not exceed SESSION_ABSOLUTE_TTL');
  }
  if (e.ACCESS_TOKEN_TTL < 60_000 || e.ACCESS_TOKEN_TTL > 24 * 3_600_000) {
    throw new ConfigError('ACCESS_TOKEN_TTL must be between 1m and 24h (RFC 9700 §4.14: short-lived access tokens)');
  }
  if (e.REFRESH_IDLE_TTL > e.REFRESH_ABSOLUTE_TTL) {
    throw new ConfigError('REFRESH_IDLE_TTL must not exceed REFRESH_ABSOLUTE_TTL');
  }
  // RFC 9700 §4.14.2: within the window a replayed token is not detected as reuse, so keep it short.
  if (e.REFRESH_REUSE_GRACE > MAX_REFRESH_REUSE_GRACE_MS) {
    throw new ConfigError(`REFRESH_REUSE_GRACE must be at most ${MAX_REFRESH_REUSE_GRACE_MS / 1000}s (0 turns it off)`);
  }
  const upstream = e.OIDC_UPSTREAM_ISSUER;
  if (upstream && !e.OIDC_UPSTREAM_CLIENT_ID) {
    throw new ConfigError('OIDC_UPSTREAM_CLIENT_ID is required when OIDC_UPSTREAM_ISSUER is set');
  }
  if (e.OIDC_UPSTREAM_CLIENT_AUTH && !e.OIDC_UPSTREAM_CLIENT_SECRET) {
    throw new ConfigError('OIDC_UPSTREAM_CLIENT_AUTH names how to send OIDC_UPSTREAM_CLIENT_SECRET, which is not set');
  }
  // Discovery, keys and the client secret would travel in clear (and could be swapped in
  // transit); plain http is for a provider on this machine only.
  if (upstream && new URL(upstream).protocol === 'http:' && !isLoopbackUrl(new URL(upstream))) {
    throw new ConfigError(
      `OIDC_UPSTREAM_ISSUER must use https; plain http is allowed only on a loopback host such as 127.0.0.1 (got "${upstream}")`,
    );
  }
  const seedDemo = e.SEED_DEMO ?? !production;
  // The demo accounts' password is in the README: reachable from the network, they are anyone's.
  if (!isLoopbackHost(e.HOST) && seedDemo && e.DEMO_PASSWORD === PUBLISHED_DEMO_PASSWORD) {
    throw new ConfigError(
      `HOST=${e.HOST} is not a loopback address and the demo accounts would have the password printed in the README: set DEMO_PASSWORD to one of your own, or SEED_DEMO=false`,
    );
  }
  const argon2 = { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST, parallelism: e.ARGON2_PARALLELISM };
  try {
    assertStrongArgon2(argon2);
  } catch (error) {
    throw new ConfigError(`ARGON2_MEMORY_KIB/ARGON2_TIME_COST: ${(error as Error).message}`);
  }
  return {
    production,
    host: e.HOST,
    port: e.PORT,
    publicUrl: publicUrl.origin,
    https,
    secureCookies: https || isLoopbackUrl(publicUrl),
    dataDir: resolve(e.DATA_DIR),
    redisUrl: e.REDIS_URL,
    trustProxy: e.TRUST_PROXY,
    session: { idleTtlMs: e.SESSION_IDLE_TTL, absoluteTtlMs: e.SESSION_ABSOLUTE_TTL },
    jwt: {
      accessTokenTtlSec: Math.floor(e.ACCESS_TOKEN_TTL / 1000),
      refreshIdleTtlMs: e.REFRESH_IDLE_TTL,
      refreshAbsoluteTtlMs: e.REFRESH_ABSOLUTE_TTL,
      refreshReuseGraceMs: e.REFRESH_REUSE_GRACE,
      keyRotationIntervalMs: e.JWT_KEY_ROTATION_INTERVAL,
    },
    demoPassword: e.DEMO_PASSWORD,
    // Production seeds nothing unless asked for explicitly.
    seedDemo,
    oidcUpstream: upstream
      ? {
          issuer: upstream,
          clientId: e.OIDC_UPSTREAM_CLIENT_ID ?? '',
          clientSecret: e.OIDC_UPSTREAM_CLIENT_SECRET,
          clientAuth: e.OIDC_UPSTREAM_CLIENT_AUTH,
        }
      : undefined,
    logLevel: e.LOG_LEVEL,
    argon2,
  };
}
