import type { Note } from '@authlab/store';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../../deps.ts';
import { readBody } from '../../http/body.ts';
import { notFound } from '../../http/errors.ts';

const noteBody = z.object({ text: z.string().trim().min(1).max(10_000) }).strict();

const noteView = (note: Note) => ({
  id: note.id,
  text: note.text,
  ownerId: note.ownerId,
  createdAt: new Date(note.createdAt).toISOString(),
});

/**
 * The note of `:id` if the caller may see it: its owner or an admin. Someone else's note is a
 * 404 like a missing one, so its existence is not disclosed (ASVS V4.2.1).
 */
async function visibleNote(deps: AppDeps, ctx: Context): Promise<Note> {
  const { user } = ctx.state.principal;
  const note = await deps.store.notes.get(String(ctx.params.id));
  if (!note || (note.ownerId !== user.id && user.role !== 'admin')) throw notFound();
  return note;
}

/** `GET /api/notes`: the caller's notes. */
export function listNotes(deps: AppDeps) {
  return async function listNotes(ctx: Context): Promise<void> {
    const notes = await deps.store.notes.listByOwner(ctx.state.principal.user.id);
    ctx.body = { notes: notes.map(noteView) };
  };
}

/** `POST /api/notes`: `201` with the note and its `Location`. */
export function createNote(deps: AppDeps) {
  return async function createNote(ctx: Context): Promise<void> {
    const { text } = readBody(ctx, noteBody);
    const note = await deps.store.notes.create(ctx.state.principal.user.id, text);
    ctx.status = 201;
    ctx.set('Location', `/api/notes/${note.id}`);
    ctx.body = noteView(note);
  };
}

/** `GET /api/notes/:id`: one note, its owner's or (for an admin) anyone's. */
export function showNote(deps: AppDeps) {
  return async function showNote(ctx: Context): Promise<void> {
    ctx.body = noteView(await visibleNote(deps, ctx));
  };
}

/** `DELETE /api/notes/:id`: `204`, with the same visibility as `showNote`. */
export function deleteNote(deps: AppDeps) {
  return async function deleteNote(ctx: Context): Promise<void> {
    const note = await visibleNote(deps, ctx);
    await deps.store.notes.delete(note.id);
    ctx.status = 204;
  };
}
