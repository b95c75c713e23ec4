import type { Stats } from '../model/stats.js';
import type { Commit, DoneOutcome } from '../strategies/processing-strategy.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { type Message, offsetsOf } from '../types.js';
import type { Committer } from './committer.js';
import type { PoisonGuard } from './poison-guard.js';

/**
 * The `Commit` the pipeline calls when a message (or a batch of them) is done: each of its offsets is
 * marked done in the committer (a `message` event each, when anyone listens), the done messages are
 * counted in `stats` by outcome, the poison guard counts them as parked or not, and the committer's
 * commit policy hears how many were done. Built once per processor; called per message on the hot path.
 */
export function doneRecorder(
  committer: Committer,
  poison: PoisonGuard,
  stats: Stats,
  telemetry: Telemetry,
): Commit {
  return (message: Message<unknown>, outcome: DoneOutcome = 'processed') => {
    const offsets = offsetsOf(message);
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      committer.done(offset.partition, offset.position);
      if (telemetry.has('message'))
        telemetry.emit('message', { partition: offset.partition, position: offset.position, outcome });
    }
    const n = offsets.length;
    stats.done += n;
    switch (outcome) {
      case 'processed':
        stats.processed += n;
        break;
      case 'unmatched':
        stats.unmatched += n;
        break;
      case 'filtered':
        stats.filtered += n;
        break;
      case 'parked':
        stats.parked += n;
        break;
    }
    poison.record(outcome === 'parked');
    committer.counted(n);
  };
}
