/**
 * A node:test reporter that writes nothing but one plain line at the end:
 * `N passed, N failed, N skipped` (the line CI reads). Counts leaf tests only.
 */
import type { TestEvent } from 'node:test/reporters';

export default async function* summaryReporter(source: AsyncIterable<TestEvent>) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, skip, todo } = event.data;
    // Suites report too; count only tests (a failing suite hook still counts as a failure).
    if (details?.type === 'suite' && event.type === 'test:pass') continue;
    if (skip || todo) skipped++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
