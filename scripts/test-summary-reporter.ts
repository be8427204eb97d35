/**
 * A node:test reporter that writes nothing but one plain line at the end:
 * `N passed, N failed, N skipped` (the line CI reads). It counts tests, not suites:
 *
 * - every test once: passed, failed (a test cancelled because its suite's hook failed is a
 *   failure too) or skipped (`skip` and `todo`);
 * - a suite or a parent test that failed only because a test inside it failed adds nothing;
 * - a suite that failed by itself (a failing `before`/`after` hook, an error thrown in the
 *   `describe` body, a test file that throws at top level) is one failure, unless a test inside it
 *   was already counted as failed — so a failing hook is never lost, and never counted twice.
 */
import type { TestEvent } from 'node:test/reporters';

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
}

export function summaryLine({ passed, failed, skipped }: Summary): string {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

/** Counts a stream of node:test events as described above. */
export async function tally(source: AsyncIterable<TestEvent>): Promise<Summary> {
  const summary: Summary = { passed: 0, failed: 0, skipped: 0 };
  // Per test file: failures counted so far, and that count when the test at each nesting started
  // (a file's events arrive in order, start before its children, result after them).
  const failuresInFile = new Map<string, number>();
  const failuresAtStart = new Map<string, number[]>();
  for await (const event of source) {
    if (event.type !== 'test:start' && event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const file = event.data.file ?? '';
    const { nesting } = event.data;
    const starts = failuresAtStart.get(file) ?? [];
    failuresAtStart.set(file, starts);
    const failedSoFar = failuresInFile.get(file) ?? 0;
    if (event.type === 'test:start') {
      starts[nesting] = failedSoFar;
      continue;
    }
    const { details, skip, todo } = event.data;
    const isSuite = details.type === 'suite';
    if (event.type === 'test:pass') {
      if (isSuite) continue;
      if (skip || todo) summary.skipped++;
      else summary.passed++;
      continue;
    }
    const failureType = 'error' in details ? (details.error as { failureType?: string }).failureType : undefined;
    // The tests inside were counted one by one.
    if (failureType === 'subtestsFailed') continue;
    // A suite's own failure counts once, only if nothing inside it was counted as failed.
    if (isSuite && failedSoFar > (starts[nesting] ?? failedSoFar)) continue;
    summary.failed++;
    failuresInFile.set(file, failedSoFar + 1);
  }
  return summary;
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>) {
  yield `${summaryLine(await tally(source))}\n`;
}
