/**
 * @authlab/testkit starts the server as a process for the clients' tests, `pnpm lab compare` and
 * `pnpm soak`, with an environment cleared of every variable the server reads. Its list must be
 * the server's own, or a variable set in the shell would leak into those servers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVER_VARIABLES, serverEnv } from '@authlab/testkit';
import { CONFIG_VARS } from '../src/config.ts';

describe("the testkit's server environment", () => {
  it('clears exactly the variables config.ts reads', () => {
    assert.deepEqual([...SERVER_VARIABLES].sort(), [...CONFIG_VARS].sort());
  });

  it('lets none of them through from the parent process, only what the caller sets', () => {
    const saved = { ...process.env };
    try {
      for (const name of CONFIG_VARS) process.env[name] = 'from-the-shell';
      const env = serverEnv({ PORT: '4321' });
      const leaked = CONFIG_VARS.filter((name) => env[name] === 'from-the-shell');
      assert.deepEqual(leaked, []);
      assert.equal(env.PORT, '4321');
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
