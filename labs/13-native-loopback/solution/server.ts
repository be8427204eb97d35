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
import { createHash, randomBytes } from 'node:crypto';
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
  async function redeem(code: string, redirectUri: string, verifier: string): Promise<string> {
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: CLIENT_ID,
      code_verifier: verifier,
    };
    const token = await fetch(`${lab.url}/token`, { method: 'POST', body: new URLSearchParams(params) });
    if (!token.ok) throw new Error(`the token endpoint answered ${token.status}`);
    const { access_token } = (await token.json()) as { access_token: string };
    const userinfo = await fetch(`${lab.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    return ((await userinfo.json()) as { username: string }).username;
  }

  router.post('/sign-in', async (ctx) => {
    listener?.close(); // one sign-in at a time
    const state = randomBytes(16).toString('base64url');
    // FIX: PKCE (RFC 7636; RFC 8252 §8.1; RFC 9700 §2.1.1): the code is bound to a secret that
    // never leaves this app, so a code from anyone else's authorization request fails to redeem.
    const verifier = randomBytes(32).toString('base64url');
    const server = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', redirectUri);
      // FIX: only the redirect itself, a GET on the exact callback path; anything else is not ours.
      if (req.method !== 'GET' || url.pathname !== '/callback') return void res.writeHead(404).end();
      // FIX: one callback per sign-in, then the port is closed (RFC 8252 §8.3: open it when the
      // request starts, close it once the response is returned).
      server.close();
      // FIX: the answer must carry this sign-in's `state`, checked before any exchange
      // (RFC 8252 §8.9, RFC 6749 §10.12, RFC 9700 §2.1 and §4.7): it binds the response to our request.
      if (url.searchParams.get('state') !== state) {
        return void res.writeHead(400).end('This answer does not belong to this sign-in. Start it again.');
      }
      const code = url.searchParams.get('code');
      if (!code) return void res.writeHead(400).end('No code in this request.');
      try {
        signedInAs = await redeem(code, redirectUri, verifier);
        res.end(`Signed in to Notes as ${signedInAs}. You can close this tab.`);
      } catch {
        res.writeHead(400).end('The sign-in failed. Start it again from the app.');
      }
    });
    listener = server;
    // FIX: the loopback IP literal only, never 0.0.0.0 or "localhost" (RFC 8252 §7.3 and §8.3:
    // listen on the loopback interface only, "to avoid interference by other network actors").
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const listenerPort = (server.address() as AddressInfo).port;
    const redirectUri = `http://127.0.0.1:${listenerPort}/callback`;
    const authorizeUrl = new URL('/authorize', lab.url);
    authorizeUrl.search = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.body = { authorizeUrl: authorizeUrl.href, redirectUri, listenerPort };
  });

  router.get('/whoami', (ctx) => {
    ctx.body = { user: signedInAs };
  });

  return new Koa().use(bodyParser()).use(router.routes()).use(router.allowedMethods());
});
