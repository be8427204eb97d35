import type Router from '@koa/router';
import type Koa from 'koa';
import type { AppDeps } from '../deps.ts';
import { noStore } from '../http/no-store.ts';
import { createRouter } from '../http/router.ts';
import { logoutAll } from './actions/logout-all.ts';
import { me } from './actions/me.ts';
import { createNote, deleteNote, listNotes, showNote } from './actions/notes.ts';
import { type BearerVerifier, requirePrincipal, requireScope } from './principal.ts';

/**
 * The protected API, the same for every mode: each route runs behind `requirePrincipal`, which
 * takes any mode's credential. The modes plug in (`verifiers`, `withSession`); the API imports
 * none of them. One action per file under `actions/`.
 */
export function apiRouter(deps: AppDeps, verifiers: BearerVerifier[], withSession: Koa.Middleware): Router {
  const router = createRouter('/api');
  router.use(requirePrincipal(verifiers, withSession));
  // The one scope the provider offers for the API (configuration.ts): reading and writing alike.
  router.use(requireScope('api'));
  router.use(noStore);
  router.get('/me', me);
  router.get('/notes', listNotes(deps));
  router.post('/notes', createNote(deps));
  router.get('/notes/:id', showNote(deps));
  router.delete('/notes/:id', deleteNote(deps));
  router.post('/logout-all', logoutAll(deps));
  return router;
}
