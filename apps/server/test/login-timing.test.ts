import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPEN_LOGIN_LIMITS } from '@authlab/auth-core';
import { Client, startTestServer, type TestServer } from './support/server.ts';

// Issue 15 item 2: a wrong password costs the same whichever kind of hash the account has, or
// none; and bcrypt verification of the legacy account does not run on the event loop. Measured
// (medians, ratios against the run's own durations), never by counting calls; the margins are
// wide so a loaded 2-core machine does not make them flaky.

const WRONG = 'not-the-right-password';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

async function timedLogin(server: TestServer, email: string): Promise<number> {
  const started = performance.now();
  const response = await new Client(server.url).login(email, WRONG);
  const elapsed = performance.now() - started;
  assert.equal(response.status, 401, `${email}: ${JSON.stringify(response.body)}`);
  return elapsed;
}

describe('wrong passwords cost the same, and bcrypt stays off the event loop', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ loginLimits: OPEN_LOGIN_LIMITS });
  });
  after(() => server.stop());

  it('answers an unknown email, an argon2id account and the bcrypt account in the same median time', async () => {
    const paths = {
      unknown: 'nobody@example.com',
      argon2id: 'alice@example.com',
      bcrypt: 'legacy@example.com',
    } as const;
    const samples: Record<keyof typeof paths, number[]> = { unknown: [], argon2id: [], bcrypt: [] };
    for (const email of Object.values(paths)) await timedLogin(server, email); // warm-up
    // Interleaved, so load from other processes falls on every path alike.
    for (let round = 0; round < 15; round++) {
      for (const [path, email] of Object.entries(paths) as Array<[keyof typeof paths, string]>) {
        samples[path].push(await timedLogin(server, email));
      }
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([path, times]) => [path, median(times)]));
    const values = Object.values(medians);
    const spread = Math.max(...values) / Math.min(...values);
    // Before the fix: bcrypt ≈ 2.5 × unknown. A shared margin of 1.5 × absorbs the noise.
    assert.ok(spread < 1.5, `medians differ by ${spread.toFixed(2)}×: ${JSON.stringify(medians)}`);
  });

  it('keeps answering /healthz and the event loop mostly idle while 30 bcrypt verifications run', async () => {
    const utilizationBefore = performance.eventLoopUtilization();
    const started = performance.now();
    let finished = 0;
    const burst = Promise.all(
      Array.from({ length: 30 }, async () => {
        await timedLogin(server, 'legacy@example.com');
        finished++;
      }),
    );
    // /healthz every 100 ms for as long as the burst lasts (this test shares the server's loop).
    const health: number[] = [];
    while (finished < 30) {
      const t0 = performance.now();
      const response = await fetch(new URL('/healthz', server.url));
      assert.equal(response.status, 200);
      health.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await burst;
    const burstMs = performance.now() - started;
    // The share of the burst the event loop spent running JavaScript rather than waiting for I/O.
    const utilization = performance.eventLoopUtilization(utilizationBefore).utilization;
    const slowestHealth = Math.max(...health);
    const report = JSON.stringify({ burstMs, utilization, health: health.map(Math.round) });
    // Relative to the burst's own duration, never an absolute wall-clock limit. Before the fix:
    // one /healthz waited ~90 % of the burst and the loop was busy ~100 % of it.
    assert.ok(slowestHealth < burstMs / 4, `/healthz waited a large part of the burst: ${report}`);
    assert.ok(utilization < 0.5, `the event loop was busy verifying: ${report}`);
  });
});
