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

/** The CSP's source list for a directive, falling back to default-src as browsers do. */
function sources(policy: string, directive: string): string[] | undefined {
  const directives = new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map((words) => [(words[0] as string).toLowerCase(), words.slice(1)]),
  );
  return directives.get(directive) ?? directives.get('default-src');
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
    name: "the page has a Content-Security-Policy: script-src without 'unsafe-inline', connect-src limited",
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
    },
  },
  {
    name: 'after sign-in the token is in none of localStorage, sessionStorage or document.cookie',
    partOfTheFix: true,
    async run(lab) {
      const page = await aliceOnTheBoard(lab);
      const readable = await page.evaluate(
        'JSON.stringify({ localStorage: { ...localStorage }, sessionStorage: { ...sessionStorage }, cookie: document.cookie })',
      );
      const shown = String(readable).replace(/(eyJ[\w-]{12})[\w.-]+/g, '$1…');
      assert.doesNotMatch(
        String(readable),
        /eyJ[\w-]+\.[\w-]+\./,
        `any script on the page can read the token: ${shown}`,
      );
    },
  },
]);
