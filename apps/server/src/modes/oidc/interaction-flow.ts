import type { Context } from 'koa';
import { type Client, errors, type Interaction, type InteractionResults } from 'oidc-provider';
import type { ProviderHost } from './provider-host.ts';

/**
 * What every interaction action asks of the provider, over the provider the host currently runs:
 * the interaction behind the browser's interaction cookie, its client, and how to end it.
 */
export interface InteractionFlow {
  /**
   * The browser's interaction, checked against the `:uid` in the path and (when given) the
   * prompt the action answers; `SessionNotFound` otherwise (the guard shows it as expired).
   */
  current(ctx: Context, prompt?: 'login' | 'consent'): Promise<Interaction>;
  /** The interaction's client, and the name to show for it (its id when it has none). */
  clientOf(interaction: Interaction): Promise<{ client: Client | undefined; clientName: string }>;
  /** Hands the result to the provider and follows its redirect (303: the form post becomes a GET). */
  finish(ctx: Context, result: InteractionResults, merge: boolean): Promise<void>;
}

export function interactionFlow(host: ProviderHost): InteractionFlow {
  return {
    async current(ctx, prompt) {
      const interaction = await host.current().interactionDetails(ctx.req, ctx.res);
      if (interaction.uid !== ctx.params.uid || (prompt && interaction.prompt.name !== prompt)) {
        throw new errors.SessionNotFound('interaction mismatch');
      }
      return interaction;
    },
    async clientOf({ params }) {
      const clientId = String(params.client_id);
      const client = await host.current().Client.find(clientId);
      return { client, clientName: client?.clientName ?? clientId };
    },
    async finish(ctx, result, merge) {
      const redirectTo = await host.current().interactionResult(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: merge,
      });
      ctx.status = 303;
      ctx.redirect(redirectTo);
    },
  };
}
