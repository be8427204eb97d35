import assert from 'node:assert/strict';
import { defineChecks, type LabTarget, postJson } from '@authlab/lab-kit';
import type { BrowserContext, Page } from 'playwright-core';

const bankUrl = (lab: LabTarget) => lab.info.appUrl as string;

/** alice's browser, signed in through the bank's own form, on the bank's page. */
async function aliceInBrowser(lab: LabTarget): Promise<{ alice: BrowserContext; page: Page }> {
  const alice = await (await lab.browser()).newContext();
  const page = await alice.newPage();
  await page.goto(bankUrl(lab));
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('wonderland-42');
  const answer = page.waitForResponse((response) => response.url() === `${bankUrl(lab)}/login`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal((await answer).status(), 303, "the bank's own sign-in form is accepted");
  await page.getByRole('heading', { name: 'Hello alice' }).waitFor();
  return { alice, page };
}

/** Her balance, as the bank reports it to her in another tab. */
async function balanceIn(lab: LabTarget, alice: BrowserContext): Promise<unknown> {
  const tab = await alice.newPage();
  const account = await tab.goto(`${bankUrl(lab)}/account`);
  if (!account?.ok()) assert.fail(`GET /account as alice answered ${account?.status()}`);
  return ((await account.json()) as { balance: unknown }).balance;
}

/** Signs in without a browser (no Origin, no Sec-Fetch-Site), as curl or a script would. */
async function aliceCookie(lab: LabTarget): Promise<string> {
  const login = await postJson({ url: bankUrl(lab) }, '/login', { username: 'alice', password: 'wonderland-42' });
  assert.equal(login.status, 200, 'POST /login with JSON signs alice in');
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('sid='));
  assert.ok(cookie, 'the sign-in sets the sid cookie');
  return cookie;
}

export default defineChecks([
  {
    name: "alice signs in and sends money with the bank's own forms in the browser",
    async run(lab) {
      const { alice, page } = await aliceInBrowser(lab);
      await page.getByLabel('To').fill('mallory');
      await page.getByLabel('Amount').fill('25');
      const answer = page.waitForResponse((response) => response.url() === `${bankUrl(lab)}/transfer`);
      await page.getByRole('button', { name: 'Send money' }).click();
      assert.equal((await answer).status(), 303, "the bank's own transfer form is accepted");
      assert.equal(await balanceIn(lab, alice), 975, 'the transfer went through');
    },
  },
  {
    name: "the bank's own page can still call POST /transfer with fetch and JSON",
    async run(lab) {
      const { page } = await aliceInBrowser(lab);
      const answer = await page.evaluate(async () => {
        const response = await fetch('/transfer', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'mallory', amount: 10 }),
        });
        return { status: response.status, body: await response.text() };
      });
      assert.equal(answer.status, 200, `fetch from the bank's page: ${answer.status} ${answer.body}`);
      assert.deepEqual(JSON.parse(answer.body), { balance: 990 });
    },
  },
  {
    name: 'a client that is no browser (no Origin, no Sec-Fetch-Site: curl, a script) still signs in and sends money',
    async run(lab) {
      const cookie = (await aliceCookie(lab)).split(';')[0] as string;
      const transfer = await postJson({ url: bankUrl(lab) }, '/transfer', { to: 'mallory', amount: 1 }, { cookie });
      assert.equal(transfer.status, 200, `POST /transfer without browser headers: ${transfer.status}`);
      assert.deepEqual(await transfer.json(), { balance: 999 });
    },
  },
  {
    name: 'the session cookie is SameSite=Lax or Strict, and still HttpOnly',
    partOfTheFix: true,
    async run(lab) {
      const cookie = await aliceCookie(lab);
      assert.match(cookie, /;\s*SameSite=(Lax|Strict)\s*(;|$)/i, `Set-Cookie: ${cookie}`);
      assert.match(cookie, /;\s*HttpOnly\s*(;|$)/i, `Set-Cookie: ${cookie}`);
    },
  },
]);
