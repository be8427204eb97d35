/**
 * The compare report as a reader sees it, rendered from the committed example run: the cost chart
 * shows the median with its noise, marks a difference within the noise as such, and the matrix
 * becomes one column on a phone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderHtml } from '../src/compare/report.ts';
import type { CompareResult } from '../src/compare/types.ts';
import { REPO_ROOT } from '../src/labs.ts';

const example = (): CompareResult =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'docs/examples/compare/latest.json'), 'utf8')) as CompareResult;

function withCost(result: CompareResult, facts: Record<string, { deltaP50Us: number; noiseUs: number }>) {
  const row = result.rows.find((r) => r.id === 'verification-cost');
  assert.ok(row, 'the example has the verification-cost row');
  for (const [mode, values] of Object.entries(facts)) Object.assign(row.cells[mode as 'jwt'].facts, values);
  return result;
}

test('the cost chart draws the median with its noise, and hatches a median within the noise', () => {
  const html = renderHtml(
    withCost(example(), {
      session: { deltaP50Us: 3, noiseUs: 8 },
      jwt: { deltaP50Us: 41, noiseUs: 7 },
      oidc: { deltaP50Us: 57, noiseUs: 9 },
    }),
  );
  assert.match(html, /session median.*3 µs: below noise \(±8 µs\)/);
  assert.match(html, /jwt median.*41 µs \(±7 µs\)/);
  assert.doesNotMatch(html, /jwt median[^<]*below noise/);
  assert.equal(html.match(/fill="url\(#below-noise\)"/g)?.length, 1, 'only the session median is hatched');
  assert.doesNotMatch(html, /session mean|jwt mean/, 'the mean is no longer charted');
});

test('the matrix stacks into one column per scenario on a narrow screen, each cell named by its mode', () => {
  const html = renderHtml(example());
  assert.match(html, /@media \(max-width: 720px\)[\s\S]*\.matrix thead \{ display: none; \}/);
  for (const mode of ['session', 'jwt', 'oidc'])
    assert.match(html, new RegExp(`<td class="[^"]*" data-mode="${mode}">`));
});
