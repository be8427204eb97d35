import { endEverything } from '@authlab/auth-core';
import type { Note } from '@authlab/store';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { readBody } from '../http/body.ts';
import { notFound } from '../http/errors.ts';
import { createRouter } from '../http/router.ts';
import { endSession } from '../modes/session/session-middleware.ts';
import { type BearerVerifier, type Principal, requirePrincipal, requireScope } from './principal.ts';

const noteBody = z.object({ text: z.string().trim().min(1).max(10_000) }).strict();

const noteView = (note: Note) => ({
  id: note.id,
  text: note.text,
  ownerId: note.ownerId,
  createdAt: new Date(note.createdAt).toISOString(),
});

const principalOf = (ctx: Context) => ctx.state.principal as Principal;

/**
 * The protected API, the same for every mode. Notes are object-level authorised: owners (and
 * admins) only, and someone else's note is a 404 so its existence is not disclosed (ASVS V4.2.1).
 */
export function apiRouter(deps: AppDeps, verifiers: BearerVerifier[]): Router {
  const router = createRouter('/api');
  router.use(requirePrincipal(deps, verifiers));
  // The one scope the provider offers for the API (configuration.ts): reading and writing alike.
  router.use(requireScope('api'));
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  async function visibleNote(ctx: Context): Promise<Note> {
    const { user } = principalOf(ctx);
    const note = await deps.store.notes.get(String(ctx.params.id));
    if (!note || (note.ownerId !== user.id && user.role !== 'admin')) throw notFound();
    return note;
  }

  router.get('/me', (ctx) => {
    const { user, mode } = principalOf(ctx);
    ctx.body = { sub: user.id, email: user.email, role: user.role, mode };
  });

  router.get('/notes', async (ctx) => {
    const notes = await deps.store.notes.listByOwner(principalOf(ctx).user.id);
    ctx.body = { notes: notes.map(noteView) };
  });

  router.post('/notes', async (ctx) => {
    const { text } = readBody(ctx, noteBody);
    const note = await deps.store.notes.create(principalOf(ctx).user.id, text);
    ctx.status = 201;
    ctx.set('Location', `/api/notes/${note.id}`);
    ctx.body = noteView(note);
  });

  router.get('/notes/:id', async (ctx) => {
    ctx.body = noteView(await visibleNote(ctx));
  });

  router.delete('/notes/:id', async (ctx) => {
    const note = await visibleNote(ctx);
    await deps.store.notes.delete(note.id);
    ctx.status = 204;
  });

  router.post('/logout-all', async (ctx) => {
    await endEverything(deps.store, principalOf(ctx).user.id, { clock: deps.clock });
    if (principalOf(ctx).mode === 'session') await endSession(ctx);
    ctx.status = 204;
  });

  return router;
}
