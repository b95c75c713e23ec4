import { describe, expect, it } from 'vitest';
import { NotConfirmedError } from '../../src/cli/confirm.js';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeOf } from '../../src/cli/exit-codes.js';
import {
  ConfigError,
  NotFoundError,
  PoisonStormError,
  SourceUnavailableError,
  StoreUnavailableError,
  TimeoutError,
  UsageError,
} from '../../src/core/errors/index.js';
import { MissingStoreError } from '../../src/core/errors/usage-error.js';
import { DrainTimeoutError } from '../../src/core/ops/drain.js';

describe('exit codes come from the error kind', () => {
  it('Given each error the CLI reports, When its exit code is taken from its kind, Then what did not answer or halted exits 1 and a wrong request exits 2', () => {
    const cases: [{ kind?: string }, number][] = [
      [new SourceUnavailableError('broker down'), EXIT_FAILURE],
      [new StoreUnavailableError('postgres down'), EXIT_FAILURE],
      [new TimeoutError('no answer'), EXIT_FAILURE],
      [new PoisonStormError('stopped'), EXIT_FAILURE],
      [new DrainTimeoutError({ id: 1 } as never, 'slow drain'), EXIT_FAILURE],
      [new UsageError('bad flag'), EXIT_USAGE],
      [new MissingStoreError('no store'), EXIT_USAGE],
      [new ConfigError('bad config'), EXIT_USAGE],
      [new NotFoundError('no such item'), EXIT_USAGE],
      [new NotConfirmedError('not confirmed', 'add --yes'), EXIT_USAGE],
      [{}, EXIT_USAGE],
    ];
    for (const [error, exit] of cases)
      expect([error.constructor.name, exitCodeOf(error.kind)]).toEqual([error.constructor.name, exit]);
  });
});
