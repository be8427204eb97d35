import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../src/config.ts';

/** Asserts that `env` is refused with a one-line ConfigError that starts with `variable`. */
function assertRefused(env: Record<string, string>, variable: string) {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError for ${JSON.stringify(env)}, got ${String(error)}`);
      assert.ok(
        error.message.startsWith(variable),
        `message for ${JSON.stringify(env)} does not start with ${variable}: ${error.message}`,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('listens on port 4000 at http://localhost:4000', () => {
      const config = loadConfig({});
      assert.equal(config.port, 4000);
      assert.equal(config.publicUrl, 'http://localhost:4000');
      assert.equal(config.https, false);
    });

    it('derives the default PUBLIC_URL from PORT', () => {
      assert.equal(loadConfig({ PORT: '4100' }).publicUrl, 'http://localhost:4100');
    });

    it('keeps data in ./.data, trusts no proxy and uses the OWASP argon2id parameters', () => {
      const config = loadConfig({});
      assert.equal(config.dataDir, resolve('.data'));
      assert.equal(config.trustProxy, 0);
      assert.equal(config.redisUrl, undefined);
      assert.deepEqual(config.argon2, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    });

    it('treats empty variables as unset', () => {
      const config = loadConfig({ PORT: '', PUBLIC_URL: '', REDIS_URL: '' });
      assert.equal(config.port, 4000);
      assert.equal(config.redisUrl, undefined);
    });

    it('uses Secure cookies on a loopback origin, where browsers allow them over http', () => {
      for (const url of [
        'http://localhost:4000',
        'http://127.0.0.1:4000',
        'http://[::1]:4000',
        'http://app.localhost',
      ]) {
        assert.equal(loadConfig({ PUBLIC_URL: url }).secureCookies, true, url);
      }
      assert.equal(loadConfig({}).secureCookies, true);
    });

    it('uses Secure cookies on https and not on plain http to another host', () => {
      assert.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com' }).secureCookies, true);
      assert.equal(loadConfig({ PUBLIC_URL: 'http://192.168.1.20:4000' }).secureCookies, false);
    });

    it('seeds the demo accounts in development', () => {
      assert.equal(loadConfig({}).seedDemo, true);
      assert.equal(loadConfig({ NODE_ENV: 'development' }).seedDemo, true);
      assert.equal(loadConfig({ SEED_DEMO: 'false' }).seedDemo, false);
    });

    it('seeds nothing in production unless SEED_DEMO=true', () => {
      const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com' };
      assert.equal(loadConfig(production).production, true);
      assert.equal(loadConfig(production).seedDemo, false);
      assert.equal(loadConfig({ ...production, SEED_DEMO: 'true' }).seedDemo, true);
    });

    it('normalises PUBLIC_URL to its origin', () => {
      assert.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl, 'https://auth.example.com');
      assert.equal(loadConfig({ PUBLIC_URL: 'https://auth.example.com:443' }).publicUrl, 'https://auth.example.com');
    });
  });

  describe('bad values', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: 'abc' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ PORT: '-1' }, 'PORT'],
      [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'http://x/path' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'http://x?query=1' }, 'PUBLIC_URL'],
      [{ PUBLIC_URL: 'http://user:pass@x' }, 'PUBLIC_URL'],
      [{ SESSION_IDLE_TTL: 'soon' }, 'SESSION_IDLE_TTL'],
      [{ SESSION_IDLE_TTL: '0' }, 'SESSION_IDLE_TTL'],
      [{ ACCESS_TOKEN_TTL: '15 minutes' }, 'ACCESS_TOKEN_TTL'],
      [{ TRUST_PROXY: '-1' }, 'TRUST_PROXY'],
      [{ TRUST_PROXY: 'yes' }, 'TRUST_PROXY'],
      [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ ARGON2_MEMORY_KIB: '1024' }, 'ARGON2_MEMORY_KIB'],
      [{ SEED_DEMO: 'maybe' }, 'SEED_DEMO'],
      [{ DEMO_PASSWORD: 'short' }, 'DEMO_PASSWORD'],
    ];
    for (const [env, variable] of cases) {
      const [name, value] = Object.entries(env)[0] ?? [];
      it(`refuses ${name}=${value} with a one-line error naming ${variable}`, () => {
        assertRefused(env, variable);
      });
    }

    it('refuses an http PUBLIC_URL that is not loopback in production', () => {
      assertRefused({ NODE_ENV: 'production', PUBLIC_URL: 'http://auth.example.com' }, 'PUBLIC_URL');
    });

    it('accepts https, or a loopback http origin, in production', () => {
      assert.equal(
        loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com' }).publicUrl,
        'https://auth.example.com',
      );
      assert.equal(loadConfig({ NODE_ENV: 'production' }).publicUrl, 'http://localhost:4000');
    });

    it('refuses an idle timeout longer than the absolute one', () => {
      assertRefused({ SESSION_IDLE_TTL: '13h', SESSION_ABSOLUTE_TTL: '12h' }, 'SESSION_IDLE_TTL');
      assertRefused({ REFRESH_IDLE_TTL: '31d', REFRESH_ABSOLUTE_TTL: '30d' }, 'REFRESH_IDLE_TTL');
    });

    it('refuses an upstream OIDC issuer without a client id', () => {
      assertRefused({ OIDC_UPSTREAM_ISSUER: 'https://id.example.com' }, 'OIDC_UPSTREAM_CLIENT_ID');
    });
  });

  describe('listening address (HOST)', () => {
    const OWN_PASSWORD = 'a-password-nobody-has-read-in-the-readme';

    it('listens on loopback by default', () => {
      assert.equal(loadConfig({}).host, '127.0.0.1');
    });

    it('takes any loopback address, and any address once DEMO_PASSWORD is changed', () => {
      for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
        assert.equal(loadConfig({ HOST: host }).host, host);
      for (const host of ['0.0.0.0', '::', '192.0.2.10', 'auth.example.com']) {
        assert.equal(loadConfig({ HOST: host, DEMO_PASSWORD: OWN_PASSWORD }).host, host);
      }
    });

    it('refuses every non-loopback HOST while the demo accounts are seeded with the published password', () => {
      for (const host of ['0.0.0.0', '::', '192.0.2.10', '::ffff:192.0.2.10', 'auth.example.com', '127.0.0.1.nip.io']) {
        assertRefused({ HOST: host }, 'HOST');
        assertRefused({ HOST: host, DEMO_PASSWORD: 'correct-horse-battery-staple' }, 'HOST');
      }
    });

    it('takes a non-loopback HOST when no demo accounts are seeded (production, or SEED_DEMO=false)', () => {
      assert.equal(loadConfig({ HOST: '0.0.0.0', SEED_DEMO: 'false' }).host, '0.0.0.0');
      assert.equal(
        loadConfig({ HOST: '0.0.0.0', NODE_ENV: 'production', PUBLIC_URL: 'https://a.example' }).host,
        '0.0.0.0',
      );
    });

    it('refuses a HOST that is not an address or a host name', () => {
      for (const host of ['http://0.0.0.0', '0.0.0.0:4000', 'two words', '[::1]'])
        assertRefused({ HOST: host }, 'HOST');
    });
  });

  describe('durations', () => {
    it('reads a bare number as seconds, and s, m, h and d units', () => {
      assert.equal(parseDuration('900'), 900_000);
      assert.equal(parseDuration('900s'), 900_000);
      assert.equal(parseDuration('15m'), 900_000);
      assert.equal(parseDuration('12h'), 43_200_000);
      assert.equal(parseDuration('30d'), 2_592_000_000);
      assert.equal(parseDuration('250ms'), 250);
    });

    it('refuses words, signs, fractions and zero', () => {
      for (const text of ['soon', '-5m', '1.5h', '0', '15 m', '', '12w']) {
        assert.equal(parseDuration(text), null, text);
      }
    });

    it('applies the parsed durations to the configuration', () => {
      const config = loadConfig({
        SESSION_IDLE_TTL: '900',
        SESSION_ABSOLUTE_TTL: '12h',
        ACCESS_TOKEN_TTL: '15m',
        REFRESH_IDLE_TTL: '7d',
        REFRESH_ABSOLUTE_TTL: '30d',
      });
      assert.deepEqual(config.session, { idleTtlMs: 900_000, absoluteTtlMs: 43_200_000 });
      assert.deepEqual(config.jwt, {
        accessTokenTtlSec: 900,
        refreshIdleTtlMs: 7 * 86_400_000,
        refreshAbsoluteTtlMs: 30 * 86_400_000,
        refreshReuseGraceMs: 30_000,
        keyRotationIntervalMs: 90 * 86_400_000,
      });
    });

    it('takes REFRESH_REUSE_GRACE from 0 (off) to 60s, 30s by default, and refuses more', () => {
      assert.equal(loadConfig({}).jwt.refreshReuseGraceMs, 30_000);
      assert.equal(loadConfig({ REFRESH_REUSE_GRACE: '0' }).jwt.refreshReuseGraceMs, 0);
      assert.equal(loadConfig({ REFRESH_REUSE_GRACE: '10s' }).jwt.refreshReuseGraceMs, 10_000);
      assert.equal(loadConfig({ REFRESH_REUSE_GRACE: '1m' }).jwt.refreshReuseGraceMs, 60_000);
      assert.throws(() => loadConfig({ REFRESH_REUSE_GRACE: '61s' }), /^ConfigError: REFRESH_REUSE_GRACE/);
      assert.throws(() => loadConfig({ REFRESH_REUSE_GRACE: 'soon' }), /^ConfigError: REFRESH_REUSE_GRACE/);
    });

    it('refuses an access-token lifetime outside 1 minute to 24 hours', () => {
      assert.throws(() => loadConfig({ ACCESS_TOKEN_TTL: '30s' }), /^ConfigError: ACCESS_TOKEN_TTL/);
      assert.throws(() => loadConfig({ ACCESS_TOKEN_TTL: '2d' }), /^ConfigError: ACCESS_TOKEN_TTL/);
    });
  });
});
