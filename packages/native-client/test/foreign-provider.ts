import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { freePort } from '@authlab/testkit';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import Koa from 'koa';
import mount from 'koa-mount';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

/** The public native client registered at the foreign provider (RFC 8252: no secret, any loopback port). */
export const FOREIGN_CLIENT_ID = 'authlab-cli';
/** A client registered as confidential (a Keycloak client with "Client authentication" on). */
export const CONFIDENTIAL_CLIENT_ID = 'confidential-app';

export interface ForeignProvider {
  /** `http://127.0.0.1:<port>` plus the issuer path, e.g. `/realms/workshop`, Keycloak style. */
  issuer: string;
  /**
   * A resource server for this provider's access tokens (`GET /api/me` verifies them with jose and
   * answers their claims as JSON); `<api>/html/api/me` answers a web page instead.
   */
  api: string;
  close(): Promise<void>;
}

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * An OpenID Provider we did not write, standing in for Keycloak, Entra ID or Auth0: oidc-provider
 * with its own login and consent pages (`devInteractions`: any login, any password), RS256 keys,
 * PKCE, refresh-token rotation, RFC 7009 revocation, and RFC 8707 resource indicators issuing
 * JWT access tokens for `api`. The ID token carries `email`, as Keycloak's does.
 *
 * @example
 * const idp = await startForeignProvider({ issuerPath: '/realms/workshop' });
 * // pnpm authlab login --issuer ${idp.issuer} --client-id authlab-cli --api ${idp.api}
 */
export async function startForeignProvider(options: { issuerPath?: string } = {}): Promise<ForeignProvider> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const path = options.issuerPath ?? '';
  const issuer = `http://127.0.0.1:${port}${path}`;
  const api = `http://127.0.0.1:${apiPort}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'foreign-1', alg: 'RS256', use: 'sig' };
  const cookieKeys = [randomBytes(16).toString('base64url')];
  const loopback = { application_type: 'native' as const, redirect_uris: ['http://127.0.0.1/callback'] };

  const provider = new Provider(issuer, {
    clients: [
      {
        ...loopback,
        client_id: FOREIGN_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        ...loopback,
        client_id: CONFIDENTIAL_CLIENT_ID,
        client_secret: randomBytes(24).toString('base64url'),
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: cookieKeys },
    scopes: ['openid', 'email', 'offline_access', 'api'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => api,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: api,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Grant: 3600, Session: 3600 },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true }),
    }),
  });
  const host = new Koa();
  // Mounted, the provider signs its cookies with the host application's keys.
  host.keys = cookieKeys;
  host.use(mount(path || '/', provider));
  const idpServer = createServer(host.callback());
  await listen(idpServer, port);

  const keys = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const apiServer = createServer((req, res) => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (req.url === '/html/api/me') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><h1>Welcome to our portal</h1>');
      return;
    }
    if (req.url !== '/api/me') return json(404, { error: 'not_found' });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    jwtVerify(token, keys, { issuer, audience: api, typ: 'at+jwt' })
      .then(({ payload }) => json(200, { sub: payload.sub, scope: payload.scope, client_id: payload.client_id }))
      .catch(() => json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' }));
  });
  await listen(apiServer, apiPort);

  return {
    issuer,
    api,
    close: async () => {
      await close(apiServer);
      await close(idpServer);
    },
  };
}

/** Alice's sign-in on the foreign provider's own pages (any login and password, then consent). */
export async function signInAtForeignProvider(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('input[name="login"]').fill('alice@example.com');
  await page.locator('input[name="password"]').fill('any password: these pages check none');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}
