import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChart, escapeHtml } from '../src/index.ts';

describe('escapeHtml', () => {
  it('escapes the five characters that end text or a quoted attribute', () => {
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('renders any value as text', () => {
    assert.equal(escapeHtml(42), '42');
    assert.equal(escapeHtml(null), 'null');
  });
});

describe('barChart', () => {
  const bars = [
    { label: 'koa-bare', value: 200, text: '200', colour: '#888' },
    { label: '<script>', value: 100, text: 'half', colour: '#00f' },
    { label: 'none', value: null, text: 'n/a', colour: '#00f' },
  ];

  it('draws a bar per positive value, as long as its share of the longest', () => {
    const svg = barChart('Speed', 'req/s', bars);
    const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(widths, [440, 220]);
    assert.match(svg, />n\/a</);
  });

  it('escapes every label and title', () => {
    const svg = barChart('a <b> "c"', 'u', bars);
    assert.doesNotMatch(svg, /<script>|<b>/);
    assert.match(svg, /&lt;script&gt;/);
  });
});
