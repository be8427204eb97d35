/**
 * Joins in progress on the class board: a start needs no code, so one host flooding starts must
 * push out only its own waiting joins, never a classmate's between its start and its finish.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ephemeralKey } from '../src/class/join-handshake.ts';
import { PendingJoins } from '../src/class/pending-joins.ts';

const joinKey = randomBytes(32);
const start = (joins: PendingJoins, name: string, from: string) =>
  joins.start(name, ephemeralKey().publicKey, 'S'.repeat(22), joinKey, from).participant;

test("a flood of starts from one address evicts that address's own joins, not another's", () => {
  const joins = new PendingJoins(() => 1_000);
  const ada = start(joins, 'Ada', '10.0.0.5');
  const flood = Array.from({ length: 300 }, (_, i) => start(joins, `bot${i}`, '10.0.0.66'));
  assert.equal(joins.take(ada)?.name, 'Ada', "Ada's join still waits for her proof");
  assert.equal(joins.take(flood[0] as string), null, "the flooder's oldest starts are gone");
  assert.equal(joins.take(flood.at(-1) as string)?.name, 'bot299', 'its latest still waits');
});
