import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { openSqliteStore, systemClock } from '@authlab/store';
import { freePort } from '@authlab/testkit';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientAuthMethod } from 'oidc-provider';
import { storeAdapterFactory } from '../../src/modes/oidc/adapter.ts';

/** Who the stand-in provider says is signing in. */
export interface UpstreamAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
}

export interface UpstreamIdp {
  /** `http://127.0.0.1:<port>`: a loopback issuer, so plain http is allowed. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Registers the relying party's redirect URI (the server's port is known only once it runs). */
  register(redirectUri: string): Promise<void>;
  /** The account the next interaction signs in, without any page: the test plays the person. */
  signInAs(account: UpstreamAccount): void;
  /** Makes the next interaction end with `access_denied` instead. */
  decline(): void;
  /** Paths requested so far (UserInfo is `/me`, the token endpoint `/token`). */
  requests(): string[];
  /** How each token request carried the client's credentials: a Basic header, or not (the body). */
  tokenRequestAuth(): Array<'basic' | 'body'>;
  close(): Promise<void>;
}

/**
 * An external OpenID Provider for federated sign-in tests, standing in for Google or Keycloak:
 * oidc-provider on its own loopback port with RS256 keys, PKCE required, one confidential client,
 * and interactions that sign in whichever account the test chose. By default (like oidc-provider)
 * the ID token of a code flow carries no email: the relying party must ask UserInfo.
 * `emailInIdToken` puts the email claims into the ID token instead, as Google does.
 * `clientAuthMethods` is all its token endpoint accepts and advertises (the client is registered
 * with the first), e.g. `['client_secret_post']` as an Auth0 application defaults to.
 * `withoutEmailVerified` never asserts `email_verified`, not even as a supported claim, as Entra ID.
 */
export async function startUpstreamIdp(
  options: {
    emailInIdToken?: boolean;
    clientAuthMethods?: ['client_secret_basic' | 'client_secret_post', ...ClientAuthMethod[]];
    withoutEmailVerified?: boolean;
  } = {},
): Promise<UpstreamIdp> {
  const clientAuthMethods = options.clientAuthMethods ?? ['client_secret_basic'];
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'authlab-at-upstream';
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'upstream-1', alg: 'RS256', use: 'sig' };
  // Its own state, in memory (oidc-provider's built-in adapter warns on every construction).
  const store = openSqliteStore({ path: ':memory:' });
  const accounts = new Map<string, UpstreamAccount>();
  let next: UpstreamAccount | 'decline' | undefined;
  let provider: Provider | undefined;
  const paths: string[] = [];
  const tokenAuth: Array<'basic' | 'body'> = [];

  const interact = async (req: IncomingMessage, res: ServerResponse, current: Provider) => {
    const interaction = await current.interactionDetails(req, res);
    const chosen = next;
    if (chosen === undefined || chosen === 'decline') {
      await current.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
      return;
    }
    accounts.set(chosen.sub, chosen);
    const grant = new current.Grant({ accountId: chosen.sub, clientId: String(interaction.params.client_id) });
    grant.addOIDCScope(String(interaction.params.scope));
    const grantId = await grant.save();
    await current.interactionFinished(
      req,
      res,
      { login: { accountId: chosen.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    paths.push(path);
    if (path === '/token') tokenAuth.push(/^basic /i.test(req.headers.authorization ?? '') ? 'basic' : 'body');
    const current = provider;
    if (!current) {
      res.writeHead(503).end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res, current).catch((error: Error) => res.writeHead(500).end(error.message));
      return;
    }
    current.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    issuer,
    clientId,
    clientSecret,
    register: async (redirectUri) => {
      provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: [redirectUri],
            token_endpoint_auth_method: clientAuthMethods[0],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        adapter: storeAdapterFactory(store.oidc, systemClock),
        jwks: { keys: [signingKey as never] },
        cookies: { keys: [randomBytes(16).toString('base64url')] },
        pkce: { required: () => true },
        clientAuthMethods,
        scopes: ['openid', 'email'],
        claims: { openid: ['sub'], email: options.withoutEmailVerified ? ['email'] : ['email', 'email_verified'] },
        conformIdTokenClaims: !options.emailInIdToken,
        features: { devInteractions: { enabled: false } },
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Grant: 3600, Session: 3600 },
        interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
        findAccount: async (_ctx, sub) => {
          const account = accounts.get(sub);
          if (!account) return undefined;
          return { accountId: sub, claims: async () => ({ ...account }) };
        },
      });
    },
    signInAs: (account) => {
      next = account;
    },
    decline: () => {
      next = 'decline';
    },
    requests: () => [...paths],
    tokenRequestAuth: () => [...tokenAuth],
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}
