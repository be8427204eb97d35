import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import argon2 from 'argon2';
import {
  AuthError,
  assertStrongArgon2,
  DEFAULT_ARGON2,
  legacyBcryptHash,
  MAX_PASSWORD_BYTES,
  PasswordHasher,
} from '../src/index.ts';

const PASSWORD = 'correct-horse-battery-staple';

/** `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` → its parts (the parameters may come in any order). */
function parsePhc(hash: string) {
  const match = /^\$(argon2(?:id|i|d))\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(
    hash,
  );
  assert.ok(match?.[3], `not a PHC argon2 string: ${hash}`);
  const params = Object.fromEntries(match[3].split(',').map((pair) => pair.split('=')));
  return {
    type: match[1],
    version: Number(match[2]),
    memoryCost: Number(params.m),
    timeCost: Number(params.t),
    parallelism: Number(params.p),
  };
}

const isPasswordTooLong = (error: unknown) => {
  assert.ok(error instanceof AuthError);
  assert.equal(error.code, 'password_too_long');
  assert.equal(error.status, 400);
  return true;
};

/** Counts calls to argon2.hash / argon2.verify while `work` runs (the hasher calls them through the module object). */
async function countArgon2Calls(work: () => Promise<unknown>): Promise<number> {
  const module = argon2 as unknown as Record<'hash' | 'verify', (...args: unknown[]) => Promise<unknown>>;
  const original = { hash: module.hash, verify: module.verify };
  let calls = 0;
  module.hash = (...args) => {
    calls += 1;
    return original.hash(...args);
  };
  module.verify = (...args) => {
    calls += 1;
    return original.verify(...args);
  };
  try {
    await work().catch(() => {});
  } finally {
    module.hash = original.hash;
    module.verify = original.verify;
  }
  return calls;
}

describe('PasswordHasher', () => {
  let hasher: PasswordHasher;
  let aliceHash: string;

  before(async () => {
    hasher = await PasswordHasher.create();
    aliceHash = await hasher.hash(PASSWORD);
  });

  describe('hashing', () => {
    it('hashes with argon2id at the OWASP parameters m=19456 KiB, t=2, p=1', () => {
      assert.deepEqual(parsePhc(aliceHash), {
        type: 'argon2id',
        version: 19,
        memoryCost: 19_456,
        timeCost: 2,
        parallelism: 1,
      });
    });

    it('salts every hash, so the same password never hashes twice to the same string', async () => {
      assert.notEqual(await hasher.hash(PASSWORD), aliceHash);
    });
  });

  describe('verification', () => {
    it('accepts the right password', async () => {
      assert.deepEqual(await hasher.verify(aliceHash, PASSWORD), { ok: true, needsRehash: false });
    });

    it('refuses a wrong password', async () => {
      const result = await hasher.verify(aliceHash, 'correct-horse-battery-stapler');
      assert.equal(result.ok, false);
    });

    it('reports no rehash for a hash at the current parameters', async () => {
      assert.equal((await hasher.verify(aliceHash, PASSWORD)).needsRehash, false);
    });

    it('verifies a legacy bcrypt hash and asks for a rehash', async () => {
      const bcryptHash = await legacyBcryptHash(PASSWORD, 4);
      assert.match(bcryptHash, /^\$2[aby]\$/);
      assert.deepEqual(await hasher.verify(bcryptHash, PASSWORD), { ok: true, needsRehash: true });
      assert.equal((await hasher.verify(bcryptHash, 'not-the-password')).ok, false);
    });

    it('verifies an argon2id hash with older, weaker-but-allowed parameters and asks for a rehash', async () => {
      const older = await argon2.hash(PASSWORD, {
        type: argon2.argon2id,
        memoryCost: 12_288,
        timeCost: 3,
        parallelism: 1,
      });
      assert.equal(parsePhc(older).memoryCost, 12_288);
      assert.deepEqual(await hasher.verify(older, PASSWORD), { ok: true, needsRehash: true });
    });

    it('verifies an argon2i hash and asks for a rehash to argon2id', async () => {
      const argon2i = await argon2.hash(PASSWORD, { type: argon2.argon2i, ...DEFAULT_ARGON2 });
      assert.equal(parsePhc(argon2i).type, 'argon2i');
      assert.deepEqual(await hasher.verify(argon2i, PASSWORD), { ok: true, needsRehash: true });
    });

    it('never signs anyone in with a corrupt hash, and does not throw', async () => {
      const corrupt = [
        '',
        'plaintext-password',
        '$argon2id$',
        '$argon2id$garbage',
        '$argon2id$v=19$m=abc',
        aliceHash.slice(0, -10),
        '$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
        '$2b$10$short',
        `$2y$99$${'a'.repeat(53)}`,
        `$2b$04$${'!'.repeat(53)}`,
      ];
      for (const hash of corrupt) {
        const result = await hasher.verify(hash, PASSWORD);
        assert.equal(result.ok, false, `signed in with ${JSON.stringify(hash)}`);
      }
    });

    it('verifies a login against argon2id, bcrypt or no hash at all: only the right password passes', async () => {
      const bcryptHash = await legacyBcryptHash(PASSWORD);
      assert.deepEqual(await hasher.verifyLogin(aliceHash, PASSWORD), { ok: true, needsRehash: false });
      assert.deepEqual(await hasher.verifyLogin(bcryptHash, PASSWORD), { ok: true, needsRehash: true });
      for (const hash of [aliceHash, bcryptHash, null, 'not-a-hash']) {
        assert.deepEqual(await hasher.verifyLogin(hash, 'not-the-password'), { ok: false, needsRehash: false });
      }
      assert.equal((await hasher.verifyLogin(null, PASSWORD)).ok, false);
    });

    it('does the argon2 work for an unknown account and resolves false (verifyDummy)', async () => {
      const calls = await countArgon2Calls(async () => {
        assert.equal(await hasher.verifyDummy(PASSWORD), false);
      });
      assert.equal(calls, 1);
    });
  });

  describe('length', () => {
    const tooLong = 'a'.repeat(MAX_PASSWORD_BYTES + 1);

    it('refuses a password over 1024 bytes with password_too_long (400) before any hashing', async () => {
      const calls = await countArgon2Calls(async () => {
        await assert.rejects(hasher.hash(tooLong), isPasswordTooLong);
        await assert.rejects(hasher.verify(aliceHash, tooLong), isPasswordTooLong);
        await assert.rejects(hasher.verifyDummy(tooLong), isPasswordTooLong);
      });
      assert.equal(calls, 0);
    });

    it('counts bytes, not characters: 342 three-byte characters are too long', async () => {
      const snowmen = '☃'.repeat(342); // 1026 bytes, 342 characters
      await assert.rejects(hasher.hash(snowmen), isPasswordTooLong);
    });

    it('accepts a password of exactly 1024 bytes', async () => {
      const longest = 'b'.repeat(MAX_PASSWORD_BYTES);
      const hash = await hasher.hash(longest);
      assert.equal((await hasher.verify(hash, longest)).ok, true);
    });

    it('never truncates: two 1000-byte passwords differing only in the last character do not match', async () => {
      const first = `${'x'.repeat(999)}1`;
      const second = `${'x'.repeat(999)}2`;
      const hash = await hasher.hash(first);
      assert.equal((await hasher.verify(hash, first)).ok, true);
      assert.equal((await hasher.verify(hash, second)).ok, false);
    });

    it('never lets a bcrypt hash accept a password over 72 bytes, even when the first 72 bytes match', async () => {
      const prefix = 'p'.repeat(72);
      const bcryptHash = await legacyBcryptHash(prefix, 4);
      assert.equal((await hasher.verify(bcryptHash, prefix)).ok, true);
      assert.equal((await hasher.verify(bcryptHash, `${prefix}anything`)).ok, false);
      // The same holds when the hash was made from the long password itself (bcrypt would read only 72 bytes).
      const longHash = await legacyBcryptHash(`${prefix}secret-tail`, 4);
      assert.equal((await hasher.verify(longHash, `${prefix}secret-tail`)).ok, false);
      assert.equal((await hasher.verify(longHash, `${prefix}other-tail`)).ok, false);
    });
  });

  describe('Unicode', () => {
    it('hashes and verifies a Unicode password', async () => {
      const password = 'пароль-密码-🔐-contraseña';
      const hash = await hasher.hash(password);
      assert.equal((await hasher.verify(hash, password)).ok, true);
      assert.equal((await hasher.verify(hash, 'пароль-密码-🔓-contraseña')).ok, false);
    });

    it('matches NFKC-equivalent forms of the same password (composed and decomposed, ligatures)', async () => {
      const composed = 'caf\u00e9-\ufb01ne-password'; // é as one code point, "ﬁ" ligature
      const decomposed = 'cafe\u0301-fine-password'; // e + combining acute, plain "fi"
      assert.notEqual(composed, decomposed);
      const hash = await hasher.hash(composed);
      assert.equal((await hasher.verify(hash, decomposed)).ok, true);
      const bcryptHash = await legacyBcryptHash(decomposed, 4);
      assert.equal((await hasher.verify(bcryptHash, composed)).ok, true);
    });
  });
});

describe('assertStrongArgon2', () => {
  it('refuses parameters weaker than the OWASP minimum', () => {
    for (const weak of [
      { memoryCost: 8_192, timeCost: 2, parallelism: 1 },
      { memoryCost: 19_456, timeCost: 1, parallelism: 1 },
      { memoryCost: 7_168, timeCost: 4, parallelism: 1 },
      { memoryCost: 19_456, timeCost: 2, parallelism: 0 },
    ]) {
      assert.throws(() => assertStrongArgon2(weak), /weaker than the OWASP minimum/, JSON.stringify(weak));
    }
  });

  it('accepts every row of the OWASP table', () => {
    for (const [memoryCost, timeCost] of [
      [47_104, 1],
      [19_456, 2],
      [12_288, 3],
      [9_216, 4],
      [7_168, 5],
    ] as const) {
      assert.doesNotThrow(() => assertStrongArgon2({ memoryCost, timeCost, parallelism: 1 }));
    }
  });

  it('is enforced when a hasher is created', async () => {
    await assert.rejects(
      PasswordHasher.create({ memoryCost: 8_192, timeCost: 2, parallelism: 1 }),
      /weaker than the OWASP minimum/,
    );
  });
});

describe('password length after normalisation', () => {
  it('refuses input that NFKC expands past 1024 bytes', async () => {
    const { checkPasswordInput } = await import('../src/passwords.ts');
    // U+FDFA is 3 bytes and becomes 18 characters (33 bytes) under NFKC.
    const expanding = '\uFDFA'.repeat(100);
    assert.ok(Buffer.byteLength(expanding) <= 1024);
    assert.throws(() => checkPasswordInput(expanding), { code: 'password_too_long' });
  });
});
