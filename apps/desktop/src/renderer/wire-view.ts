/**
 * The timeline's sequence diagrams: each panel's recorded messages (snapshot.wire) drawn with
 * @authlab/sequence. The SVG is our own escaped text, parsed as SVG (never as HTML) and imported
 * into the page; its palette is in styles.css, since the window's CSP allows no inline style.
 */
import { sequenceMermaid, sequenceSvg, type WireMessage } from '@authlab/sequence';
import type { Mode } from '../core/api.ts';

const TITLES: Record<Mode, string> = {
  oidc: 'OpenID Connect: the messages the app exchanged',
  jwt: 'JWT and refresh token: the messages the app exchanged',
  session: 'Server session: the messages the app exchanged',
};

export class WireView {
  readonly #figures = new Map<Mode, HTMLElement>();
  /** What each figure shows now, so an unchanged recording is not parsed again on every snapshot. */
  readonly #drawn = new Map<Mode, string>();

  constructor(root: ParentNode) {
    for (const figure of root.querySelectorAll<HTMLElement>('.wire-figure')) {
      this.#figures.set(figure.dataset.mode as Mode, figure);
    }
  }

  draw(wire: Record<Mode, WireMessage[]>): void {
    for (const [mode, figure] of this.#figures) {
      const messages = wire[mode] ?? [];
      const last = messages.at(-1);
      const key = `${messages.length}:${last?.at ?? 0}:${last?.label ?? ''}`;
      if (messages.length === 0 || this.#drawn.get(mode) === key) continue;
      this.#drawn.set(mode, key);
      const svg = sequenceSvg(messages, { title: TITLES[mode], embedStyle: false });
      const parsed = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
      figure.querySelector('[data-field="svg"]')?.replaceChildren(document.importNode(parsed, true));
      const mermaid = figure.querySelector('[data-field="mermaid"]');
      if (mermaid) mermaid.textContent = sequenceMermaid(messages);
      const details = figure.querySelector('details');
      if (details) details.hidden = false;
    }
  }
}
