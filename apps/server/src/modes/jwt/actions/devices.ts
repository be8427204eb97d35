import type { Context } from 'koa';
import type { AppDeps } from '../../../deps.ts';
import { notFound } from '../../../http/errors.ts';
import { noStore } from '../refresh-cookie.ts';

/** `GET /jwt/devices` (behind `requireJwt`): the account's live refresh families, one per device. */
export function listDevices(deps: AppDeps) {
  return async function listDevices(ctx: Context): Promise<void> {
    const { user, claims } = ctx.state.jwt;
    const families = await deps.tokens.devices(user.id);
    noStore(ctx);
    ctx.body = {
      devices: families.map((family) => ({
        id: family.id,
        name: family.name,
        current: family.id === claims.sid,
        createdAt: new Date(family.createdAt).toISOString(),
        lastSeenAt: new Date(family.lastUsedAt).toISOString(),
        userAgent: family.userAgent,
        ip: family.ip,
      })),
    };
  };
}

/**
 * `DELETE /jwt/devices/:id` (behind `requireJwt`): revokes one of the account's families and the
 * access tokens issued from it. Another account's family is a 404 like an unknown one.
 */
export function revokeDevice(deps: AppDeps) {
  return async function revokeDevice(ctx: Context): Promise<void> {
    const revoked = await deps.tokens.revokeFamily(ctx.state.jwt.user.id, String(ctx.params.id), 'device_revoked');
    if (!revoked) throw notFound();
    ctx.status = 204;
  };
}
