import assert from 'node:assert/strict';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';

const ALICE = { email: 'alice@example.com', password: 'trustno1' };
const BOB = { email: 'bob@example.com', password: 'correct horse battery staple' };

const login = (lab: LabTarget, email: string, password: string) => postJson(lab, '/login', { email, password });

const argon2Verifications = async (lab: LabTarget): Promise<number> => {
  const { argon2Verifications } = (await (await fetch(`${lab.url}/metrics`)).json()) as { argon2Verifications: number };
  return argon2Verifications;
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timed(lab: LabTarget, email: string, password: string): Promise<number> {
  const started = performance.now();
  await (await login(lab, email, password)).text();
  return performance.now() - started;
}

/**
 * Counting verifications is not enough: one against a cheap argon2 hash counts the same and
 * answers at once. So the time is measured too, interleaved (load hits both kinds alike), as
 * medians with a wide margin: the real thing is near 1:1, the cheats are near 1:20 or worse.
 */
async function assertAsSlowAsAWrongPassword(lab: LabTarget): Promise<void> {
  const wrong: number[] = [];
  const unknown: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    wrong.push(await timed(lab, round % 2 ? BOB.email : ALICE.email, `timing-${round}`));
    unknown.push(await timed(lab, `nobody-${round}@example.com`, `timing-${round}`));
  }
  const [w, u] = [median(wrong), median(unknown)];
  assert.ok(
    u >= w / 2,
    `an unknown account answers in ${u.toFixed(1)} ms, a wrong password in ${w.toFixed(1)} ms (medians of 5): the difference tells who has an account`,
  );
}

export default defineChecks([
  {
    name: 'alice signs in with her password, also after two typos',
    async run(lab) {
      assert.equal((await login(lab, ALICE.email, ALICE.password)).status, 200);
      assert.equal((await login(lab, ALICE.email, 'trustno2')).status, 401);
      assert.equal((await login(lab, ALICE.email, 'trustnol')).status, 401);
      assert.equal((await login(lab, ALICE.email, ALICE.password)).status, 200, 'two typos must not lock alice out');
    },
  },
  {
    name: "an attack on alice's account does not lock bob out (he signs in from the same address)",
    async run(lab) {
      for (let i = 0; i < 8; i += 1) await login(lab, ALICE.email, `guess-${i}`);
      const bob = await login(lab, BOB.email, BOB.password);
      assert.equal(bob.status, 200, `bob got ${bob.status} ${await bob.text()}: limit the IP+account pair first`);
    },
  },
  {
    name: 'ten wrong passwords get 429 too_many_attempts with Retry-After, and the lock lifts when that time has passed',
    partOfTheFix: true,
    async run(lab) {
      let last = await login(lab, ALICE.email, 'wrong-0');
      for (let i = 1; i < 10; i += 1) last = await login(lab, ALICE.email, `wrong-${i}`);
      assert.equal(last.status, 429, 'the 10th wrong password in a row should be refused with 429');
      assert.deepEqual(await last.json(), { error: 'too_many_attempts' });
      const retryAfter = Number(last.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After should be 1–3600 seconds, not "${retryAfter}"`);
      const early = await login(lab, ALICE.email, ALICE.password);
      assert.equal(early.status, 429, 'while locked, even the right password must wait (or the next guess wins)');
      await lab.advanceClock(retryAfter * 1000);
      const later = await login(lab, ALICE.email, ALICE.password);
      assert.equal(later.status, 200, `after Retry-After (${retryAfter} s) alice should sign in, got ${later.status}`);
    },
  },
  {
    name: 'one client failing against 30 different accounts is refused with 429 before the end, whatever X-Forwarded-For it claims',
    partOfTheFix: true,
    async run(lab) {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        // A password spray that claims a new client address each time: a lock per account cannot
        // see it, and a per-IP count keyed on a header the client writes never grows.
        const headers = { 'x-forwarded-for': `198.51.100.${i + 1}` };
        statuses.push(
          (await postJson(lab, '/login', { email: `user${i}@example.com`, password: 'password1' }, headers)).status,
        );
      }
      assert.ok(
        statuses.includes(429),
        `no 429 among ${statuses.length} failures from one client rotating X-Forwarded-For: count per socket IP, not per header`,
      );
    },
  },
  {
    name: 'an unknown account gets the same 401 invalid_credentials and costs the same argon2 work as a wrong password',
    partOfTheFix: true,
    async run(lab) {
      await assertAsSlowAsAWrongPassword(lab);
      const before = await argon2Verifications(lab);
      const wrong = await login(lab, ALICE.email, 'not-her-password');
      const afterWrong = await argon2Verifications(lab);
      const unknown = await login(lab, 'nobody@example.com', 'not-her-password');
      const afterUnknown = await argon2Verifications(lab);
      assert.equal(
        afterUnknown - afterWrong,
        afterWrong - before,
        `a wrong password ran ${afterWrong - before} argon2 verification(s), an unknown account ${afterUnknown - afterWrong}`,
      );
      assert.deepEqual([wrong.status, await wrong.json()], [401, { error: 'invalid_credentials' }]);
      assert.deepEqual([unknown.status, await unknown.json()], [401, { error: 'invalid_credentials' }]);
    },
  },
  {
    // A limit that resets too soon is no limit: an attacker who waits out a one-minute window
    // still gets 20 guesses a minute.
    name: 'failures ten minutes apart still add up: five wrong passwords within 15 minutes lock the pair',
    partOfTheFix: true,
    async run(lab) {
      for (let i = 0; i < 3; i += 1) await login(lab, ALICE.email, `early-${i}`);
      await lab.advanceClock(10 * 60_000);
      for (let i = 0; i < 2; i += 1) await login(lab, ALICE.email, `later-${i}`);
      const next = await login(lab, ALICE.email, ALICE.password);
      assert.equal(
        next.status,
        429,
        `after 3 failures and 2 more 10 minutes later, the next attempt answered ${next.status}: count them in one 15-minute window`,
      );
    },
  },
  {
    // The attacker holds one account of its own (anyone can sign up): if its success cleared the
    // address's count, a sign-in every 19 guesses would reset the limit for good.
    name: "a success clears that account's own count only: the address's failures before it still count",
    partOfTheFix: true,
    async run(lab) {
      const spray = async (from: number, count: number) => {
        const statuses: number[] = [];
        for (let i = from; i < from + count; i += 1)
          statuses.push((await login(lab, `user${i}@example.com`, 'password1')).status);
        return statuses;
      };
      await spray(0, 15);
      const own = await login(lab, BOB.email, BOB.password);
      assert.equal(own.status, 200, 'bob signs in from that address after 15 failures (the limit is 20)');
      const after = await spray(15, 10);
      assert.ok(
        after.includes(429),
        `15 failures, bob's success, then 10 more failures: none got 429 (${after.join(' ')}); a success must not clear the address's count`,
      );
    },
  },
]);
