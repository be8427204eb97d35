/** The re-check loop of `pnpm lab start`: one round at a time, saves during a round queue one more. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialRuns } from '../src/watch.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));
/** Lets the event loop turn until `condition` holds; fails after many turns instead of hanging. */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 1000) assert.fail('the runs did not get there');
    await turn();
  }
}

/** A task whose runs the test ends one at a time. */
function controlledTask() {
  const ends: Array<() => void> = [];
  const counts = { started: 0, running: 0, mostAtOnce: 0 };
  const task = async () => {
    counts.started += 1;
    counts.running += 1;
    counts.mostAtOnce = Math.max(counts.mostAtOnce, counts.running);
    await new Promise<void>((resolve) => ends.push(resolve));
    counts.running -= 1;
  };
  const endOne = () => ends.shift()?.();
  return { task, endOne, counts };
}

test('saves during a round queue exactly one more round, never one per save', async () => {
  const { task, endOne, counts } = controlledTask();
  const runs = serialRuns(task, (error) => assert.fail(String(error)));
  runs.request();
  await until(() => counts.started === 1);
  for (let save = 0; save < 5; save++) runs.request();
  endOne();
  await until(() => counts.started === 2);
  runs.request(); // a save during the queued round: one more again
  endOne();
  await until(() => counts.started === 3);
  endOne();
  await until(() => counts.running === 0);
  for (let i = 0; i < 10; i++) await turn();
  assert.equal(counts.started, 3, 'the first round, one for the five saves, one for the last save');
  await runs.idle();
  assert.equal(counts.mostAtOnce, 1, 'never two rounds at once');

  runs.request();
  await until(() => counts.started === 4);
  endOne();
  await runs.idle();
  assert.equal(counts.started, 4, 'a save after the queue ran dry starts a round again');
});

test('a round that throws is reported and the next request still runs', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const runs = serialRuns(
    async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    },
    (error) => errors.push(error),
  );
  runs.request();
  await runs.idle();
  runs.request();
  await runs.idle();
  assert.equal(calls, 2);
  assert.deepEqual(
    errors.map((error) => (error as Error).message),
    ['boom'],
  );
});
