import { BaseCommand } from '../../cli/base-command.js';
import { Args } from '../../cli/vendor/oclif.js';

export default class RunsShow extends BaseCommand {
  static override summary =
    'Show one process run: its event, every step with every attempt, its publish efforts and parked items.';
  static override description =
    'RUN is a run id as `agentctl runs list` prints it, or a unique start of one. The event is read from the parked item when the event was parked, else from the local log (for a local: source); for other sources it is not stored. A run stored as a compact ledger entry (a plain success) has no step detail. With --json prints {run, ledger, event: {stored, payload | payloadBase64 | why}, efforts, parked} (parked items as in `failed show --json`). Looks only: changes nothing.';
  static override examples = [
    '<%= config.bin %> runs show 3vQm1kQ0b1yqTgS1n9mJv5wZs9x',
    '<%= config.bin %> runs show 3vQm1k',
    '<%= config.bin %> runs show 3vQm1kQ0b1yqTgS1n9mJv5wZs9x --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    run: Args.string({
      description: 'Run id, or a unique start of one (see `agentctl runs list`).',
      required: true,
    }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RunsShow);
    const { store } = await this.openStore(flags, { readonly: true, mustExist: true });
    const { runDetail } = await import('../../core/ops/runs/run-detail.js');
    const { redactedRunDetail, runDetailJson } = await import('../../core/ops/runs/run-json.js');
    const { runDetailLines } = await import('../../ui/text/runs.js');
    const detail = await runDetail(store, args.run.trim());
    if (!this.jsonEnabled()) this.log(runDetailLines(redactedRunDetail(detail)).join('\n'));
    return runDetailJson(detail);
  }
}
