import { BaseCommand } from '../../cli/base-command.js';
import { Flags } from '../../cli/vendor/oclif.js';
import { RUN_STATES } from '../../core/model/run-record.js';

export default class RunsList extends BaseCommand {
  static override summary =
    'List process runs, newest first: by state, process, rule, agent, time or a CEL filter.';
  static override description =
    'Runs are listed by when they last changed, newest first. Looks only: reads the store, changes nothing. With --json prints one JSON array of runs, each with every stored field (id, group, eventId, eventType, rule, process, state, currentStep, attempts, steps: [{name, state, attempts, history: [{attempt, startedAt, durationMs, error, fatal}]}], createdAt, startedAt, finishedAt, updatedAt, error, fatal, runner, worker, origin: {source, partition, position}, output; times in ms since the epoch).';
  static override examples = [
    '<%= config.bin %> runs list',
    '<%= config.bin %> runs list --state failed --since 1h',
    '<%= config.bin %> runs list --process billing --rule bill --json',
    `<%= config.bin %> runs list --where 'state == "failed" && attempts >= 3'`,
  ];
  static override enableJsonFlag = true;
  static override flags = {
    state: Flags.string({
      summary: 'Only runs in this state.',
      options: [...RUN_STATES],
      env: 'AGENTCTL_STATE',
    }),
    process: Flags.string({ summary: 'Only runs of this process.', env: 'AGENTCTL_PROCESS' }),
    rule: Flags.string({ summary: 'Only runs started by this rule.', env: 'AGENTCTL_RULE' }),
    group: Flags.string({ summary: 'Only runs of this agent (consumer group).', env: 'AGENTCTL_GROUP' }),
    since: Flags.string({
      summary: 'Only runs that changed since: 30m, 2h, 7d, or an ISO time.',
      env: 'AGENTCTL_SINCE',
    }),
    where: Flags.string({
      summary: 'Only runs for which this CEL expression is true.',
      description:
        'Variables: id, state, rule, process, group, eventId, eventType, attempts, error, fatal, step (the current or failed step), runner, worker, createdAt, startedAt, finishedAt, updatedAt, durationMs, meta (source, partition, position of the event) and event (the CloudEvent, read from the local log only when the expression names it; null for other sources). Example: --where \'state == "failed" && step == "charge"\'. A run the expression fails on does not match (the command says how many).',
      env: 'AGENTCTL_WHERE',
    }),
    limit: Flags.integer({ summary: 'At most this many runs.', min: 1, default: 100, env: 'AGENTCTL_LIMIT' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RunsList);
    const { parseTimeArgument } = await import('../../core/time-argument.js');
    const since = flags.since === undefined ? undefined : parseTimeArgument(flags.since, Date.now());
    const where = await runsWhereOf(flags.where);
    const { store } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { listRuns } = await import('../../core/ops/runs/list-runs.js');
    const { runJson } = await import('../../core/ops/runs/run-json.js');
    const { renderRunsTable } = await import('../../ui/text/runs.js');
    const found = await listRuns(store, {
      ...(flags.state === undefined ? {} : { state: flags.state as (typeof RUN_STATES)[number] }),
      ...(flags.process === undefined ? {} : { process: flags.process }),
      ...(flags.rule === undefined ? {} : { rule: flags.rule }),
      ...(flags.group === undefined ? {} : { group: flags.group }),
      ...(since === undefined ? {} : { since }),
      ...(where === undefined ? {} : { where }),
      limit: flags.limit,
    });
    const runs = found.runs.map(runJson);
    if (!this.jsonEnabled()) this.log(renderRunsTable(runs, flags.limit));
    this.note(where?.skippedNote());
    if (!found.complete && runs.length < flags.limit)
      this.note(`looked at the newest ${found.scanned} runs only; narrow with --since, --state or --process`);
    return runs;
  }
}

/** The compiled `--where` for runs, or undefined. @throws UsageError (exit 2) at once when it does not compile. */
async function runsWhereOf(expression: string | undefined) {
  if (expression === undefined) return undefined;
  const { Where } = await import('../../core/filter/where.js');
  const { runWhere } = await import('../../core/filter/run-where.js');
  return Where.compile(expression, runWhere);
}
