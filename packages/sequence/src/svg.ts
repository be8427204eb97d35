import { PARTY_NAMES, partiesOf } from './mermaid.ts';
import type { WireMessage } from './message.ts';

const COLUMN = 180;
const MARGIN = 16;
const HEAD = 44;
const LINE = 14;
const ROW_GAP = 12;
const MAX_DETAILS = 4;
/** Average width of a 11px monospace character, for cutting text to the space it has. */
const CHAR = 6.7;

const xml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const fit = (text: string, width: number) => {
  const max = Math.max(8, Math.floor(width / CHAR));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

export interface SequenceSvgOptions {
  /** The accessible name of the drawing (`<title>`). */
  title?: string;
  /**
   * Default true: the palette travels inside the SVG as a `<style>`. False where the drawing goes
   * inline into a page whose CSP forbids inline styles: the page styles the classes itself
   * (`SEQUENCE_CSS`).
   */
  embedStyle?: boolean;
}

/** The drawing's palette and lines, light and dark: inside each SVG, or in a page's stylesheet. */
export const SEQUENCE_CSS = [
  'svg.sequence{--fg:#1c2330;--muted:#4f5969;--line:#2747d4;--reply:#0b6b5c;--head:#e8ecfd;--life:#b6bdc9;font-family:ui-monospace,Menlo,Consolas,monospace}',
  '@media (prefers-color-scheme:dark){svg.sequence{--fg:#e6e9ee;--muted:#a3adbb;--line:#8da2ff;--reply:#5fd3bd;--head:#232c48;--life:#4a5566}}',
  'svg.sequence text{fill:var(--fg);font-size:11px}svg.sequence .label{font-weight:700}svg.sequence .detail{fill:var(--muted)}svg.sequence .name{font:600 12px system-ui,sans-serif}',
  'svg.sequence .head{fill:var(--head)}svg.sequence .life{stroke:var(--life);stroke-dasharray:3 4}',
  'svg.sequence .msg line{stroke:var(--line);stroke-width:1.5}svg.sequence .reply line{stroke:var(--reply);stroke-dasharray:6 4}',
  'svg.sequence marker path{fill:var(--line)}',
].join('\n');

/**
 * Draws recorded messages as a sequence diagram: one lifeline per party, one arrow per message
 * (answers dashed), the label above the arrow and the details below it. Plain SVG text with every
 * value escaped, a light and a dark palette, no script and no external resource, so it can be an
 * `<img>`, a file in a report, or parsed into a page.
 *
 * @example
 * const svg = sequenceSvg(messages, { title: 'JWT sign-in' });
 * writeFileSync('jwt.svg', svg);
 */
export function sequenceSvg(messages: WireMessage[], options: SequenceSvgOptions = {}): string {
  const parties = partiesOf(messages);
  const columns = Math.max(parties.length, 2);
  const width = MARGIN * 2 + COLUMN * columns;
  const x = (party: string) => MARGIN + COLUMN * parties.indexOf(party as never) + COLUMN / 2;
  const rows: string[] = [];
  let y = HEAD + 24;
  for (const m of messages) {
    const from = x(m.from);
    const to = x(m.to);
    const left = Math.min(from, to);
    const span = Math.max(Math.abs(to - from), COLUMN * 0.8);
    const details = m.details.slice(0, MAX_DETAILS);
    const more = m.details.length - details.length;
    const textX = left + 6;
    rows.push(
      `<g class="msg${m.reply ? ' reply' : ''}" data-mode="${xml(m.mode)}">`,
      `<text class="label" x="${textX}" y="${y - 5}">${xml(fit(m.label, span - 12))}</text>`,
      `<line x1="${from}" y1="${y}" x2="${to}" y2="${y}" marker-end="url(#arrow)"/>`,
      ...details.map(
        ([name, value], i) =>
          `<text class="detail" x="${textX}" y="${y + LINE * (i + 1)}">${xml(fit(`${name}: ${value}`, span - 12))}</text>`,
      ),
      more > 0 ? `<text class="detail" x="${textX}" y="${y + LINE * (details.length + 1)}">+${more} more</text>` : '',
      '</g>',
    );
    y += LINE * (details.length + (more > 0 ? 1 : 0)) + ROW_GAP + 18;
  }
  const height = y + 8;
  const heads = parties.map((party) => {
    const cx = x(party);
    return [
      `<rect class="head" x="${cx - COLUMN / 2 + 12}" y="${MARGIN - 6}" width="${COLUMN - 24}" height="28" rx="6"/>`,
      `<text class="name" x="${cx}" y="${MARGIN + 12}" text-anchor="middle">${xml(PARTY_NAMES[party])}</text>`,
      `<line class="life" x1="${cx}" y1="${MARGIN + 22}" x2="${cx}" y2="${height - 4}"/>`,
    ].join('');
  });
  const title = options.title ?? 'Sequence of recorded messages';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xml(title)}">`,
    `<title>${xml(title)}</title>`,
    ...(options.embedStyle === false ? [] : ['<style>', SEQUENCE_CSS, '</style>']),
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z"/></marker></defs>',
    ...heads,
    ...rows,
    '</svg>',
  ].join('\n');
}
