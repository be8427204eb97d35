import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DataDirError,
  jwtKeyRingPath,
  loadSecrets,
  oidcKeyRingPath,
  readKeyRingFile,
  writeNewSecrets,
} from '../src/index.ts';

const development = { production: false };
const production = { production: true };

const modeOf = (path: string) => statSync(path).mode & 0o777;
const keysFile = (dataDir: string) => join(dataDir, 'secrets', 'session-keys');
const ringFile = (dataDir: string) => join(dataDir, 'secrets', 'jwt-keys.json');

/** Asserts a DataDirError whose message names `file` (and matches `also`, when given). */
const dataDirError = (file: string, also?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof DataDirError, `expected DataDirError, got ${String(error)}`);
  assert.ok(error.message.includes(file), `message does not name ${file}: ${error.message}`);
  if (also) assert.match(error.message, also);
  return true;
};

describe('loadSecrets', () => {
  let root: string;
  let n = 0;
  /** A path for a fresh DATA_DIR under the suite's temp root (not created). */
  const newPath = () => join(root, `data-${n++}`);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'authlab-secrets-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('generates secrets into a missing DATA_DIR, with 0700 directories and a 0600 file', () => {
    const dataDir = newPath();
    const secrets = loadSecrets(dataDir, development);
    assert.equal(secrets.generated, true);
    assert.equal(secrets.sessionKeys.length, 1);
    assert.ok(Buffer.from(secrets.sessionKeys[0] ?? '', 'base64url').length >= 32);
    assert.equal(modeOf(dataDir), 0o700);
    assert.equal(modeOf(join(dataDir, 'secrets')), 0o700);
    assert.equal(modeOf(keysFile(dataDir)), 0o600);
  });

  it('generates secrets into an empty DATA_DIR', () => {
    const dataDir = newPath();
    mkdirSync(dataDir);
    const secrets = loadSecrets(dataDir, development);
    assert.equal(secrets.generated, true);
    assert.equal(modeOf(join(dataDir, 'secrets')), 0o700);
    assert.equal(modeOf(keysFile(dataDir)), 0o600);
  });

  it('loads the same keys on the next start, without generating', () => {
    const dataDir = newPath();
    const first = loadSecrets(dataDir, development);
    const second = loadSecrets(dataDir, development);
    assert.equal(second.generated, false);
    assert.deepEqual(second.sessionKeys, first.sessionKeys);
  });

  it('loads existing secrets in production too', () => {
    const dataDir = newPath();
    const first = loadSecrets(dataDir, development);
    assert.deepEqual(loadSecrets(dataDir, production), {
      sessionKeys: first.sessionKeys,
      jwtKeyRingFile: ringFile(dataDir),
      oidcKeyRingFile: oidcKeyRingPath(dataDir),
      oidcWebClientSecret: first.oidcWebClientSecret,
      generated: false,
    });
  });

  it('generates the OpenID Provider key ring and the web client secret, and names either when missing', () => {
    const dataDir = newPath();
    const first = loadSecrets(dataDir, development);
    assert.equal(modeOf(oidcKeyRingPath(dataDir)), 0o600);
    assert.match(first.oidcWebClientSecret, /^[A-Za-z0-9_-]{43}$/);
    const secretFile = join(dataDir, 'secrets', 'oidc-web-client-secret');
    assert.equal(modeOf(secretFile), 0o600);
    rmSync(secretFile);
    assert.throws(
      () => loadSecrets(dataDir, development),
      (error: Error) => {
        assert.ok(error instanceof DataDirError);
        assert.ok(error.message.includes(secretFile));
        return true;
      },
    );
    rmSync(oidcKeyRingPath(dataDir));
    assert.throws(
      () => loadSecrets(dataDir, development),
      (error: Error) => error.message.includes('oidc-keys.json'),
    );
  });

  it('generates the JWT key ring into a brand-new DATA_DIR: mode 0600, one current and one next key', () => {
    const dataDir = newPath();
    const secrets = loadSecrets(dataDir, development);
    assert.equal(secrets.jwtKeyRingFile, ringFile(dataDir));
    assert.equal(jwtKeyRingPath(dataDir), ringFile(dataDir));
    assert.equal(modeOf(ringFile(dataDir)), 0o600);
    assert.deepEqual(
      readKeyRingFile(ringFile(dataDir)).keys.map((k) => k.state),
      ['current', 'next'],
    );
  });

  it('keeps the same key ring on the next start', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    const ring = readFileSync(ringFile(dataDir), 'utf8');
    loadSecrets(dataDir, development);
    assert.equal(readFileSync(ringFile(dataDir), 'utf8'), ring);
  });

  it('stops start-up, naming jwt-keys.json, when a DATA_DIR has session keys but no key ring', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    rmSync(ringFile(dataDir));
    assert.throws(() => loadSecrets(dataDir, development), dataDirError(ringFile(dataDir), /missing.*pnpm keys init/));
    assert.throws(() => loadSecrets(dataDir, production), dataDirError(ringFile(dataDir)));
    assert.equal(existsSync(ringFile(dataDir)), false, 'no new ring was minted');
  });

  it('stops start-up, naming jwt-keys.json, when the key ring is corrupt', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    for (const junk of ['', 'not json', '{"version":1,"keys":[]}', '{"version":2,"keys":[]}']) {
      writeFileSync(ringFile(dataDir), junk);
      assert.throws(() => loadSecrets(dataDir, development), dataDirError(ringFile(dataDir), /corrupt/));
    }
  });

  it('keeps every key of a rolled key file, the first one first', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    const keys = [randomBytes(32).toString('base64url'), randomBytes(48).toString('base64url')];
    writeFileSync(keysFile(dataDir), `${keys.join('\n')}\n`);
    assert.deepEqual(loadSecrets(dataDir, development).sessionKeys, keys);
  });

  it('stops start-up, naming the file, when a DATA_DIR holds data but no session keys', () => {
    const dataDir = newPath();
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'authlab.db'), 'existing data');
    assert.throws(() => loadSecrets(dataDir, development), dataDirError(keysFile(dataDir), /already holds data/));
    assert.throws(() => loadSecrets(dataDir, production), dataDirError(keysFile(dataDir)));
  });

  it('never mints a new key over a DATA_DIR that lost its key file', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    rmSync(keysFile(dataDir));
    assert.throws(() => loadSecrets(dataDir, development), dataDirError(keysFile(dataDir)));
  });

  it('stops start-up, naming the file, when a key is too short', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    writeFileSync(keysFile(dataDir), `${randomBytes(16).toString('base64url')}\n`);
    assert.throws(() => loadSecrets(dataDir, development), dataDirError(keysFile(dataDir), /corrupt/));
  });

  it('stops start-up, naming the file, when the key file holds junk', () => {
    const dataDir = newPath();
    loadSecrets(dataDir, development);
    for (const junk of ['not a key at all, just some words that are long enough!!\n', '\n\n', '']) {
      writeFileSync(keysFile(dataDir), junk);
      assert.throws(() => loadSecrets(dataDir, development), dataDirError(keysFile(dataDir), /corrupt/));
    }
  });

  it('never generates secrets in production: a brand-new DATA_DIR asks for `pnpm secrets init`', () => {
    const dataDir = newPath();
    assert.throws(() => loadSecrets(dataDir, production), dataDirError(keysFile(dataDir), /pnpm secrets init/));
    mkdirSync(dataDir);
    assert.throws(() => loadSecrets(dataDir, production), dataDirError(keysFile(dataDir), /pnpm secrets init/));
  });
});

describe('writeNewSecrets', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'authlab-secrets-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to overwrite existing secrets and leaves them as they were', () => {
    const written = writeNewSecrets(dataDir);
    const original = readFileSync(keysFile(dataDir), 'utf8');
    assert.equal(original, `${written.sessionKeys.join('\n')}\n`);
    assert.throws(() => writeNewSecrets(dataDir), dataDirError(keysFile(dataDir), /refusing to overwrite/));
    assert.equal(readFileSync(keysFile(dataDir), 'utf8'), original);
  });

  it('refuses to overwrite an existing key ring, writing nothing', () => {
    const other = join(dataDir, 'only-a-ring');
    mkdirSync(join(other, 'secrets'), { recursive: true });
    writeFileSync(ringFile(other), 'an existing ring');
    assert.throws(() => writeNewSecrets(other), dataDirError(ringFile(other), /refusing to overwrite/));
    assert.equal(readFileSync(ringFile(other), 'utf8'), 'an existing ring');
    assert.equal(existsSync(keysFile(other)), false);
  });
});
