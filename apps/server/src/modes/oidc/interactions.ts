import { AuthError } from '@authlab/auth-core';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { errors, type InteractionResults } from 'oidc-provider';
import type { AppDeps } from '../../deps.ts';
import { readBody } from '../../http/body.ts';
import { HttpError } from '../../http/errors.ts';
import { createRouter } from '../../http/router.ts';
import { loginBody } from '../session/router.ts';
import { consentPage, loginPage } from './interaction-pages.ts';
import type { ProviderHost } from './provider-host.ts';
import { allowFormRedirects, renderError } from './provider-pages.ts';

const LOGIN_MESSAGES: Record<string, string> = {
  invalid_credentials: 'That email and password do not match. Check both and try again.',
  too_many_attempts: 'Too many failed attempts from here. Wait a few minutes, then try again.',
  password_too_long: 'That password is longer than 1024 bytes.',
  invalid_request: 'Enter your email and your password.',
};

/**
 * The provider's interaction pages (login and consent): the project's own, backed by the shared
 * user store, argon2 verification, the login limiter and the generic error. Posts are protected
 * by the app-wide origin check (login CSRF).
 */
export function interactionRouter(deps: AppDeps, host: ProviderHost): Router {
  const router = createRouter('/oidc/interaction');

  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    allowFormRedirects(ctx);
    try {
      await next();
    } catch (error) {
      // An expired or foreign interaction: the provider's own error page, not a JSON error.
      if (error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest) {
        ctx.status = 400;
        await renderError(ctx as never, { error: 'invalid_session', error_description: 'start again from the app' });
        return;
      }
      throw error;
    }
  });

  const details = (ctx: Context) => host.current().interactionDetails(ctx.req, ctx.res);

  /** The interaction's client, and the name to show for it (its id when it has none). */
  const clientOf = async ({ params }: { params: Record<string, unknown> }) => {
    const clientId = String(params.client_id);
    const client = await host.current().Client.find(clientId);
    return { client, clientName: client?.clientName ?? clientId };
  };

  const finish = async (ctx: Context, result: InteractionResults, merge: boolean) => {
    const redirectTo = await host.current().interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: merge,
    });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  };

  router.get('/:uid', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    const { client, clientName } = await clientOf(interaction);
    ctx.type = 'html';
    if (interaction.prompt.name === 'login') {
      ctx.body = loginPage({ uid: interaction.uid, clientName });
      return;
    }
    const promptDetails = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    ctx.body = consentPage({
      uid: interaction.uid,
      clientName,
      scopes: promptDetails.missingOIDCScope ?? [],
      resources: Object.keys(promptDetails.missingResourceScopes ?? {}),
      native: client?.applicationType === 'native',
    });
  });

  router.post('/:uid/login', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') {
      throw new errors.SessionNotFound('interaction mismatch');
    }
    try {
      const { email, password } = readBody(ctx, loginBody);
      const user = await deps.authenticator.login(email, password, ctx.ip);
      await finish(ctx, { login: { accountId: user.id } }, false);
    } catch (error) {
      const code = error instanceof AuthError || error instanceof HttpError ? error.code : undefined;
      if (!code || !(code in LOGIN_MESSAGES)) throw error;
      const { clientName } = await clientOf(interaction);
      ctx.status = error instanceof AuthError ? error.status : 400;
      if (error instanceof AuthError && error.retryAfterSec) ctx.set('Retry-After', String(error.retryAfterSec));
      ctx.type = 'html';
      ctx.body = loginPage({
        uid: interaction.uid,
        clientName,
        error: LOGIN_MESSAGES[code],
      });
    }
  });

  router.post('/:uid/confirm', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent') {
      throw new errors.SessionNotFound('interaction mismatch');
    }
    const provider = host.current();
    const accountId = interaction.session?.accountId;
    if (!accountId) throw new errors.SessionNotFound('no signed-in account');
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (!grant) throw new errors.SessionNotFound('grant not found');
    const promptDetails = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(' '));
    if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  });

  router.post('/:uid/abort', async (ctx) => {
    const interaction = await details(ctx);
    if (interaction.uid !== ctx.params.uid) throw new errors.SessionNotFound('interaction mismatch');
    await finish(ctx, { error: 'access_denied', error_description: 'the person declined' }, false);
  });

  return router;
}
