import type Router from '@koa/router';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { listDevices, revokeDevice } from './actions/devices.ts';
import { jwks } from './actions/jwks.ts';
import { login } from './actions/login.ts';
import { logout, logoutAll } from './actions/logout.ts';
import { refresh } from './actions/refresh.ts';
import { requireJwt } from './require-jwt.ts';

/**
 * The JWT mode: short-lived EdDSA access tokens and rotating refresh tokens, one family per
 * device. Routes per the HTTP interface in shared/DESIGN.md; one action per file under
 * `actions/`. The API's verifier for this mode's tokens is `bearer-verifier.ts`.
 */
export function jwtRouter(deps: AppDeps): Router {
  const router = createRouter();
  const signedIn = requireJwt(deps);
  router.get('/.well-known/jwks.json', jwks(deps));
  router.post('/jwt/login', login(deps));
  router.post('/jwt/refresh', refresh(deps));
  router.post('/jwt/logout', logout(deps));
  router.post('/jwt/logout-all', signedIn, logoutAll(deps));
  router.get('/jwt/devices', signedIn, listDevices(deps));
  router.delete('/jwt/devices/:id', signedIn, revokeDevice(deps));
  return router;
}
