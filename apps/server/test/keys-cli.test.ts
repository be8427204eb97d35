import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { jwtKeyRingPath, oidcKeyRingPath, readKeyRingFile, writeNewSecrets } from '@authlab/auth-core';
import { runCli, tableRows } from './support/cli.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('pnpm keys', () => {
  let dir: string;
  let env: { DATA_DIR: string };
  let ringFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authlab-keys-cli-'));
    env = { DATA_DIR: join(dir, 'data') };
    ringFile = jwtKeyRingPath(env.DATA_DIR);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the two keys of a new DATA_DIR made by `pnpm secrets init`', async () => {
    const init = await runCli('secrets', ['init'], env);
    assert.equal(init.code, 0, init.stderr);

    const list = await runCli('keys', ['list'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = tableRows(list.stdout);
    assert.deepEqual(rows[0], ['kid', 'state', 'created', 'activated', 'retired', 'alg']);
    assert.equal(rows.length, 3);
    const stored = readKeyRingFile(ringFile).keys;
    const current = rows.find((row) => row[1] === 'current');
    const next = rows.find((row) => row[1] === 'next');
    assert.equal(current?.[0], stored.find((k) => k.state === 'current')?.kid);
    assert.equal(next?.[0], stored.find((k) => k.state === 'next')?.kid);
    assert.match(current?.[2] ?? '', ISO);
    assert.match(current?.[3] ?? '', ISO);
    assert.equal(current?.[4], '-');
    assert.match(next?.[2] ?? '', ISO);
    assert.deepEqual(next?.slice(3), ['-', '-', 'EdDSA']);
  });

  it('never prints private key material', async () => {
    writeNewSecrets(env.DATA_DIR);
    const list = await runCli('keys', ['list'], env);
    const rotate = await runCli('keys', ['rotate', '--force'], env);
    for (const key of readKeyRingFile(ringFile).keys) {
      for (const output of [list.stdout, list.stderr, rotate.stdout, rotate.stderr]) {
        assert.ok(!output.includes(key.jwk.d));
      }
    }
  });

  it('rotate makes the old next key current; list then shows three keys in their new states', async () => {
    writeNewSecrets(env.DATA_DIR);
    const before = readKeyRingFile(ringFile).keys;
    const oldCurrent = before.find((k) => k.state === 'current')?.kid ?? '';
    const oldNext = before.find((k) => k.state === 'next')?.kid ?? '';

    // --force: the ring was made a moment ago (key-rotation-cached-jwks.test.ts pins the refusal).
    const rotate = await runCli('keys', ['rotate', '--force'], env);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, new RegExp(`current key is now ${oldNext}`));
    assert.match(rotate.stdout, /running instances pick it up within seconds/);
    assert.match(rotate.stdout, /previous key keep working until they expire/);

    const list = await runCli('keys', ['list'], env);
    assert.equal(list.code, 0, list.stderr);
    const rows = tableRows(list.stdout).slice(1);
    assert.equal(rows.length, 3);
    const stateOf = (kid: string) => rows.find((row) => row[0] === kid)?.[1];
    assert.equal(stateOf(oldNext), 'current');
    assert.equal(stateOf(oldCurrent), 'previous');
    const newNext = rows.find((row) => row[1] === 'next')?.[0] ?? '';
    assert.ok(newNext !== oldCurrent && newNext !== oldNext);
    const previous = rows.find((row) => row[0] === oldCurrent);
    assert.match(previous?.[4] ?? '', ISO, 'the previous key shows when it was retired');
    assert.equal(modeOf(ringFile), 0o600);
  });

  it('rotates the OpenID Provider ring with --ring oidc and leaves the JWT ring alone', async () => {
    writeNewSecrets(env.DATA_DIR);
    const oidcFile = oidcKeyRingPath(env.DATA_DIR);
    const jwtBefore = readFileSync(ringFile, 'utf8');
    // Two lines, EdDSA (Ed25519) and RS256 (RSA): both rotate.
    const nextOf = (kty: string) =>
      readKeyRingFile(oidcFile).keys.find((k) => k.state === 'next' && k.jwk.kty === kty)?.kid ?? '';
    const oldNext = nextOf('OKP');
    const oldNextRsa = nextOf('RSA');

    const rotate = await runCli('keys', ['rotate', '--ring', 'oidc', '--force'], env);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, new RegExp(`current key is now ${oldNext} \\(EdDSA\\), ${oldNextRsa} \\(RS256\\)`));
    assert.match(rotate.stdout, /ID tokens: 1 h/);
    const currents = readKeyRingFile(oidcFile)
      .keys.filter((k) => k.state === 'current')
      .map((k) => k.kid);
    assert.deepEqual(currents.sort(), [oldNext, oldNextRsa].sort());
    assert.equal(readFileSync(ringFile, 'utf8'), jwtBefore, 'the JWT ring is untouched');

    const list = await runCli('keys', ['list', '--ring', 'oidc'], env);
    assert.deepEqual(
      tableRows(list.stdout)
        .slice(1)
        .map((row) => `${row[5]}:${row[1]}`)
        .sort(),
      ['EdDSA:current', 'EdDSA:next', 'EdDSA:previous', 'RS256:current', 'RS256:next', 'RS256:previous'],
    );

    const bad = await runCli('keys', ['list', '--ring', 'saml'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--ring takes jwt or oidc/);
  });

  it('init refuses to overwrite an existing ring and leaves it as it was', async () => {
    writeNewSecrets(env.DATA_DIR);
    const original = readFileSync(ringFile, 'utf8');
    const init = await runCli('keys', ['init'], env);
    assert.equal(init.code, 1);
    assert.match(init.stderr, /already exists; refusing to overwrite/);
    assert.ok(init.stderr.includes(ringFile));
    assert.equal(readFileSync(ringFile, 'utf8'), original);
  });

  it('init creates a ring where the file is missing, with mode 0600', async () => {
    writeNewSecrets(env.DATA_DIR);
    rmSync(ringFile);
    const refused = await runCli('keys', ['list'], env);
    assert.equal(refused.code, 1);
    assert.ok(refused.stderr.includes(ringFile), refused.stderr);
    assert.match(refused.stderr, /pnpm keys init/);

    const init = await runCli('keys', ['init'], env);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /created .*jwt-keys\.json/);
    assert.equal(modeOf(ringFile), 0o600);
    assert.deepEqual(
      readKeyRingFile(ringFile)
        .keys.map((k) => k.state)
        .sort(),
      ['current', 'next'],
    );
    const list = await runCli('keys', ['list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(tableRows(list.stdout).length, 3);
  });

  it('init in a DATA_DIR without secrets points to `pnpm secrets init` and creates nothing', async () => {
    const init = await runCli('keys', ['init'], env);
    assert.equal(init.code, 1);
    assert.match(init.stderr, /pnpm secrets init/);
    assert.equal(existsSync(env.DATA_DIR), false);
  });

  it('rotate refuses a corrupt ring with a message naming the file, changing nothing', async () => {
    mkdirSync(join(env.DATA_DIR, 'secrets'), { recursive: true });
    writeFileSync(ringFile, 'not json');
    const rotate = await runCli('keys', ['rotate'], env);
    assert.equal(rotate.code, 1);
    assert.ok(rotate.stderr.includes(ringFile), rotate.stderr);
    assert.match(rotate.stderr, /corrupt/);
    assert.equal(readFileSync(ringFile, 'utf8'), 'not json');
  });

  it('answers an unknown command with exit 1 and the usage text', async () => {
    const result = await runCli('keys', ['remove'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown command "remove"/);
    assert.match(result.stderr, /usage: pnpm keys <command>/);
  });

  it('answers a missing command, an extra argument or an unknown option with exit 1 and the usage text', async () => {
    for (const args of [[], ['list', 'extra'], ['rotate', '--now']]) {
      const result = await runCli('keys', args, env);
      assert.equal(result.code, 1, `pnpm keys ${args.join(' ')}`);
      assert.match(result.stderr, /usage: pnpm keys <command>/);
    }
  });

  it('prints the usage on --help, exit 0, touching nothing', async () => {
    const result = await runCli('keys', ['--help'], env);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /usage: pnpm keys <command>/);
    assert.match(result.stdout, /list/);
    assert.match(result.stdout, /rotate/);
    assert.match(result.stdout, /init/);
    assert.equal(existsSync(env.DATA_DIR), false);
  });

  it('reports a bad environment value in one line, exit 1', async () => {
    writeNewSecrets(env.DATA_DIR);
    const result = await runCli('keys', ['rotate'], { ...env, ACCESS_TOKEN_TTL: 'soon' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^pnpm keys: ACCESS_TOKEN_TTL /);
  });
});
