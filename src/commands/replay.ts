import { BaseCommand } from '../cli/base-command.js';
import { failedWhereOf } from '../cli/failed-flags.js';
import { FAILED_ONLY, RANGE_ONLY, REPLAY_MODES, replayFlags } from '../cli/replay-flags.js';

export default class Replay extends BaseCommand {
  static override summary = 'Replay parked messages (--failed), or re-process a range of a source (--from).';
  static override description =
    "--failed runs parked events again through rules and processes (runs that already succeeded are skipped) and re-publishes parked records to the sink they were meant for (the agent's sink as the config names it now, credentials included; --sink to send them elsewhere); each item ends replayed, or stays pending with one more failure in its history. --from re-processes positions of one partition of a source that keeps history; no checkpoint moves, and failures are parked as usual. --to-origin instead publishes each parked event's original bytes back to the source it was read from (Kinesis with its partition key, the AMQP queue with its headers plus x-agentctl-redrive, the local log partition) and marks it replayed once the origin confirmed it. Asks for confirmation unless --yes or --dry-run.";
  static override examples = [
    '<%= config.bin %> replay --failed --dry-run',
    '<%= config.bin %> replay --failed --reason publish --since 2h --yes',
    `<%= config.bin %> replay --failed --where 'error.contains("timeout") && attempts < 5' --yes`,
    '<%= config.bin %> replay --failed --id 12 --id 13 --json --yes',
    "<%= config.bin %> replay --failed --reason publish --sink 'amqp://user:pass@host/vhost?queue=results' --yes",
    '<%= config.bin %> replay --failed --to-origin --reason process --rate 50/s --dry-run',
    '<%= config.bin %> replay --from 1200 --to 1300 --partition 0 --rerun --yes',
  ];
  static override enableJsonFlag = true;
  static override flags = replayFlags;

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Replay);
    const { UsageError } = await import('../core/errors/usage-error.js');
    const stray = (flags.failed ? RANGE_ONLY : FAILED_ONLY).filter(
      (f) => flags[f] !== undefined && flags[f] !== false && !(f === 'source' && flags['to-origin']),
    );
    const problem =
      (flags.failed ?? false) === (flags.from !== undefined)
        ? 'choose one mode: --failed (parked items) or --from POSITION (a range of a source)'
        : stray.length > 0
          ? `--${stray[0]} does not go with ${flags.failed ? '--failed' : '--from'}`
          : !flags.failed && flags.partition === undefined
            ? '--from needs --partition'
            : flags.rate !== undefined && !flags['to-origin']
              ? '--rate goes with --to-origin'
              : flags['to-origin'] && flags.sink !== undefined
                ? '--to-origin sends items back to their source: it does not go with --sink'
                : undefined;
    if (problem !== undefined) throw new UsageError(problem, { hint: REPLAY_MODES });
    const where = flags.failed ? await failedWhereOf(flags) : undefined;
    // A dry run changes nothing: not even an older store's schema (it says to migrate instead).
    const { store, config } = await this.openStore(
      flags,
      flags['dry-run'] ? { mustExist: true, readonly: true } : {},
    );
    const { LiveLine } = await import('../ui/text/live-line.js');
    const ui = await import('../ui/text/replay.js');
    const line = new LiveLine();
    const controller = new AbortController();
    const { onStopSignals } = await import('../cli/stop-signals.js');
    const offSignals = onStopSignals({
      say: (event, human) => {
        if (this.jsonEnabled()) this.logJson(event);
        else {
          line.clear();
          process.stderr.write(`${human}\n`);
        }
      },
      drain: () => controller.abort(),
      // Already aborted: what is left is a run that does not end; the process exits after `flushMs`.
      terminate: () => undefined,
      drainNote:
        'stopping after the items in flight (the rest stay pending); press Ctrl-C again to stop at once',
      terminateNote: 'stopping at once (items in flight stay pending)',
    });
    try {
      if (flags['to-origin']) {
        const { replayToOrigin } = await import('../cli/replay-to-origin.js');
        const summary = await replayToOrigin({
          store,
          config,
          where,
          flags,
          signal: controller.signal,
          confirm: (question) => this.confirm(question, flags.yes),
          progress: (text) => line.update(text),
        });
        line.clear();
        if (!this.jsonEnabled())
          this.log((await import('../ui/text/redrive.js')).renderRedriveSummary(summary));
        this.note(where?.skippedNote());
        return summary;
      }
      if (flags.failed) {
        const { countReplayable, replayFailed } = await import('../core/ops/replay-failed.js');
        const { failedSelectionOf } = await import('../cli/replay-to-origin.js');
        const filter = failedSelectionOf(flags);
        const total = await countReplayable(store, config, filter, where);
        // Said once, from the selection (the replay evaluates the expression again on the same items).
        const whereNote = where?.skippedNote();
        if (total > 0 && !flags['dry-run']) await this.confirm(ui.renderReplayQuestion(total), flags.yes);
        const summary = await replayFailed({
          store,
          config,
          filter,
          ...(where === undefined ? {} : { where }),
          dryRun: flags['dry-run'],
          ...(flags.sink === undefined ? {} : { sink: flags.sink }),
          signal: controller.signal,
          onProgress: (p) => line.update(ui.renderReplayProgress(p)),
        });
        line.clear();
        if (!this.jsonEnabled()) this.log(ui.renderReplaySummary(summary));
        this.note(whereNote);
        if (summary.failedAgain > 0) {
          // Scripts must not take "ran" for "fixed": exit 3 while items still fail (they stay pending).
          const { EXIT_STILL_FAILING } = await import('../cli/exit-codes.js');
          process.stderr.write(`${ui.renderStillFailing(summary.failedAgain, EXIT_STILL_FAILING)}\n`);
          process.exitCode = EXIT_STILL_FAILING;
        }
        return summary;
      }
      const { replayRange } = await import('../core/ops/replay-range.js');
      const range = {
        partition: flags.partition ?? '',
        from: flags.from ?? '',
        ...(flags.to ? { to: flags.to } : {}),
      };
      const { sourceUriOf } = await import('../core/config/build-agent.js');
      await this.confirm(ui.renderRangeQuestion(sourceUriOf(config, flags.source), range), flags.yes);
      const summary = await replayRange({
        store,
        config,
        ...range,
        ...(flags.source ? { source: flags.source } : {}),
        ...(flags.sink === undefined ? {} : { sink: flags.sink }),
        rerun: flags.rerun,
        signal: controller.signal,
        onProgress: (p) => line.update(ui.renderRangeProgress(p)),
      });
      line.clear();
      if (!this.jsonEnabled()) this.log(ui.renderRangeSummary(summary));
      return summary;
    } finally {
      line.clear();
      offSignals();
    }
  }
}
