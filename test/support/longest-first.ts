import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take a minute or more of a CI run (`.ci/run`'s output gives each file's time), longest
 * first. Vitest, with no timings from an earlier run (a clean clone), orders a group's files by project
 * name and then by size, so the engine's crash tests (small files, `in-process` after `cli-parallel`)
 * started last and ran alone while the other workers sat idle: ~1 minute of a run. Keep it roughly in
 * step with what the runs show; a file missing here only starts later.
 */
const LONGEST = [
  'test/commands/runs.test.ts',
  'test/commands/failed-edit.test.ts',
  'test/core/crash.test.ts',
  'test/commands/replay.test.ts',
  'test/commands/failed.test.ts',
  'test/cli/errors-cli.test.ts',
  'test/e2e/operations.test.ts',
  'test/core/crash-groups.test.ts',
  'test/commands/checkpoint-plan.test.ts',
  'test/commands/context.test.ts',
  'test/core/store/postgres-state-store.test.ts',
  'test/commands/checkpoint.test.ts',
];

/**
 * Orders each group's files across its projects: the files of LONGEST first, in that order, then the rest,
 * larger files first. Groups (`sequence.groupOrder`) still run one after the other.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.indexOf(relative(root, spec.moduleId));
      return at === -1 ? LONGEST.length : at;
    };
    const size = (spec: TestSpecification) => statSync(spec.moduleId).size;
    return [...files].sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        rank(a) - rank(b) ||
        size(b) - size(a),
    );
  }
}
