import type { Context } from 'koa';
import type { InteractionFlow } from '../interaction-flow.ts';
import { consentPage, loginPage } from '../interaction-pages.ts';

/** `GET /oidc/interaction/:uid`: the page the provider's prompt asks for (login or consent). */
export function showInteraction(flow: InteractionFlow) {
  return async function showInteraction(ctx: Context): Promise<void> {
    const interaction = await flow.current(ctx);
    const { client, clientName } = await flow.clientOf(interaction);
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
  };
}
