import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { NativeAuthError, type Vault } from '../src/types.ts';
import {
  chooseVault,
  defaultAuthlabHome,
  FileVault,
  type FileVaultOptions,
  KeyringVault,
  MemoryVault,
} from '../src/vaults/index.ts';

const root = mkdtempSync(join(tmpdir(), 'authlab-vaults-'));
after(() => rmSync(root, { recursive: true, force: true }));
let homes = 0;
/** A path for a fresh AUTHLAB_HOME under the temp root (not created). */
const freshHome = () => join(root, `home-${homes++}`);

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Asserts a NativeAuthError with `code` whose message matches every pattern. */
const nativeAuthError =
  (code: string, ...patterns: (RegExp | string)[]) =>
  (error: unknown) => {
    assert.ok(error instanceof NativeAuthError, `expected NativeAuthError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const pattern of patterns) {
      if (typeof pattern === 'string')
        assert.ok(error.message.includes(pattern), `"${pattern}" not in: ${error.message}`);
      else assert.match(error.message, pattern);
    }
    return true;
  };

/**
 * What every vault must do. Accounts are unique per run, and removed after each test, so a real
 * key store shared with the person's own secrets is left as it was found.
 */
function vaultBehaviour(makeVault: () => Vault) {
  let vault: Vault;
  const used = new Set<string>();
  const account = (name: string) => {
    const unique = `test-${randomBytes(4).toString('hex')}:${name}`;
    used.add(unique);
    return unique;
  };

  beforeEach(() => {
    vault = makeVault();
  });
  afterEach(async () => {
    for (const name of used) await vault.delete(name);
    used.clear();
  });

  it('answers null for an account it has never seen', async () => {
    assert.equal(await vault.get(account('missing')), null);
  });

  it('returns what was set, and null once it is deleted', async () => {
    const alice = account('alice');
    await vault.set(alice, 'refresh-token-1');
    assert.equal(await vault.get(alice), 'refresh-token-1');
    await vault.delete(alice);
    assert.equal(await vault.get(alice), null);
  });

  it('replaces the secret of an account on a second set (a rotated refresh token)', async () => {
    const alice = account('alice');
    await vault.set(alice, 'old');
    await vault.set(alice, 'new');
    assert.equal(await vault.get(alice), 'new');
  });

  it('keeps accounts apart: setting or deleting one leaves the others alone', async () => {
    const oidc = account('oidc:http://localhost:4000');
    const jwt = account('jwt:http://localhost:4000');
    await vault.set(oidc, 'oidc-secret');
    await vault.set(jwt, 'jwt-secret');
    assert.equal(await vault.get(oidc), 'oidc-secret');
    assert.equal(await vault.get(jwt), 'jwt-secret');
    await vault.delete(oidc);
    assert.equal(await vault.get(oidc), null);
    assert.equal(await vault.get(jwt), 'jwt-secret');
  });

  it('deletes an absent account without complaint', async () => {
    await vault.delete(account('never-set'));
  });

  it('keeps unicode and long secrets byte for byte', async () => {
    const secrets = [
      'pässwörd-🔑-秘密-ключ',
      'e\u0301 (combining) and e\u00e9 (precomposed)',
      JSON.stringify({ refreshToken: 'x'.repeat(2048), idToken: 'a.b.c', note: '"quotes" \\ back\nslash' }),
    ];
    for (const [index, secret] of secrets.entries()) {
      const name = account(`unicode-${index}`);
      await vault.set(name, secret);
      assert.equal(await vault.get(name), secret);
    }
  });

  it('treats account names as opaque strings (even __proto__)', async () => {
    const proto = account('__proto__');
    await vault.set(proto, 'p');
    assert.equal(await vault.get(proto), 'p');
  });
}

describe('MemoryVault', () => {
  vaultBehaviour(() => new MemoryVault());

  it('is of kind memory', () => {
    assert.equal(new MemoryVault().kind, 'memory');
  });
});

describe('FileVault: the shared behaviour', () => {
  vaultBehaviour(() => new FileVault({ home: freshHome(), acknowledgeUnprotected: true }));
});

describe('FileVault', () => {
  const open = (home = freshHome()) => new FileVault({ home, acknowledgeUnprotected: true });

  it('refuses to exist without the opt-in, explaining the risk and AUTHLAB_VAULT=file', () => {
    const home = freshHome();
    const file = join(home, 'vault.json');
    const optIn = nativeAuthError('vault_opt_in_required', file, /readable by any program/, 'AUTHLAB_VAULT=file');
    assert.throws(() => new FileVault({ home, acknowledgeUnprotected: false }), optIn);
    assert.throws(() => new FileVault({ home } as FileVaultOptions), optIn);
    assert.equal(existsSync(home), false);
  });

  it('names its file in kind and in the warning CLIs print', () => {
    const home = freshHome();
    const vault = open(home);
    const file = join(home, 'vault.json');
    assert.equal(vault.file, file);
    assert.equal(vault.kind, `file (${file})`);
    assert.equal(
      vault.warning,
      `the refresh token is stored in ${file}, readable by anything running as you; it is not protected by the OS key store`,
    );
  });

  it('takes an explicit file instead of <home>/vault.json', async () => {
    const file = join(freshHome(), 'elsewhere', 'tokens.json');
    const vault = new FileVault({ file, acknowledgeUnprotected: true });
    await vault.set('a', 's');
    assert.equal(vault.file, file);
    assert.equal(modeOf(file), 0o600);
  });

  it('creates the directory 0700 and writes the file 0600, also after an overwrite', async () => {
    const home = freshHome();
    const vault = open(home);
    const file = join(home, 'vault.json');
    await vault.set('a', 'one');
    assert.equal(modeOf(home), 0o700);
    assert.equal(modeOf(file), 0o600);
    await vault.set('a', 'two');
    await vault.set('b', 'three');
    assert.equal(modeOf(home), 0o700);
    assert.equal(modeOf(file), 0o600);
  });

  it('sets those modes exactly even under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      const home = freshHome();
      await open(home).set('a', 'one');
      assert.equal(modeOf(home), 0o700);
      assert.equal(modeOf(join(home, 'vault.json')), 0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    const home = freshHome();
    const vault = open(home);
    for (let i = 0; i < 10; i++) await vault.set(`account-${i % 3}`, `secret-${i}`);
    await vault.delete('account-0');
    assert.deepEqual(readdirSync(home), ['vault.json']);
    assert.deepEqual(JSON.parse(readFileSync(join(home, 'vault.json'), 'utf8')), {
      version: 1,
      entries: { 'account-1': 'secret-7', 'account-2': 'secret-8' },
    });
  });

  it('loses nothing when sets run concurrently', async () => {
    const vault = open();
    await Promise.all(Array.from({ length: 25 }, (_, i) => vault.set(`account-${i}`, `secret-${i}`)));
    for (let i = 0; i < 25; i++) assert.equal(await vault.get(`account-${i}`), `secret-${i}`);
  });

  it('is read back by a later instance (another run of the CLI)', async () => {
    const home = freshHome();
    await open(home).set('a', 'kept');
    assert.equal(await open(home).get('a'), 'kept');
  });

  it('creates nothing on disk for reads and deletes, and removes the file with its last entry', async () => {
    const home = freshHome();
    const vault = open(home);
    assert.equal(await vault.get('a'), null);
    await vault.delete('a');
    assert.equal(existsSync(home), false);
    await vault.set('a', 'one');
    await vault.delete('a');
    assert.deepEqual(readdirSync(home), []);
  });

  describe('refuses a vault file others can read (mode or owner), and leaves it untouched', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      it(`mode ${mode.toString(8)}: vault_insecure naming the file and the chmod that fixes it`, async () => {
        const home = freshHome();
        const vault = open(home);
        const file = join(home, 'vault.json');
        await vault.set('a', 'secret');
        chmodSync(file, mode);
        const before = readFileSync(file, 'utf8');
        const insecure = nativeAuthError('vault_insecure', file, `chmod 600 ${file}`, /may have been read/);
        await assert.rejects(vault.get('a'), insecure);
        await assert.rejects(vault.set('b', 'other'), insecure);
        await assert.rejects(vault.delete('a'), insecure);
        assert.equal(readFileSync(file, 'utf8'), before);
        assert.equal(modeOf(file), mode);

        chmodSync(file, 0o600);
        assert.equal(await vault.get('a'), 'secret');
      });
    }

    const isRoot = process.getuid?.() === 0;
    it('owned by another user: vault_insecure', { skip: isRoot ? false : 'needs root to chown' }, async () => {
      const home = freshHome();
      const vault = open(home);
      const file = join(home, 'vault.json');
      await vault.set('a', 'secret');
      chownSync(file, 65534, 65534);
      await assert.rejects(vault.get('a'), nativeAuthError('vault_insecure', file, /another user/));
    });
  });

  describe('refuses a file that is not a vault, naming it, and never resets it', () => {
    const cases: [string, string, RegExp][] = [
      ['invalid JSON', '{"version":1,"entries":{', /not valid JSON/],
      ['an empty file', '', /not valid JSON/],
      ['an array', '[]', /no "version"/],
      ['another format version', '{"version":2,"entries":{}}', /format version is 2/],
      ['entries that are not an object', '{"version":1,"entries":"a"}', /"entries" is not an object/],
      ['a secret that is not a string', '{"version":1,"entries":{"a":42}}', /entry "a" is not a string/],
    ];
    for (const [name, content, why] of cases) {
      it(name, async () => {
        const home = freshHome();
        const vault = open(home);
        await vault.set('a', 'secret');
        const file = join(home, 'vault.json');
        writeFileSync(file, content);
        const corrupt = nativeAuthError('vault_corrupt', file, why, /left untouched/);
        await assert.rejects(vault.get('a'), corrupt);
        await assert.rejects(vault.set('a', 'new'), corrupt);
        await assert.rejects(vault.delete('a'), corrupt);
        assert.equal(readFileSync(file, 'utf8'), content);
      });
    }
  });
});

const probe = await KeyringVault.probe();

if (probe.available) {
  describe('KeyringVault: the shared behaviour, against the real OS key store', () => {
    const service = `authlab-test-${randomBytes(4).toString('hex')}`;
    vaultBehaviour(() => new KeyringVault({ service }));

    it('is what chooseVault picks by default', async () => {
      const vault = await chooseVault({ env: {}, home: freshHome() });
      assert.equal(vault.warning, undefined);
      assert.ok(vault instanceof KeyringVault);
    });
  });
} else {
  // Headless machines (CI, containers, SSH) have no Secret Service: pin what happens then.
  describe(`KeyringVault where the OS key store is unavailable (${probe.reason})`, () => {
    const store =
      process.platform === 'darwin' ? /Keychain/ : process.platform === 'win32' ? /Credential/ : /Secret Service/;

    it('probe() says so, with a reason naming the store and the file opt-in', () => {
      assert.equal(probe.available, false);
      assert.match(probe.reason, store);
      assert.match(probe.reason, /AUTHLAB_VAULT=file/);
    });

    it('rejects every operation with vault_unavailable instead of falling back', async () => {
      const vault = new KeyringVault({ service: 'authlab-test' });
      const unavailable = nativeAuthError('vault_unavailable', store, 'AUTHLAB_VAULT=file');
      await assert.rejects(vault.get('a'), unavailable);
      await assert.rejects(vault.set('a', 'secret'), unavailable);
      await assert.rejects(vault.delete('a'), unavailable);
    });

    for (const env of [{}, { AUTHLAB_VAULT: '' }, { AUTHLAB_VAULT: 'keyring' }]) {
      it(`chooseVault(${JSON.stringify(env)}) rejects with vault_unavailable and writes no file`, async () => {
        const home = freshHome();
        await assert.rejects(chooseVault({ env, home }), nativeAuthError('vault_unavailable', 'AUTHLAB_VAULT=file'));
        assert.equal(existsSync(home), false);
      });
    }
  });
}

describe('KeyringVault', () => {
  it('names the store of each platform in kind', () => {
    assert.equal(new KeyringVault({ platform: 'linux' }).kind, 'keyring (Secret Service)');
    assert.equal(new KeyringVault({ platform: 'darwin' }).kind, 'keyring (macOS Keychain)');
    assert.equal(new KeyringVault({ platform: 'win32' }).kind, 'keyring (Windows Credential Manager)');
  });

  it("uses the service name 'authlab' unless told otherwise", () => {
    assert.equal(new KeyringVault().service, 'authlab');
    assert.equal(new KeyringVault({ service: 'authlab-dev' }).service, 'authlab-dev');
  });
});

describe('chooseVault', () => {
  it('memory: a MemoryVault, with no warning', async () => {
    const vault = await chooseVault({ env: { AUTHLAB_VAULT: 'memory' } });
    assert.equal(vault.warning, undefined);
    assert.ok(vault instanceof MemoryVault);
  });

  it('file: a FileVault at <home>/vault.json, the variable being the opt-in, with its warning', async () => {
    const home = freshHome();
    const vault = await chooseVault({ env: { AUTHLAB_VAULT: 'file' }, home });
    assert.ok(vault instanceof FileVault);
    assert.equal(vault.file, join(home, 'vault.json'));
    assert.match(vault.warning ?? '', /not protected by the OS key store/);
    await vault.set('a', 'secret');
    assert.equal(modeOf(join(home, 'vault.json')), 0o600);
  });

  it('file: under AUTHLAB_HOME when no home is passed', async () => {
    const home = freshHome();
    const vault = await chooseVault({ env: { AUTHLAB_VAULT: 'file', AUTHLAB_HOME: home } });
    assert.ok(vault instanceof FileVault);
    assert.equal(vault.file, join(home, 'vault.json'));
  });

  it('accepts the name in any case, around spaces', async () => {
    assert.ok((await chooseVault({ env: { AUTHLAB_VAULT: ' Memory ' } })) instanceof MemoryVault);
  });

  it('rejects an unknown name with vault_unknown, listing the choices', async () => {
    await assert.rejects(
      chooseVault({ env: { AUTHLAB_VAULT: 'plaintext' } }),
      nativeAuthError('vault_unknown', 'AUTHLAB_VAULT=plaintext', 'keyring, file, memory'),
    );
  });
});

describe('defaultAuthlabHome', () => {
  it('AUTHLAB_HOME wins on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.equal(defaultAuthlabHome({ AUTHLAB_HOME: '/srv/authlab', HOME: '/home/ada' }, platform), '/srv/authlab');
    }
  });

  it('Linux: $XDG_CONFIG_HOME/authlab, else ~/.config/authlab', () => {
    assert.equal(
      defaultAuthlabHome({ HOME: '/home/ada', XDG_CONFIG_HOME: '/home/ada/.cfg' }, 'linux'),
      '/home/ada/.cfg/authlab',
    );
    assert.equal(defaultAuthlabHome({ HOME: '/home/ada' }, 'linux'), '/home/ada/.config/authlab');
    assert.equal(defaultAuthlabHome({ HOME: '/home/ada', AUTHLAB_HOME: '' }, 'linux'), '/home/ada/.config/authlab');
  });

  it('Linux: ignores a relative XDG_CONFIG_HOME, as the XDG spec requires', () => {
    assert.equal(
      defaultAuthlabHome({ HOME: '/home/ada', XDG_CONFIG_HOME: 'cfg' }, 'linux'),
      '/home/ada/.config/authlab',
    );
  });

  it('other Unix follows the Linux rule', () => {
    assert.equal(defaultAuthlabHome({ HOME: '/home/ada' }, 'freebsd'), '/home/ada/.config/authlab');
  });

  it('macOS: ~/Library/Application Support/authlab, whatever XDG_CONFIG_HOME says', () => {
    assert.equal(
      defaultAuthlabHome({ HOME: '/Users/ada', XDG_CONFIG_HOME: '/Users/ada/.config' }, 'darwin'),
      '/Users/ada/Library/Application Support/authlab',
    );
  });

  it('Windows: %APPDATA%\\authlab, else %USERPROFILE%\\AppData\\Roaming\\authlab', () => {
    assert.equal(
      defaultAuthlabHome({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming', USERPROFILE: 'C:\\Users\\ada' }, 'win32'),
      'C:\\Users\\ada\\AppData\\Roaming\\authlab',
    );
    assert.equal(
      defaultAuthlabHome({ USERPROFILE: 'C:\\Users\\ada' }, 'win32'),
      'C:\\Users\\ada\\AppData\\Roaming\\authlab',
    );
  });
});
