import type { Party, WireMessage } from './message.ts';

const NAMES: Record<Party, string> = {
  browser: 'Browser',
  app: 'App',
  server: 'authlab server',
  provider: 'OpenID Provider',
};

/** Mermaid escapes: `#` starts an entity, `;` ends a statement, and a newline ends the message. */
const mermaidText = (text: string) =>
  text.replace(/[#;]/g, (char) => `#${char.charCodeAt(0)};`).replace(/[\r\n]+/g, ' ');

/**
 * The messages as a Mermaid `sequenceDiagram`, for slides and docs. Values are as recorded
 * (secrets already shortened); only the participants that took part are declared.
 *
 * @example
 * sequenceMermaid([{ at: 0, from: 'browser', to: 'server', label: 'POST /jwt/login', details: [], mode: 'jwt', reply: false }]);
 * // sequenceDiagram\n  participant browser as Browser\n  participant server as authlab server\n  browser->>server: POST /jwt/login
 */
export function sequenceMermaid(messages: WireMessage[]): string {
  const parties = partiesOf(messages);
  const lines = ['sequenceDiagram', ...parties.map((p) => `  participant ${p} as ${NAMES[p]}`)];
  for (const m of messages) {
    const details = m.details.map(([name, value]) => `${name}=${value}`).join(', ');
    const text = mermaidText(details ? `${m.label} (${details})` : m.label);
    lines.push(`  ${m.from}${m.reply ? '-->>' : '->>'}${m.to}: ${text}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The parties in a fixed left-to-right order, only those that appear. */
export function partiesOf(messages: WireMessage[]): Party[] {
  const order: Party[] = ['app', 'browser', 'server', 'provider'];
  const seen = new Set(messages.flatMap((m) => [m.from, m.to]));
  return order.filter((p) => seen.has(p));
}

export { NAMES as PARTY_NAMES };
