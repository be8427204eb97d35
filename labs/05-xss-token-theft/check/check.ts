import assert from 'node:assert/strict';
import { defineChecks, type LabTarget } from '@authlab/lab-kit';
import type { Page } from 'playwright-core';

/** alice, signed in through the page in a real browser, with the board on screen. */
async function aliceOnTheBoard(lab: LabTarget): Promise<Page> {
  const page = await (await (await lab.browser()).newContext()).newPage();
  await page.goto(lab.url);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('wonderland-42');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#me', { hasText: 'alice' }).waitFor();
  await page.locator('#comments li', { hasText: 'Welcome to the board!' }).waitFor();
  return page;
}

/** alice posts a comment through the page's form and waits for the board to show it. */
async function postComment(page: Page, text: string): Promise<string> {
  await page.getByLabel('Comment').fill(text);
  await page.getByRole('button', { name: 'Post' }).click();
  const item = page.locator('#comments li').last();
  await item.filter({ hasText: 'alice:' }).waitFor();
  return (await item.textContent()) ?? '';
}

/** A CSP directive's sources; fetch directives (not base-uri) fall back to default-src, as in browsers. */
function sources(policy: string, directive: string, fallback = true): string[] | undefined {
  const directives = new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map((words) => [(words[0] as string).toLowerCase(), words.slice(1)]),
  );
  return directives.get(directive) ?? (fallback ? directives.get('default-src') : undefined);
}

export default defineChecks([
  {
    name: 'alice signs in on the page, sees her name and the board, and posts a comment through it',
    async run(lab) {
      const page = await aliceOnTheBoard(lab);
      assert.equal(await postComment(page, 'Hello from alice'), 'alice: Hello from alice');
    },
  },
  {
    name: 'a comment is shown exactly as typed, tags and all, as text',
    partOfTheFix: true,
    async run(lab) {
      const page = await aliceOnTheBoard(lab);
      const text = 'Use <b>bold</b> & <i>italics</i>';
      assert.equal(await postComment(page, text), `alice: ${text}`, 'the comment is shown as text, not as HTML');
      assert.equal(await page.locator('#comments b, #comments i').count(), 0, 'no elements were made from a comment');
    },
  },
  {
    name: "the page has a Content-Security-Policy: script-src without 'unsafe-inline', connect-src limited, object-src 'none', base-uri set",
    partOfTheFix: true,
    async run(lab) {
      const policy = (await fetch(lab.url)).headers.get('content-security-policy');
      assert.ok(policy, 'GET / sends a Content-Security-Policy header');
      const scripts = sources(policy, 'script-src');
      assert.ok(scripts, `script-src (or default-src) is set: ${policy}`);
      for (const bad of ["'unsafe-inline'", '*', 'http:', 'https:', 'data:']) {
        assert.ok(!scripts.includes(bad), `script-src allows ${bad}: ${policy}`);
      }
      const connect = sources(policy, 'connect-src');
      assert.ok(connect, `connect-src (or default-src) is set: ${policy}`);
      for (const bad of ['*', 'http:', 'https:'])
        assert.ok(!connect.includes(bad), `connect-src allows ${bad}: ${policy}`);
      // The minimum of ASVS 5.0 V3.4.3. base-uri has no default-src fallback.
      assert.deepEqual(sources(policy, 'object-src'), ["'none'"], `object-src (or default-src) is 'none': ${policy}`);
      const base = sources(policy, 'base-uri', false);
      assert.ok(
        base?.length === 1 && ["'none'", "'self'"].includes(base[0] as string),
        `base-uri is 'none' or 'self': ${policy}`,
      );
    },
  },
  {
    name: 'after sign-in the token is in none of localStorage, sessionStorage, document.cookie or a global variable',
    partOfTheFix: true,
    async run(lab) {
      const page = await aliceOnTheBoard(lab);
      // Every place any script of the page can read by name, and which of them hold a JWT.
      const places = (await page.evaluate(`(() => {
        const readable = { localStorage: { ...localStorage }, sessionStorage: { ...sessionStorage }, 'document.cookie': document.cookie };
        for (const [name, value] of Object.entries(window)) if (!(name in readable)) readable['window.' + name] = value;
        return Object.keys(readable).filter((place) => {
          try { return /eyJ[\\w-]+\\.[\\w-]+\\./.test(JSON.stringify(readable[place])); } catch { return false; }
        });
      })()`)) as string[];
      assert.deepEqual(places, [], `any script on the page can read the token from ${places.join(', ')}`);
    },
  },
]);
