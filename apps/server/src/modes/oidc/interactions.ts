import type Router from '@koa/router';
import type { AppDeps } from '../../deps.ts';
import { createRouter } from '../../http/router.ts';
import { abortInteraction, confirmConsent } from './actions/interaction-consent.ts';
import { interactionLogin } from './actions/interaction-login.ts';
import { showInteraction } from './actions/show-interaction.ts';
import { interactionPageErrors } from './interaction-errors.ts';
import { interactionFlow } from './interaction-flow.ts';
import type { ProviderHost } from './provider-host.ts';

/**
 * The provider's interaction pages (login and consent): the project's own, backed by the shared
 * user store, argon2 verification, the login limiter and the generic error. Posts are protected
 * by the app-wide origin check (login CSRF). One action per file under `actions/`.
 */
export function interactionRouter(deps: AppDeps, host: ProviderHost): Router {
  const flow = interactionFlow(host);
  const router = createRouter('/oidc/interaction');
  router.use(interactionPageErrors);
  router.get('/:uid', showInteraction(flow));
  router.post('/:uid/login', interactionLogin(deps, flow));
  router.post('/:uid/confirm', confirmConsent(host, flow));
  router.post('/:uid/abort', abortInteraction(flow));
  return router;
}
