import { JwtSource, OidcSource, TokenManager, type TokenSource, type Vault } from '@authlab/native-client';
import type { Settings } from './settings.ts';
import { type Target, targetOf } from './target.ts';

function sourceFor(settings: Settings, target: Target): TokenSource {
  return settings.mode === 'oidc'
    ? new OidcSource({ issuer: target.issuer, clientId: target.clientId })
    : new JwtSource({ server: settings.server });
}

/** The token manager of the sign-in `settings` describe: its source, and its entry in `vault`. */
export function managerFor(settings: Settings, vault: Vault): TokenManager {
  const target = targetOf(settings);
  return new TokenManager({ source: sourceFor(settings, target), vault, account: target.account, retries: 2 });
}
