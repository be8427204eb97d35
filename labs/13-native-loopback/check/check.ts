import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineChecks, type LabTarget } from '@authlab/lab-kit';
import { accepts, addressFromTheWifi } from '../attack/another-machine.ts';

interface SignIn {
  authorizeUrl: string;
  redirectUri: string;
  listenerPort: number;
}

const PASSWORDS: Record<string, string> = { alice: 'alice-in-wonderland', mallory: 'mallory-signs-up-too' };

/** The "Sign in" button. */
async function startSignIn(lab: LabTarget): Promise<SignIn> {
  const response = await fetch(`${lab.url}/sign-in`, { method: 'POST' });
  assert.equal(response.status, 200, 'POST /sign-in answers 200');
  return (await response.json()) as SignIn;
}

/** Signs in at the authorization server; with `follow`, the browser then goes on to the listener. */
const submitSignIn = (authorizeUrl: string | URL, username: string, redirect: 'follow' | 'manual') =>
  fetch(authorizeUrl, {
    method: 'POST',
    body: new URLSearchParams({ username, password: PASSWORDS[username] as string }),
    redirect,
  });

/** The callback URL the authorization server sends the browser to, code and state included. */
async function callbackFor(authorizeUrl: string | URL, username: string): Promise<URL> {
  const response = await submitSignIn(authorizeUrl, username, 'manual');
  assert.equal(response.status, 303, `${username} signs in at the authorization server`);
  return new URL(response.headers.get('location') ?? '');
}

/** Mallory's own authorization request for the app's redirect URI: no state of alice's, no PKCE. */
function mallorysRequest(lab: LabTarget, redirectUri: string): URL {
  const url = new URL('/authorize', lab.url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: 'notes-desktop',
    redirect_uri: redirectUri,
  }).toString();
  return url;
}

const whoami = async (lab: LabTarget) =>
  ((await (await fetch(`${lab.url}/whoami`)).json()) as { user: string | null }).user;

/** Sends the browser to the callback; a refused connection counts as an answer too. */
const deliver = (callback: URL) => fetch(callback).catch(() => null);

export default defineChecks([
  {
    name: "alice signs in through her browser: the authorization server's redirect reaches the app, which says alice",
    async run(lab) {
      assert.equal(await whoami(lab), null, 'before any sign-in, GET /whoami says null');
      const { authorizeUrl, redirectUri } = await startSignIn(lab);
      assert.equal((await fetch(authorizeUrl)).status, 200, 'the authorize URL shows the sign-in page');
      const done = await submitSignIn(authorizeUrl, 'alice', 'follow');
      assert.ok(done.url.startsWith(redirectUri), `the browser ends at ${redirectUri}, not ${done.url}`);
      assert.equal(done.status, 200, `the listener's answer: ${await done.text()}`);
      assert.equal(await whoami(lab), 'alice');
    },
  },
  {
    name: 'the listener is not reachable from another machine (127.0.0.2 plays the café wifi), only on 127.0.0.1',
    partOfTheFix: true,
    async run(lab) {
      const { listenerPort } = await startSignIn(lab);
      const wifi = await addressFromTheWifi();
      assert.ok(await accepts('127.0.0.1', listenerPort), `the listener answers on 127.0.0.1:${listenerPort}`);
      assert.ok(!(await accepts(wifi, listenerPort)), `the listener must refuse connections to ${wifi}`);
    },
  },
  {
    name: "a callback whose state is missing or not this sign-in's is refused, even with a good code; no two sign-ins share a state",
    partOfTheFix: true,
    async run(lab) {
      const tampered: [string, (callback: URL) => void][] = [
        ['another state', (callback) => callback.searchParams.set('state', 'not-the-one-the-app-sent')],
        ['no state at all', (callback) => callback.searchParams.delete('state')],
      ];
      for (const [what, tamper] of tampered) {
        const { authorizeUrl } = await startSignIn(lab);
        const callback = await callbackFor(authorizeUrl, 'alice');
        tamper(callback);
        await deliver(callback);
        assert.equal(await whoami(lab), null, `the app must not redeem a code that comes back with ${what}`);
      }
      // A state the attacker can predict (a constant, a counter) binds nothing.
      const states = new Set<string | null>();
      for (let i = 0; i < 2; i += 1)
        states.add(new URL((await startSignIn(lab)).authorizeUrl).searchParams.get('state'));
      assert.equal(states.size, 2, 'each sign-in must send a state of its own, unguessable (RFC 6749 §10.12)');
    },
  },
  {
    name: "a code from someone else's authorization request is refused, even with this sign-in's state (PKCE)",
    partOfTheFix: true,
    async run(lab) {
      const { authorizeUrl, redirectUri } = await startSignIn(lab);
      const state = new URL(authorizeUrl).searchParams.get('state');
      assert.ok(state, 'the authorize URL carries a state');
      // As if mallory had learned the state (browser history, a process on the same machine).
      const callback = await callbackFor(mallorysRequest(lab, redirectUri), 'mallory');
      callback.searchParams.set('state', state);
      await deliver(callback);
      assert.notEqual(await whoami(lab), 'mallory', "the app must not redeem mallory's code");
    },
  },
  {
    // A stray request (a favicon, a port scan, a form posted by some page) is not the redirect: if
    // the listener takes it for one and closes, the real callback finds the port shut.
    name: 'a request on another path or with another method gets 404 and leaves the sign-in open',
    partOfTheFix: true,
    async run(lab) {
      const { authorizeUrl, listenerPort } = await startSignIn(lab);
      const callback = await callbackFor(authorizeUrl, 'alice');
      const stray = (url: string | URL, method = 'GET') =>
        fetch(url, { method }).then(
          (response) => response.status,
          () => 'a refused connection',
        );
      const favicon = await stray(`http://127.0.0.1:${listenerPort}/favicon.ico`);
      assert.equal(favicon, 404, `GET /favicon.ico at the listener got ${favicon}, not 404`);
      assert.ok(
        await accepts('127.0.0.1', listenerPort),
        "after a stray GET /favicon.ico the listener is closed: alice's redirect will find the port shut",
      );
      const posted = await stray(callback, 'POST');
      assert.equal(posted, 404, `POST /callback at the listener got ${posted}, not 404`);
      assert.equal(await whoami(lab), null, 'neither request signs anyone in');
      await deliver(callback);
      assert.equal(await whoami(lab), 'alice', "after those, alice's own redirect still signs her in");
    },
  },
  {
    name: 'the listener closes after one callback',
    partOfTheFix: true,
    async run(lab) {
      const { authorizeUrl, listenerPort } = await startSignIn(lab);
      assert.equal((await submitSignIn(authorizeUrl, 'alice', 'follow')).status, 200, 'alice signs in');
      // A listener may close just after it answers: allow it 1 s, far more than that takes.
      for (let tries = 0; tries < 20 && (await accepts('127.0.0.1', listenerPort)); tries += 1) await sleep(50);
      assert.ok(!(await accepts('127.0.0.1', listenerPort)), `port ${listenerPort} must be closed by now`);
    },
  },
]);
