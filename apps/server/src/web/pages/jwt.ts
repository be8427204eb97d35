import type { Context } from 'koa';
import { noStoreHtml } from '../../http/no-store.ts';
import { page } from '../html.ts';
import { jwtPlayground } from '../jwt-page.ts';

/** `GET /jwt`: the JWT playground (its script calls the JWT mode's routes). */
export function jwtPage(ctx: Context): void {
  noStoreHtml(ctx);
  ctx.body = page(
    {
      title: 'JWT playground',
      signedInAs: ctx.state.signedIn?.user.email,
      current: '/jwt',
      scripts: ['/assets/jwt.js'],
    },
    jwtPlayground(),
  );
}
