import type { AgentConfig } from '../core/config/agent-config.js';
import { UsageError } from '../core/errors/usage-error.js';
import type { Where } from '../core/filter/where.js';
import type { RedriveSummary } from '../core/ops/redrive/redrive-origin.js';
import type { FailedFilter, FailedMessage } from '../core/store/records.js';
import type { StateStore } from '../core/store/state-store.js';
import { parseTimeArgument } from '../core/time-argument.js';
import { failedFilterOf } from './failed-flags.js';

/** The selection flags `replay --failed` shares with `--to-origin`. */
export interface FailedSelectionFlags {
  readonly id?: number[];
  readonly reason?: string;
  readonly rule?: string;
  readonly since?: string;
  readonly limit?: number;
}

/** The failed-store filter the selection flags give. */
export function failedSelectionOf(flags: FailedSelectionFlags): FailedFilter {
  return {
    ...(flags.id ? { ids: flags.id } : {}),
    ...failedFilterOf({ reason: flags.reason, rule: flags.rule }),
    ...(flags.since ? { since: parseTimeArgument(flags.since, Date.now()) } : {}),
    ...(flags.limit ? { limit: flags.limit } : {}),
  };
}

/** `--rate N/s` (or `N`): items per second. @throws UsageError for anything else. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(text);
  const rate = match === null ? Number.NaN : Number(match[1]);
  if (!(rate > 0)) {
    throw new UsageError(`--rate: "${text}" is not a rate`, {
      hint: 'give items per second, such as --rate 20/s',
    });
  }
  return rate;
}

/** What the command hands the redrive: its output, its confirmation, its stop signal. */
export interface RedriveRun {
  readonly store: StateStore;
  readonly config: AgentConfig;
  readonly where: Where<FailedMessage> | undefined;
  readonly flags: FailedSelectionFlags & {
    readonly 'dry-run'?: boolean;
    readonly rate?: string;
    readonly source?: string;
    readonly yes?: boolean;
  };
  readonly signal: AbortSignal;
  confirm(question: string): Promise<void>;
  progress(text: string): void;
}

/**
 * `replay --failed --to-origin`: confirms (unless a dry run), redrives, and sets the exit code — 1 when
 * the origin could not be reached, 3 when items were refused; either way they stay pending.
 */
export async function replayToOrigin(run: RedriveRun): Promise<RedriveSummary> {
  const { redriveToOrigin } = await import('../core/ops/redrive/redrive-origin.js');
  const ui = await import('../ui/text/redrive.js');
  const { flags } = run;
  const rate = flags.rate === undefined ? undefined : parseRate(flags.rate);
  const common = {
    store: run.store,
    config: run.config,
    filter: failedSelectionOf(flags),
    ...(run.where === undefined ? {} : { where: run.where }),
    ...(flags.source === undefined ? {} : { source: flags.source }),
  };
  if (!flags['dry-run']) {
    // The plan first (nothing connects), then the question with what it would do.
    const plan = await redriveToOrigin({ ...common, dryRun: true });
    const planned = plan.items.filter((i) => i.outcome === 'planned').length;
    if (planned > 0) await run.confirm(ui.renderRedriveQuestion(planned, plan.origin));
  }
  const summary = await redriveToOrigin({
    ...common,
    dryRun: flags['dry-run'] ?? false,
    ...(rate === undefined ? {} : { rate }),
    signal: run.signal,
    onProgress: (p) => run.progress(ui.renderRedriveProgress(p)),
  });
  if (summary.failed > 0 && !summary.dryRun) {
    const { EXIT_FAILURE, EXIT_STILL_FAILING } = await import('./exit-codes.js');
    const unreachable = summary.items.some((i) => i.unreachable === true);
    process.exitCode = unreachable ? EXIT_FAILURE : EXIT_STILL_FAILING;
  }
  return summary;
}
