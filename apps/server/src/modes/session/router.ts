import { endEverything } from '@authlab/auth-core';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { isFormPost, readBody } from '../../http/body.ts';
import { HttpError, notFound } from '../../http/errors.ts';
import { createRouter } from '../../http/router.ts';
import { publicUser, sessionView } from '../../views.ts';
import { beginSession, endSession, sessionUser } from './session-middleware.ts';

export const loginBody = z
  .object({
    email: z.string().min(1).max(320),
    password: z.string().min(1),
  })
  .strict();

const unauthenticated = () => new HttpError(401, 'unauthenticated', 'sign in first');

/** Forms get a 303 to a page; an error on a form post goes back to the login page with its code. */
async function formAware(ctx: Context, success: string, work: () => Promise<void>): Promise<void> {
  const form = isFormPost(ctx);
  try {
    await work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!form || typeof code !== 'string' || code === 'store_unavailable') throw error;
    ctx.redirect(`/login?error=${encodeURIComponent(code)}`);
    ctx.status = 303;
    return;
  }
  if (form) {
    ctx.redirect(success);
    ctx.status = 303;
  }
}

/**
 * The server-session mode: an opaque id in an HttpOnly cookie, all state on the server.
 * Routes per the HTTP interface in shared/DESIGN.md.
 */
export function sessionRouter(deps: AppDeps): Router {
  const router = createRouter('/session');

  router.post('/login', async (ctx) => {
    await formAware(ctx, '/me', async () => {
      const { email, password } = readBody(ctx, loginBody);
      const user = await deps.authenticator.login(email, password, ctx.ip);
      await beginSession(ctx, deps, user);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user: publicUser(user) };
    });
  });

  router.get('/me', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (!found) throw unauthenticated();
    const { user, session } = found;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      user: publicUser(user),
      session: {
        createdAt: new Date(session.createdAt).toISOString(),
        expiresAt: new Date(
          Math.min(
            session.createdAt + deps.config.session.absoluteTtlMs,
            session.lastSeenAt + deps.config.session.idleTtlMs,
          ),
        ).toISOString(),
      },
    };
  });

  router.get('/sessions', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (!found) throw unauthenticated();
    const sessions = await deps.store.sessions.listByUser(found.user.id);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { sessions: sessions.map(({ record }) => sessionView(record, found.session.handle)) };
  });

  router.delete('/sessions/:id', async (ctx) => {
    const found = await sessionUser(ctx, deps);
    if (!found) throw unauthenticated();
    const sessions = await deps.store.sessions.listByUser(found.user.id);
    const target = sessions.find(({ record }) => record.handle === ctx.params.id);
    if (!target) throw notFound();
    await deps.store.sessions.delete(target.key);
    if (target.record.handle === found.session.handle) await endSession(ctx);
    ctx.status = 204;
  });

  router.post('/logout', async (ctx) => {
    await formAware(ctx, '/', async () => {
      // The server record goes and the cookie is cleared.
      await endSession(ctx);
      ctx.status = 204;
    });
  });

  router.post('/logout-all', async (ctx) => {
    await formAware(ctx, '/', async () => {
      const found = await sessionUser(ctx, deps);
      if (!found) throw unauthenticated();
      await endEverything(deps.store, found.user.id, { clock: deps.clock });
      await endSession(ctx);
      ctx.status = 204;
    });
  });

  return router;
}
