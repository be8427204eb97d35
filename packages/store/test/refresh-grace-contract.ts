import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RefreshFamily, RotateOutcome, RotationGrace, Store } from '../src/index.ts';
import { countOutcomes, newFamily, REFRESH_IDLE_TTL, tokenHash } from './contract.ts';

const WINDOW = 30_000;

/** A stand-in for a successor sealed for the presented token (the store treats it as opaque text). */
const grace = (): RotationGrace => ({ sealedSuccessor: randomBytes(40).toString('base64url'), windowMs: WINDOW });

/**
 * The reuse grace window of `RefreshTokenRepository.rotate` (RFC 9700 §4.14.2 with a retry
 * leeway), run inside the store contract (SQLite and Redis) with its fresh store and manual clock.
 */
export function describeRefreshGraceContract(
  current: () => Store,
  clock: { now: () => number; advance: (ms: number) => void },
): void {
  describe('refresh tokens: the reuse grace window', () => {
    const refresh = () => current().refreshTokens;
    /** `null`: a rotation without a grace window. */
    const rotate = (hash: string, next = tokenHash(), withGrace: RotationGrace | null = grace()) =>
      refresh().rotate(hash, next, clock.now(), REFRESH_IDLE_TTL, withGrace ?? undefined);

    /** A live family with its first token rotated (with a grace window) into `next`. */
    async function rotatedFamily() {
      const user = await current().users.create({
        email: `grace-${randomBytes(6).toString('hex')}@example.com`,
        role: 'user',
        passwordHash: '$argon2id$fake',
      });
      const created = newFamily(user.id, clock.now());
      const token = tokenHash();
      await refresh().createFamily(created, token);
      clock.advance(1_000);
      const next = tokenHash();
      const sealed = grace();
      const rotated = await rotate(token, next, sealed);
      assert.equal(rotated.outcome, 'rotated');
      const family = (rotated as { family: RefreshFamily }).family;
      return { family, token, next, sealed: sealed.sealedSuccessor };
    }

    it('hands back the same sealed successor when a rotated token returns within its window, and changes nothing', async () => {
      const { family, token, next, sealed } = await rotatedFamily();
      clock.advance(WINDOW - 1);
      const retryNext = tokenHash();
      assert.deepEqual(await rotate(token, retryNext), { outcome: 'replayed', family, sealedSuccessor: sealed });
      assert.deepEqual(await refresh().getFamily(family.id), family, 'not revoked, expiry not moved');
      assert.equal(await refresh().findFamilyByToken(retryNext), null, 'a retry stores no token of its own');
      assert.equal((await rotate(next)).outcome, 'rotated', 'the successor is still the live token');
    });

    it('revokes the family when the rotated token returns once the window has ended', async () => {
      const { family, token, next } = await rotatedFamily();
      clock.advance(WINDOW);
      const late = await rotate(token);
      assert.equal(late.outcome, 'reused');
      assert.equal((await refresh().getFamily(family.id))?.revokedReason, 'reuse_detected');
      assert.deepEqual(await rotate(next), { outcome: 'invalid' }, 'the successor died with its family');
    });

    it('revokes the family when the rotated token returns after its successor was used, even within the window', async () => {
      const { family, token, next } = await rotatedFamily();
      const newest = tokenHash();
      assert.equal((await rotate(next, newest)).outcome, 'rotated');
      clock.advance(1_000);
      assert.equal((await rotate(token)).outcome, 'reused');
      assert.equal((await refresh().getFamily(family.id))?.revokedReason, 'reuse_detected');
      assert.deepEqual(await rotate(newest), { outcome: 'invalid' });
    });

    it('gives a token of a family revoked meanwhile nothing, within the window too', async () => {
      const { family, token } = await rotatedFamily();
      assert.equal(await refresh().revokeFamily(family.id, clock.now(), 'logout'), true);
      const replay = await rotate(token);
      assert.equal(replay.outcome, 'reused');
      assert.equal(replay.outcome === 'reused' && replay.family.revokedReason, 'logout');
    });

    it('keeps strict reuse detection for a rotation made without a grace window', async () => {
      const user = await current().users.create({ email: 'strict@example.com', role: 'user', passwordHash: 'x' });
      const created = newFamily(user.id, clock.now());
      const token = tokenHash();
      await refresh().createFamily(created, token);
      assert.equal((await rotate(token, tokenHash(), null)).outcome, 'rotated');
      assert.equal((await rotate(token)).outcome, 'reused');
      assert.equal((await refresh().getFamily(created.id))?.revokedReason, 'reuse_detected');
    });

    it('makes 50 concurrent presentations of one token converge: one rotation, 49 replays of its successor', async () => {
      const user = await current().users.create({ email: 'converge@example.com', role: 'user', passwordHash: 'x' });
      const created = newFamily(user.id, clock.now());
      const token = tokenHash();
      await refresh().createFamily(created, token);
      const attempts = Array.from({ length: 50 }, () => ({ next: tokenHash(), grace: grace() }));
      const results: RotateOutcome[] = await Promise.all(attempts.map((a) => rotate(token, a.next, a.grace)));
      assert.deepEqual(countOutcomes(results), { rotated: 1, replayed: 49, reused: 0, invalid: 0 });
      const winner = attempts[results.findIndex((r) => r.outcome === 'rotated')];
      const handedBack = new Set(results.flatMap((r) => (r.outcome === 'replayed' ? [r.sealedSuccessor] : [])));
      assert.deepEqual([...handedBack], [winner?.grace.sealedSuccessor], "every replay got the winner's successor");
      const stored = await Promise.all(attempts.map((a) => refresh().findFamilyByToken(a.next)));
      assert.deepEqual(
        attempts.filter((_, i) => stored[i] !== null).map((a) => a.next),
        [winner?.next],
        'only the winner stored its next token',
      );
      assert.equal((await refresh().getFamily(created.id))?.revokedAt, null);
    });
  });
}
