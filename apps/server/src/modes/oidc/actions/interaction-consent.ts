import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { InteractionFlow } from '../interaction-flow.ts';
import type { ProviderHost } from '../provider-host.ts';

/**
 * `POST /oidc/interaction/:uid/confirm`: the person approved. The grant (a new one, or the
 * existing one) gets exactly what the prompt found missing: OIDC scopes and claims, and the
 * scopes of each resource (RFC 8707).
 */
export function confirmConsent(host: ProviderHost, flow: InteractionFlow) {
  return async function confirmConsent(ctx: Context): Promise<void> {
    const interaction = await flow.current(ctx, 'consent');
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
    await flow.finish(ctx, { consent: interaction.grantId ? {} : { grantId } }, true);
  };
}

/** `POST /oidc/interaction/:uid/abort`: the person declined; the client gets `access_denied`. */
export function abortInteraction(flow: InteractionFlow) {
  return async function abortInteraction(ctx: Context): Promise<void> {
    await flow.current(ctx);
    await flow.finish(ctx, { error: 'access_denied', error_description: 'the person declined' }, false);
  };
}
