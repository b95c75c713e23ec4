import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, nextTurn, systemClock } from '../../../src/core/clock.js';
import {
  type Commit,
  isMessageRejected,
  type ProcessingStrategy,
} from '../../../src/core/strategies/processing-strategy.js';
import { type Message, type Offset, offsetsOf } from '../../../src/core/types.js';
import { Collect, CommitLog } from '../../support/collect.js';
import { offsetKey } from '../../support/messages.js';

/** What a strategy under test is built with. */
export interface BehaviourContext {
  /** Records done marks; the suite counts them as delivered. */
  readonly commit: Commit;
  /** A clock that only moves when the test says so. */
  readonly clock: FakeClock;
  /** For a `failing` build: true for the one message whose work must fail (input `FAILING_INDEX`). */
  readonly fails: (message: Message<unknown>) => boolean;
  /** For a `failing` build: the error to throw; its message is `FAILURE_MESSAGE`. */
  readonly failure: Error;
}

export type Build<T> = (next: ProcessingStrategy<unknown>, ctx: BehaviourContext) => ProcessingStrategy<T>;

export interface BehaviourOptions<T> {
  /** How many inputs the laws feed. Default 60. */
  readonly count?: number;
  /** The strategy ends the pipeline (ignores `next`); the laws about the next step are skipped. */
  readonly terminal?: boolean;
  /** Builds a variant whose work never finishes: enables the join-timeout law. */
  readonly hanging?: Build<T>;
  /**
   * Builds a variant whose work fails for the message `ctx.fails` picks, with `ctx.failure` (or an error
   * whose `cause` chain carries `FAILURE_MESSAGE`): enables the failure law.
   */
  readonly failing?: Build<T>;
}

export const FAILING_INDEX = 1;
export const FAILURE_MESSAGE = 'behaviour suite failure';

const SPIN_LIMIT = 100_000;

/**
 * The laws every `ProcessingStrategy` obeys, run against one strategy. `build` makes the strategy with
 * the next step to forward to; `makeInput(i)` makes the i-th input, whose offsets must be unique.
 * The suite drives strategies as the processor does: on `MessageRejected` it polls (awaiting the promise
 * `poll` returns) and submits the same message again; after a failure it goes on with the next message,
 * and joins again after a `join` that threw.
 */
export function strategyBehaviour<T>(
  name: string,
  build: Build<T>,
  makeInput: (i: number) => Message<T>,
  options: BehaviourOptions<T> = {},
): void {
  const count = options.count ?? 60;
  const inputs = (n = count) => Array.from({ length: n }, (_, i) => makeInput(i));

  describe(`${name} obeys the strategy contract`, () => {
    const built: ProcessingStrategy<T>[] = [];
    afterEach(() => {
      for (const strategy of built.splice(0)) strategy.terminate();
    });

    function setup(variant: Build<T> = build) {
      const next = new Collect();
      const log = new CommitLog();
      const failing = new Set(offsetsOf(makeInput(FAILING_INDEX)).map(offsetKey));
      const ctx: BehaviourContext = {
        commit: log.commit,
        clock: new FakeClock(),
        fails: (m) => offsetsOf(m).some((o) => failing.has(offsetKey(o))),
        failure: new Error(FAILURE_MESSAGE),
      };
      const strategy = variant(next, ctx);
      built.push(strategy);
      const delivered = () => (options.terminal ? log.offsets : [...next.offsets, ...log.offsets]);
      return { strategy, next, delivered };
    }

    it(`given ${count} messages over several partitions, when fed, closed and joined, then each is forwarded or committed exactly once`, async () => {
      const { strategy, delivered } = setup();
      const fed = inputs();
      await feed(strategy, fed);
      await finish(strategy);
      expectExactlyOnce(delivered(), expectedOffsets(fed));
    });

    it('given a next step that rejects now and then, when fed and joined, then nothing is lost or duplicated', async () => {
      const { strategy, next, delivered } = setup();
      next.rejectNext(3).rejectEvery(3);
      const fed = inputs();
      await feed(strategy, fed);
      await finish(strategy);
      expectExactlyOnce(delivered(), expectedOffsets(fed));
      if (!options.terminal) expectPartitionOrder(next.offsets, expectedOffsets(fed));
    });

    it('given nothing submitted, when closed and joined, then join resolves', async () => {
      const { strategy, next } = setup();
      strategy.close();
      await strategy.join();
      if (!options.terminal) expect(next.joined).toBe(true);
    });

    it('when closed, then submit throws an error that is not MessageRejected', () => {
      const { strategy } = setup();
      strategy.close();
      strategy.close();
      let thrown: unknown;
      try {
        strategy.submit(makeInput(0));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(isMessageRejected(thrown)).toBe(false);
    });

    it('given work in flight, when terminated twice, then nothing more is forwarded or committed and submit throws', async () => {
      const { strategy, next, delivered } = setup();
      await feed(strategy, inputs(Math.floor(count / 2)));
      strategy.terminate();
      strategy.terminate();
      const before = delivered().length;
      await systemClock.sleep(20);
      try {
        await strategy.poll();
      } catch {
        // A terminated strategy may refuse to be polled; it only must not forward.
      }
      expect(delivered().length).toBe(before);
      if (!options.terminal) expect(next.terminated).toBe(true);
      expect(() => strategy.submit(makeInput(count))).toThrow();
    });

    if (!options.terminal) {
      it('when fed and joined, then each partition reaches the next step in the order submitted', async () => {
        const { strategy, next } = setup();
        const fed = inputs();
        await feed(strategy, fed);
        await finish(strategy);
        expectPartitionOrder(next.offsets, expectedOffsets(fed));
      });

      it('when joined with a timeout, then the next step is closed and joined within that timeout', async () => {
        const { strategy, next } = setup();
        await feed(strategy, inputs(5));
        strategy.close();
        await strategy.join(5_000);
        expect(next.closed).toBe(true);
        expect(next.joined).toBe(true);
        expect(next.joinTimeout).toBeLessThanOrEqual(5_000);
      });

      it("given a next step whose poll fails, when polled, then the next step's error surfaces", async () => {
        const { strategy, next } = setup();
        const error = new Error('next step broke');
        next.failNextPoll(error);
        await expect(pollOnce(strategy)).rejects.toBe(error);
      });
    }

    const hanging = options.hanging;
    if (hanging !== undefined) {
      it('given work that never finishes, when joined with a timeout, then join returns within it and abandons the work', async () => {
        const { strategy, next, delivered } = setup(hanging);
        strategy.submit(makeInput(0));
        strategy.close();
        const started = performance.now();
        await strategy.join(50);
        expect(performance.now() - started).toBeLessThan(50 + 500);
        expect(delivered()).toEqual([]);
        if (!options.terminal) expect(next.joined).toBe(true);
      });
    }

    const failing = options.failing;
    if (failing !== undefined) {
      it('given work that fails for one message, when driven to the end, then its error surfaces once and every other message gets through', async () => {
        const { strategy, delivered } = setup(failing);
        const fed = inputs();
        const errors: unknown[] = [];
        await feed(strategy, fed, errors);
        await finish(strategy, errors);
        expect(errors).toHaveLength(1);
        expect(carriesFailure(errors[0])).toBe(true);
        const failed = new Set(offsetsOf(makeInput(FAILING_INDEX)).map(offsetKey));
        expectExactlyOnce(
          delivered(),
          expectedOffsets(fed).filter((o) => !failed.has(offsetKey(o))),
        );
      });
    }
  });
}

/**
 * Submits every input in order, as the processor would: on `MessageRejected` it polls and submits again;
 * after each accepted submit it polls and awaits the promise `poll` returns. With `errors`, other errors
 * are recorded and feeding goes on with the next message; without, they propagate.
 */
export async function feed<T>(
  strategy: ProcessingStrategy<T>,
  inputs: readonly Message<T>[],
  errors?: unknown[],
): Promise<void> {
  const tolerate = (error: unknown) => {
    if (errors === undefined) throw error;
    errors.push(error);
  };
  for (const input of inputs) {
    for (let spins = 0; ; spins++) {
      if (spins > SPIN_LIMIT) throw new Error('the strategy never accepted the message');
      try {
        strategy.submit(input);
        break;
      } catch (error) {
        if (!isMessageRejected(error)) {
          tolerate(error);
          break;
        }
      }
      await pollOnce(strategy).catch(tolerate);
      await nextTurn();
    }
    await pollOnce(strategy).catch(tolerate);
  }
}

/** Closes and joins; with `errors`, a failing join is recorded and joined again. */
export async function finish(strategy: ProcessingStrategy<never>, errors?: unknown[]): Promise<void> {
  strategy.close();
  for (let attempt = 0; ; attempt++) {
    try {
      await strategy.join();
      return;
    } catch (error) {
      if (errors === undefined || attempt > 100) throw error;
      errors.push(error);
    }
  }
}

/** Polls once and awaits the promise it returns, so that a throw and a rejection look alike. */
export async function pollOnce(strategy: ProcessingStrategy<never>): Promise<void> {
  await strategy.poll();
}

function expectedOffsets(inputs: readonly Message<unknown>[]): Offset[] {
  return inputs.flatMap((m) => offsetsOf(m));
}

function expectExactlyOnce(delivered: readonly Offset[], expected: readonly Offset[]): void {
  const keys = expected.map(offsetKey);
  expect(new Set(keys).size, 'inputs must have unique offsets').toBe(keys.length);
  expect(delivered.map(offsetKey).sort()).toEqual([...keys].sort());
}

/** Each partition's offsets arrive in the relative order of `expected`. */
function expectPartitionOrder(arrived: readonly Offset[], expected: readonly Offset[]): void {
  const rank = new Map(expected.map((o, i) => [offsetKey(o), i]));
  const lastRank = new Map<string, number>();
  for (const offset of arrived) {
    const r = rank.get(offsetKey(offset));
    expect(r, `${offsetKey(offset)} was never submitted`).toBeDefined();
    const previous = lastRank.get(offset.partition) ?? -1;
    expect(r!, `${offsetKey(offset)} arrived out of order`).toBeGreaterThan(previous);
    lastRank.set(offset.partition, r!);
  }
}

function carriesFailure(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message === FAILURE_MESSAGE) return true;
    current = current.cause;
  }
  return false;
}
