import type { Context } from 'koa';

/** `GET /api/me`: who is calling, and with which mode's credential. */
export function me(ctx: Context): void {
  const { user, mode } = ctx.state.principal;
  ctx.body = { sub: user.id, email: user.email, role: user.role, mode };
}
