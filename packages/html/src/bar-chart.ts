import { escapeHtml } from './escape-html.ts';

export interface Bar {
  label: string;
  /** The bar's length against the longest; `null`, zero or negative draws no bar. */
  value: number | null;
  /** The figure written after the bar. */
  text: string;
  /** A CSS colour. */
  colour: string;
  /** Drawn hatched: a difference this machine's noise could make on its own. */
  belowNoise?: boolean;
}

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 200;
const CHART_WIDTH = 440;
const VALUE_WIDTH = 200;
const BELOW_NOISE_PATTERN =
  '<defs><pattern id="below-noise" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eceff3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9aa1ab" stroke-width="2"/></pattern></defs>\n';

/**
 * A horizontal bar chart as inline SVG in a `<figure>`: no script and no external asset, so a
 * report that holds it opens on an offline laptop. Every text is escaped.
 *
 * @example
 * barChart('Requests per second', 'req/s', [{ label: 'jwt', value: 11_068, text: '11 068', colour: '#2f6fdf' }]);
 */
export function barChart(title: string, unit: string, bars: Bar[]): string {
  const width = LABEL_WIDTH + CHART_WIDTH + VALUE_WIDTH;
  const height = bars.length * ROW_HEIGHT + 10;
  const max = Math.max(...bars.map((bar) => bar.value ?? 0), 1e-9);
  const rows = bars
    .map((bar, i) => {
      const y = i * ROW_HEIGHT + 5;
      const w = bar.value !== null && bar.value > 0 ? Math.max(1, (bar.value / max) * CHART_WIDTH) : 0;
      return [
        `<text x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(bar.label)}</text>`,
        w > 0
          ? `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_HEIGHT - 8}" fill="${bar.belowNoise ? 'url(#below-noise)' : escapeHtml(bar.colour)}" rx="2"><title>${escapeHtml(`${bar.label}: ${bar.text}`)}</title></rect>`
          : '',
        `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + 16}">${escapeHtml(bar.text)}</text>`,
      ].join('');
    })
    .join('\n');
  return `<figure><figcaption>${escapeHtml(title)} <span class="unit">(${escapeHtml(unit)})</span></figcaption>
<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="13" font-family="system-ui, sans-serif">
${bars.some((bar) => bar.belowNoise) ? BELOW_NOISE_PATTERN : ''}${rows}
</svg></figure>`;
}
