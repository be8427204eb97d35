import { html, page, type SafeHtml } from './html.ts';

/** Everything step 1 shows: the values made for this one sign-in, and the URL built from them. */
export interface StartView {
  issuer: string;
  clientId: string;
  redirectUri: string;
  verifier: string;
  challenge: string;
  state: string;
  nonce: string;
  authorizationUrl: string;
  flowTtlMinutes: number;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  encoded: string;
}

/** One request the server made on the back channel, as sent and as answered. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  responseBody: string;
}

export type CallbackOutcome =
  | 'done'
  | 'no-flow'
  | 'state-mismatch'
  | 'issuer-mismatch'
  | 'provider-error'
  | 'missing-code'
  | 'exchange-failed';

export interface CallbackView {
  redirectUri: string;
  received: { code?: string; state?: string; iss?: string; error?: string; errorDescription?: string };
  expected: { issuer: string; state?: string; nonce?: string };
  stateCheck: 'match' | 'mismatch' | 'no-flow';
  issCheck: 'match' | 'mismatch' | 'missing';
  outcome: CallbackOutcome;
  requests: RecordedRequest[];
  failure?: { code: string; description: string };
  tokens?: { response: Record<string, unknown>; idToken: DecodedJwt | null; accessToken: DecodedJwt | null };
  api?: { status: number; body: unknown };
  /** ms, the server's clock, for "expires in …". */
  now: number;
  /** ms, when step 1 made this flow's values: an earlier `auth_time` means no password was asked. */
  flowStartedAt?: number;
}

const TITLE = 'OpenID Connect, step by step';

const STEPS = ['Prepare', 'Sign in at the provider', 'Back with a code', 'Exchange the code', 'Call the API'];

/** "Step 3 · Back with a code": headings name steps as the progress list numbers them. */
const stepLabel = (n: number) => `Step ${n} · ${STEPS[n - 1]}`;

/** Where the learner is in the five steps. */
function progress(current: number): SafeHtml {
  return html`<ol class="flow-steps" aria-label="Steps of the flow">${STEPS.map(
    (label, i) =>
      html`<li${i + 1 === current ? html` aria-current="step"` : i + 1 < current ? html` class="done"` : ''}><span class="step-number">${i + 1}</span> ${label}</li>`,
  )}</ol>`;
}

const check = (ok: boolean, text: string) =>
  html`<span class="check ${ok ? 'ok' : 'bad'}"><span aria-hidden="true">${ok ? '✓' : '✗'}</span> ${text}</span>`;

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** `1747215000 → 2026-05-14 09:30:00 UTC (in 59 minutes)`: the server knows no reader's time zone. */
function readableTime(seconds: unknown, now: number): string {
  if (typeof seconds !== 'number') return String(seconds ?? '—');
  const delta = Math.round((seconds * 1000 - now) / 1000);
  const size = Math.abs(delta);
  const amount =
    size < 90
      ? `${size} seconds`
      : size < 5400
        ? `${Math.round(size / 60)} minutes`
        : `${Math.round(size / 3600)} hours`;
  const when = delta === 0 ? 'now' : delta > 0 ? `in ${amount}` : `${amount} ago`;
  return `${seconds} → ${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC (${when})`;
}

const AUTHORIZATION_PARAMS: Record<string, string> = {
  client_id: 'Who is asking: the registered client. It is public: it has no secret, PKCE stands in for one.',
  redirect_uri:
    'Where the provider sends the browser back. It must match a registered URI exactly, or the provider stops here.',
  response_type:
    'code: the Authorization Code flow. The browser only ever carries a short-lived code, never a token (RFC 9700 §2.1.2).',
  scope:
    'openid makes this OpenID Connect (an ID token comes back); email adds the email claims; api asks for an access token for the authlab API.',
  code_challenge: 'The PKCE challenge from above. The provider stores it with the code it issues.',
  code_challenge_method:
    'S256: the challenge is a SHA-256 hash. The only method this provider accepts; plain is refused.',
  state: 'Comes back unchanged in the redirect; the callback accepts only the value this browser’s cookie holds.',
  nonce: 'Comes back inside the ID token; the client checks it, so an ID token from another request is useless here.',
};

/** The walkthrough's page frame. */
const walkthroughPage = (signedInAs: string | undefined, body: SafeHtml) =>
  page({ title: TITLE, signedInAs, current: '/oidc-flow' }, body);

/** Step 1: the values a client makes before it sends the browser away, and the URL they go into. */
export function walkthroughStartPage(view: StartView, signedInAs: string | undefined): string {
  const params = [...new URL(view.authorizationUrl).searchParams];
  const endpoint = view.authorizationUrl.split('?')[0];
  return walkthroughPage(
    signedInAs,
    html`
<section class="intro" aria-labelledby="flow-heading">
  <h1 id="flow-heading">${TITLE}</h1>
  <p>The Authorization Code flow with PKCE, run for real: this page is a relying party, the registered
  client <code>${view.clientId}</code>, and the provider is authlab’s own, at
  <a href="${view.issuer}/.well-known/openid-configuration"><code>${view.issuer}</code></a>. Every redirect
  below really happens; every value is shown.</p>
</section>
${progress(1)}
<section class="card" aria-labelledby="flow-pkce-heading">
  <h2 id="flow-pkce-heading">${stepLabel(1)}: a one-time secret for this sign-in</h2>
  <p>Before sending the browser anywhere, the client makes three random values. Reloading this page makes new ones.</p>
  <dl class="facts flow-values">
    <dt><code>code_verifier</code></dt>
    <dd><code id="flow-verifier">${view.verifier}</code>
      <span class="hint">32 random bytes, base64url: 43 characters. It stays with the client until the token request.</span></dd>
    <dt><code>code_challenge</code></dt>
    <dd><code id="flow-challenge">${view.challenge}</code>
      <span class="hint">What the browser carries to the provider instead of the verifier.</span></dd>
    <dt><code>state</code></dt>
    <dd><code id="flow-state">${view.state}</code>
      <span class="hint">Ties the provider’s answer to this browser: against login CSRF and injected codes.</span></dd>
    <dt><code>nonce</code></dt>
    <dd><code id="flow-nonce">${view.nonce}</code>
      <span class="hint">Ties the ID token to this request: against a replayed ID token.</span></dd>
  </dl>
  <aside class="note transform" aria-labelledby="flow-s256-heading">
    <h3 id="flow-s256-heading">The S256 transform (RFC 7636 §4.2)</h3>
    <p><code>code_challenge = BASE64URL(SHA-256(ASCII(code_verifier)))</code> — hash the verifier’s characters,
    then encode the 32-byte digest in base64url without padding. The challenge travels through the browser, where
    it can leak (history, logs); the verifier comes later, server to server. Whoever steals the code from the
    redirect cannot redeem it without the verifier, and SHA-256 cannot be run backwards to find it.</p>
  </aside>
  <p class="muted small">Kept on the server’s side: a signed, HttpOnly, <code>SameSite=Lax</code> cookie with
  <code>Path=/oidc-flow</code>, valid for ${view.flowTtlMinutes} minutes. No script on this page can read it,
  and it goes to no other path of the site.</p>
</section>
<section class="card" aria-labelledby="flow-request-heading">
  <h2 id="flow-request-heading">${stepLabel(2)}: the authorization request</h2>
  <p>The browser is sent to the provider’s authorization endpoint, <code>${endpoint}</code>, with these parameters:</p>
  <pre id="flow-authorization-url" class="url" tabindex="0" aria-label="The authorization URL">${view.authorizationUrl}</pre>
  <div class="table-scroll" role="region" aria-label="Parameters of the authorization request" tabindex="0">
  <table class="params" id="flow-params">
    <thead><tr><th scope="col">Parameter</th><th scope="col">Value</th><th scope="col">Why</th></tr></thead>
    <tbody>
    ${params.map(
      ([name, value]) =>
        html`<tr data-param="${name}"><th scope="row"><code>${name}</code></th><td><code>${value}</code></td><td>${AUTHORIZATION_PARAMS[name] ?? ''}</td></tr>`,
    )}
    </tbody>
  </table>
  </div>
  <div class="actions">
    <a class="button" id="flow-start" href="${view.authorizationUrl}">Start: go to the provider</a>
  </div>
  <p class="muted small">Next you sign in on the provider’s page (demo accounts: <code>alice@example.com</code>,
  <code>bob@example.com</code>; the server prints the password when it starts) and allow or deny access. If you
  are still signed in there and allowed this client before, the provider sends you straight back: single sign-on.</p>
</section>`,
  );
}

/** Discovery failed: the walkthrough cannot build a request without the provider's metadata. */
export function walkthroughUnavailablePage(issuer: string, signedInAs: string | undefined): string {
  return walkthroughPage(
    signedInAs,
    html`
<section class="card narrow" aria-labelledby="flow-heading">
  <h1 id="flow-heading">${TITLE}</h1>
  <p class="error" role="alert">The provider’s discovery document at
  <code>${issuer}/.well-known/openid-configuration</code> could not be fetched, so there is no request to build.
  The server fetches it through <code>PUBLIC_URL</code>, like any client would: check that this address reaches the server.</p>
  <p><a href="/oidc-flow">Try again</a></p>
</section>`,
  );
}

const OUTCOMES: Record<Exclude<CallbackOutcome, 'done' | 'provider-error' | 'exchange-failed'>, string> = {
  'no-flow': `No walkthrough is in progress in this browser: the cookie holding the state, nonce and verifier is missing or
    more than ten minutes old. Without it there is nothing to compare the state with and no verifier to redeem the code, so
    the code was not exchanged.`,
  'state-mismatch': `The state in this response is not the one this browser sent. This is what login CSRF or an injected
    code looks like: an authorization response from someone else’s flow, delivered to your browser. The walkthrough refused
    it and did not exchange the code; the flow you started is still waiting for its own answer.`,
  'issuer-mismatch': `The iss parameter does not name the provider this flow was started with (RFC 9207). A client that
    talks to several providers could otherwise be tricked into sending one provider’s code to another (a mix-up attack).
    The code was not exchanged.`,
  'missing-code': 'The response carries neither a code nor an error, so there is nothing to exchange.',
};

const PROVIDER_ERRORS: Record<string, string> = {
  access_denied: `You chose Deny on the consent page (or cancelled sign-in). The provider sent the browser back with
    error=access_denied and no code: there is nothing to exchange, and the client learns nothing about you.`,
  login_required: 'The provider needs you to sign in first.',
  consent_required: 'The provider needs your approval first.',
};

function receivedTable(view: CallbackView): SafeHtml {
  const { received, expected } = view;
  const row = (name: string, id: string, value: string | undefined, note: SafeHtml | string) =>
    value === undefined
      ? ''
      : html`<tr><th scope="row"><code>${name}</code></th><td><code id="${id}">${value}</code></td><td>${note}</td></tr>`;
  const stateNote =
    view.stateCheck === 'match'
      ? check(true, 'matches the state this browser sent')
      : view.stateCheck === 'no-flow'
        ? check(false, 'no flow in progress to compare with')
        : html`${check(false, 'does not match')} <span class="hint">this browser sent <code id="flow-expected-state">${expected.state}</code></span>`;
  const issNote =
    view.issCheck === 'match'
      ? check(true, 'is the issuer this flow started with (RFC 9207)')
      : check(false, view.issCheck === 'missing' ? 'missing (RFC 9207)' : `expected ${expected.issuer}`);
  return html`<div class="table-scroll" role="region" aria-label="Parameters of the redirect" tabindex="0">
  <table class="params" id="flow-received">
    <thead><tr><th scope="col">Parameter</th><th scope="col">Value</th><th scope="col">Check</th></tr></thead>
    <tbody>
    ${row('code', 'flow-code', received.code, 'Single use; valid for 60 seconds; useless without the verifier.')}
    ${row('error', 'flow-error', received.error, '')}
    ${row('error_description', 'flow-error-description', received.errorDescription, '')}
    ${received.state === undefined ? html`<tr><th scope="row"><code>state</code></th><td>—</td><td>${stateNote}</td></tr>` : row('state', 'flow-state', received.state, html`<span id="flow-state-check">${stateNote}</span>`)}
    ${row('iss', 'flow-iss', received.iss, html`<span id="flow-iss-check">${issNote}</span>`)}
    </tbody>
  </table>
  </div>`;
}

function decodedToken(id: string, token: DecodedJwt, now: number, facts: Array<[string, unknown]>): SafeHtml {
  return html`<dl class="facts">${facts
    .filter(([, value]) => value !== undefined)
    .map(
      ([name, value]) =>
        html`<dt><code>${name}</code></dt><dd id="${id}-${name}">${['iat', 'exp', 'auth_time'].includes(name) ? readableTime(value, now) : typeof value === 'string' ? html`<code>${value}</code>` : json(value)}</dd>`,
    )}</dl>
  <div class="decoded two">
    <figure><figcaption id="${id}-header-caption">Header</figcaption>
      <pre id="${id}-header" tabindex="0" aria-labelledby="${id}-header-caption">${json(token.header)}</pre></figure>
    <figure><figcaption id="${id}-claims-caption">Claims</figcaption>
      <pre id="${id}-claims" tabindex="0" aria-labelledby="${id}-claims-caption">${json(token.claims)}</pre></figure>
  </div>
  <details class="encoded"><summary>As sent (three base64url parts)</summary>
    <pre class="token-text" tabindex="0" aria-label="Encoded token">${token.encoded}</pre></details>`;
}

function requestLog(requests: RecordedRequest[]): SafeHtml {
  return html`<ol class="request-log" id="flow-requests">${requests.map(
    (request) => html`<li><details><summary><code>${request.method} ${request.url}</code> →
      <span class="status${request.status >= 400 ? ' bad' : ''}">${request.status}</span></summary>
      <p class="hint">Headers sent</p><pre tabindex="0">${Object.entries(request.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\n')}</pre>
      ${request.body ? html`<p class="hint">Body sent</p><pre tabindex="0">${request.body.replaceAll('&', '\n&')}</pre>` : ''}
      <p class="hint">Answer</p><pre tabindex="0">${request.responseBody}</pre></details></li>`,
  )}</ol>`;
}

/**
 * Said out loud when the provider signed the person in without a password because its own session
 * from earlier was still alive (`auth_time` before this flow began): signing out of a relying party
 * does not end the provider's session (OpenID Connect Core §2, `auth_time`).
 */
export function knownAlready(authTime: unknown, flowStartedAt: number | undefined): SafeHtml | '' {
  if (typeof authTime !== 'number' || flowStartedAt === undefined) return '';
  if (authTime >= Math.floor(flowStartedAt / 1000)) return '';
  return html`<p class="notice provider-knew" id="flow-known-already" role="status">No password was asked this time:
  the provider still knew you from a sign-in at ${new Date(authTime * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC
  (<code>auth_time</code>). Signing out of an application does not sign you out of the provider;
  <a href="/oidc/session/end">sign out at the provider</a> to be asked again.</p>`;
}

function exchangeSections(view: CallbackView): SafeHtml {
  const { tokens, api, expected } = view;
  const token = view.requests.find((request) => request.method === 'POST');
  const form = new URLSearchParams(token?.body ?? '');
  const id = tokens?.idToken;
  const access = tokens?.accessToken;
  return html`
<section class="card" aria-labelledby="flow-exchange-heading">
  <h2 id="flow-exchange-heading">${stepLabel(4)}, server to server</h2>
  <p>The browser is out of this step: the server posts the code <em>and the verifier</em> to the token endpoint. The
  provider hashes the verifier, compares it with the challenge it stored with the code, and only then answers.</p>
  ${
    token
      ? html`<p><code>POST ${token.url}</code> <span class="status">${token.status}</span></p>
  <div class="table-scroll" role="region" aria-label="The token request" tabindex="0">
  <table class="params" id="flow-token-request"><tbody>
    ${[...form].map(([name, value]) => html`<tr><th scope="row"><code>${name}</code></th><td><code>${value}</code></td></tr>`)}
  </tbody></table></div>`
      : ''
  }
  <figure><figcaption id="flow-token-response-caption">Token response</figcaption>
    <pre id="flow-token-response" tabindex="0" aria-labelledby="flow-token-response-caption">${tokens ? json(tokens.response) : (token?.responseBody ?? 'no answer')}</pre></figure>
</section>
${
  id
    ? html`<section class="card" aria-labelledby="flow-id-heading">
  <h2 id="flow-id-heading">The ID token: who signed in</h2>
  ${knownAlready(id.claims.auth_time, view.flowStartedAt)}
  <p>Meant for the client, not for APIs. openid-client checked all of this before the page was drawn:</p>
  <ul class="checks" id="flow-id-checks">
    <li>${check(true, `signature (${String(id.header.alg)}) verified with the provider’s public key`)} <code>${String(id.header.kid ?? '')}</code></li>
    <li>${check(true, `iss is ${String(id.claims.iss)}, aud is ${String(id.claims.aud)}, and it has not expired`)}</li>
    <li>${check(id.claims.nonce === expected.nonce, 'nonce is the one this flow sent')} <code id="flow-id-nonce">${String(id.claims.nonce)}</code></li>
  </ul>
  ${decodedToken('flow-id', id, view.now, [
    ['sub', id.claims.sub],
    ['email', id.claims.email],
    ['email_verified', id.claims.email_verified],
    ['iat', id.claims.iat],
    ['exp', id.claims.exp],
    ['auth_time', id.claims.auth_time],
  ])}
</section>`
    : ''
}
${
  access
    ? html`<section class="card" aria-labelledby="flow-access-heading">
  <h2 id="flow-access-heading">The access token: for the API</h2>
  <p>A JWT of type <code>at+jwt</code> (RFC 9068) whose audience is the API, not the client. The client just passes
  it along; the API checks it, and also that its grant (<code>gid</code>) has not been revoked.</p>
  ${decodedToken('flow-access', access, view.now, [
    ['aud', access.claims.aud],
    ['scope', access.claims.scope],
    ['client_id', access.claims.client_id],
    ['iat', access.claims.iat],
    ['exp', access.claims.exp],
  ])}
</section>`
    : ''
}
${
  api
    ? html`<section class="card" aria-labelledby="flow-api-heading">
  <h2 id="flow-api-heading">${stepLabel(5)} with the access token</h2>
  <p><code>GET /api/me</code> with <code>Authorization: Bearer &lt;access token&gt;</code>:</p>
  <p class="response-line"><span class="status${api.status === 200 ? '' : ' bad'}" id="flow-api-status">${api.status}</span>
    ${api.status === 200 ? html`the API accepted the provider’s token as mode <code>oidc</code>` : 'the API refused the token'}</p>
  <pre id="flow-api-body" tabindex="0" aria-label="The API's answer">${json(api.body)}</pre>
</section>`
    : ''
}`;
}

/** Step 2 onwards: what came back, the checks, and (when they pass) the exchange and the API call. */
export function walkthroughCallbackPage(view: CallbackView, signedInAs: string | undefined): string {
  const current = view.outcome === 'done' ? 5 : view.outcome === 'exchange-failed' ? 4 : 3;
  const failure = view.failure;
  const explanation =
    view.outcome === 'provider-error'
      ? (PROVIDER_ERRORS[view.received.error ?? ''] ?? 'The provider answered with an error instead of a code.')
      : view.outcome === 'exchange-failed'
        ? `The token request failed: ${failure?.code}${failure?.description ? ` — ${failure.description}` : ''}. ${
            failure?.code === 'invalid_grant'
              ? 'A code is single use and lives 60 seconds: a reload, or a slow return, uses it up.'
              : ''
          }`
        : view.outcome === 'done'
          ? ''
          : OUTCOMES[view.outcome];
  return walkthroughPage(
    signedInAs,
    html`
<section class="intro" aria-labelledby="flow-heading">
  <h1 id="flow-heading">${TITLE}</h1>
  <p>The provider has sent the browser back to <code>${view.redirectUri}</code>. Here is what came with it, and what
  the client did next.</p>
</section>
${progress(current)}
${explanation ? html`<p class="error" role="alert" id="flow-outcome" data-outcome="${view.outcome}">${explanation}</p>` : ''}
<section class="card" aria-labelledby="flow-back-heading">
  <h2 id="flow-back-heading">${stepLabel(3)}</h2>
  <p>The redirect’s query string, and the checks the client makes before it trusts any of it:</p>
  ${receivedTable(view)}
</section>
${view.outcome === 'done' || view.outcome === 'exchange-failed' ? exchangeSections(view) : ''}
${
  view.requests.length > 0
    ? html`<section class="card" aria-labelledby="flow-log-heading">
  <h2 id="flow-log-heading">Every request the server made</h2>
  ${requestLog(view.requests)}
</section>`
    : ''
}
<p class="actions"><a class="button" href="/oidc-flow" id="flow-again">${view.outcome === 'done' ? 'Run it again' : 'Start again'}</a></p>`,
  );
}
