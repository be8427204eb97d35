import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { createRouter } from '../http/router.ts';

const FILES: Record<string, string> = {
  'style.css': 'text/css; charset=utf-8',
  'provider.css': 'text/css; charset=utf-8',
  'me.js': 'text/javascript; charset=utf-8',
  'jwt.js': 'text/javascript; charset=utf-8',
  'login.js': 'text/javascript; charset=utf-8',
  'compare.js': 'text/javascript; charset=utf-8',
  'compare-panel.js': 'text/javascript; charset=utf-8',
  'compare-session.js': 'text/javascript; charset=utf-8',
  'compare-jwt.js': 'text/javascript; charset=utf-8',
  'compare-oidc.js': 'text/javascript; charset=utf-8',
  'compare-sequence.js': 'text/javascript; charset=utf-8',
  'compare.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** The few static files the pages use, read once at start and served from memory. */
export function assetsRouter(): Router {
  const router = createRouter('/assets');
  const contents = new Map(
    Object.entries(FILES).map(([name, type]) => [
      name,
      { type, body: readFileSync(new URL(`./assets/${name}`, import.meta.url)) },
    ]),
  );
  router.get('/:name', function serveAsset(ctx: Context) {
    const file = contents.get(ctx.params.name ?? '');
    if (!file) return; // 404
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = file.type;
    ctx.body = file.body;
  });
  return router;
}
