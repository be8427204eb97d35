import assert from 'node:assert/strict';
import { defineChecks, type LabTarget } from '@authlab/lab-kit';

const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple' };

/** A browser's cookie jar, reduced to what these checks need: one cookie per name. */
function browser(lab: LabTarget) {
  const jar = new Map<string, string>();
  const setCookies: string[] = [];
  async function request(method: string, path: string, body?: unknown) {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${lab.url}${path}`, {
      method,
      headers: { ...(cookie && { cookie }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const header of response.headers.getSetCookie()) {
      setCookies.push(header);
      const [pair = '', ...attributes] = header.split(';');
      const [name = '', value = ''] = pair.trim().split(/=(.*)/s);
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }
  return { request, jar, setCookies };
}

export default defineChecks([
  {
    name: 'alice signs in and sees /me; a wrong password does not sign anyone in',
    async run(lab) {
      const tab = browser(lab);
      const wrong = await tab.request('POST', '/login', { ...ALICE, password: 'not her password' });
      assert.equal(wrong.status, 401);
      assert.equal((await tab.request('GET', '/me')).status, 401, 'a failed login must not sign the session in');
      assert.equal((await tab.request('POST', '/login', ALICE)).status, 200);
      const me = await tab.request('GET', '/me');
      assert.equal(me.status, 200, 'after signing in, GET /me should answer 200');
      assert.equal(((await me.json()) as { email: string }).email, ALICE.email);
    },
  },
  {
    name: 'logout ends the session: the old cookie no longer works',
    async run(lab) {
      const tab = browser(lab);
      await tab.request('POST', '/login', ALICE);
      const stolen = [...tab.jar].map(([name, value]) => `${name}=${value}`).join('; ');
      assert.equal((await tab.request('POST', '/logout')).status, 204);
      assert.equal((await tab.request('GET', '/me')).status, 401, 'after logout, /me should answer 401');
      const replay = await fetch(`${lab.url}/me`, { headers: { cookie: stolen } });
      assert.equal(replay.status, 401, 'a copy of the cookie from before the logout must not work after it');
    },
  },
  {
    name: 'the cart a visitor filled is still there after signing in',
    async run(lab) {
      const tab = browser(lab);
      await tab.request('POST', '/cart', { item: 'teapot' });
      await tab.request('POST', '/cart', { item: 'kettle' });
      assert.equal((await tab.request('POST', '/login', ALICE)).status, 200);
      const me = await tab.request('GET', '/me');
      assert.deepEqual(((await me.json()) as { cart: string[] }).cart, ['teapot', 'kettle']);
    },
  },
  {
    name: "alice's sign-in on a second device ends neither her first device's session nor other visitors' sessions",
    async run(lab) {
      const laptop = browser(lab);
      const phone = browser(lab);
      const visitor = browser(lab);
      await visitor.request('POST', '/cart', { item: 'umbrella' });
      assert.equal((await laptop.request('POST', '/login', ALICE)).status, 200);
      assert.equal((await phone.request('POST', '/login', ALICE)).status, 200);
      assert.equal(
        (await laptop.request('GET', '/me')).status,
        200,
        "signing in on her phone must not end alice's laptop session",
      );
      const cart = await visitor.request('GET', '/cart');
      assert.deepEqual(
        ((await cart.json()) as { cart: string[] }).cart,
        ['umbrella'],
        "alice's sign-in must not end or empty another visitor's session",
      );
    },
  },
  {
    name: 'the session cookie is __Host- prefixed, HttpOnly, Secure, SameSite=Lax or Strict, Path=/, with no Domain (logout clears that same cookie)',
    partOfTheFix: true,
    async run(lab) {
      const tab = browser(lab);
      await tab.request('GET', '/cart');
      await tab.request('POST', '/login', ALICE);
      await tab.request('POST', '/logout');
      assert.ok(tab.setCookies.length >= 1, 'no Set-Cookie header at all');
      for (const header of tab.setCookies) {
        const [pair = '', ...rest] = header.split(';').map((part) => part.trim());
        const attributes = new Map(
          rest.map((attribute) => {
            const [key = '', value = ''] = attribute.split('=');
            return [key.toLowerCase(), value.toLowerCase()];
          }),
        );
        const where = `in "${header}"`;
        assert.ok(pair.startsWith('__Host-'), `the name should start with __Host- ${where}`);
        assert.ok(attributes.has('httponly'), `HttpOnly is missing ${where}`);
        assert.ok(attributes.has('secure'), `Secure is missing ${where}`);
        assert.ok(['lax', 'strict'].includes(attributes.get('samesite') ?? ''), `SameSite=Lax or Strict ${where}`);
        assert.equal(attributes.get('path'), '/', `Path=/ ${where}`);
        assert.ok(!attributes.has('domain'), `a __Host- cookie has no Domain ${where}`);
      }
      assert.equal(tab.jar.size, 0, 'after logout the browser still holds a session cookie: clear it by the same name');
    },
  },
]);
