import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain summary line at the end of a run, `tests: N passed, M failed`, and lists skipped
 * tests by file so that a missing broker is visible. A file that fails to load counts as a failure.
 * When AGENTCTL_TEST_SUMMARY names a file, the counts are also written there as JSON (read by .ci/run).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    const skipped = new Map<string, number>();
    for (const module of modules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped') {
          const file = module.relativeModuleId;
          skipped.set(file, (skipped.get(file) ?? 0) + 1);
        }
      }
    }
    const skippedTotal = [...skipped.values()].reduce((a, b) => a + b, 0);
    if (skippedTotal > 0) {
      console.log(`\nskipped ${skippedTotal} tests (a service they need did not answer):`);
      for (const [file, count] of skipped) console.log(`  ${file}: ${count}`);
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed`);
    const out = process.env.AGENTCTL_TEST_SUMMARY;
    if (out) writeFileSync(out, JSON.stringify({ passed, failed, skipped: skippedTotal }));
  }
}
