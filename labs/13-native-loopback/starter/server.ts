/**
 * Notes, a desktop app, signs its user in through the system browser (RFC 8252): it opens a
 * small HTTP listener for the redirect, sends the browser to the authorization server, and
 * redeems the code that comes back. In this lab one process plays the app and its authorization
 * server (authorization-server.ts, the same in the solution).
 *
 *   POST /sign-in  the "Sign in" button: opens the listener and answers
 *                  {authorizeUrl, redirectUri, listenerPort}; open authorizeUrl in a browser
 *   GET  /whoami   {user}: whose account the app is signed in to (null before any sign-in)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labServer } from '@authlab/lab-kit/server';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { authorizationServer, CLIENT_ID } from './authorization-server.ts';

export default labServer(async (lab) => {
  const router = await authorizationServer(lab);
  let signedInAs: string | null = null;
  let listener: Server | undefined;

  /** The app's half of the exchange: the code for an access token, the token for a username. */
  async function redeem(code: string, redirectUri: string): Promise<string> {
    const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: CLIENT_ID };
    const token = await fetch(`${lab.url}/token`, { method: 'POST', body: new URLSearchParams(params) });
    if (!token.ok) throw new Error(`the token endpoint answered ${token.status}`);
    const { access_token } = (await token.json()) as { access_token: string };
    const userinfo = await fetch(`${lab.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    return ((await userinfo.json()) as { username: string }).username;
  }

  router.post('/sign-in', async (ctx) => {
    listener?.close(); // one sign-in at a time
    const state = randomBytes(16).toString('base64url');
    const server = createServer(async (req, res) => {
      // WEAKNESS: any method on any path is taken for the redirect, `state` is sent but never
      // compared, and the listener stays open: whatever code arrives is redeemed, whoever sent it.
      const code = new URL(req.url ?? '/', redirectUri).searchParams.get('code');
      if (!code) return void res.writeHead(400).end('No code in this request.');
      try {
        signedInAs = await redeem(code, redirectUri);
        res.end(`Signed in to Notes as ${signedInAs}. You can close this tab.`);
      } catch {
        res.writeHead(400).end('The sign-in failed. Start it again from the app.');
      }
    });
    listener = server;
    // WEAKNESS: 0.0.0.0 is every interface (so is listen(0) without a host): anyone who can reach
    // this computer, say on the café wifi, can reach the listener, not only this machine's browser.
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    const listenerPort = (server.address() as AddressInfo).port;
    const redirectUri = `http://127.0.0.1:${listenerPort}/callback`;
    const authorizeUrl = new URL('/authorize', lab.url);
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      state,
    }).toString();
    ctx.body = { authorizeUrl: authorizeUrl.href, redirectUri, listenerPort };
  });

  router.get('/whoami', (ctx) => {
    ctx.body = { user: signedInAs };
  });

  return new Koa().use(bodyParser()).use(router.routes()).use(router.allowedMethods());
});
