import { BaseCommand } from '../cli/base-command.js';
import { Flags } from '../cli/vendor/oclif.js';

export default class Init extends BaseCommand {
  static override summary = 'Scaffold agentctl.config.ts and a sample events file.';
  static override description =
    'Writes the example submission agent (rules, processes with steps that can fail, a publisher) and 300 sample events, ready for `agentctl publish` and `agentctl consume`.';
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --dir my-agent'];
  static override enableJsonFlag = true;
  static override flags = {
    dir: Flags.string({ summary: 'Where to write the files.', default: '.', env: 'AGENTCTL_DIR' }),
    force: Flags.boolean({ summary: 'Overwrite existing files.', env: 'AGENTCTL_FORCE' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Init);
    const { scaffold } = await import('../core/ops/scaffold.js');
    const result = await scaffold(flags.dir, flags.force);
    if (!this.jsonEnabled()) {
      const cd = flags.dir === '.' ? '' : `cd ${flags.dir} && `;
      this.log(
        [
          ...result.written.map((f) => `wrote ${f}`),
          '',
          'next:',
          `  ${cd}agentctl publish --file events.ndjson --raw   # put the sample events in the local log`,
          '  agentctl consume --until-empty                    # run the agent over them',
          '  agentctl status && agentctl failed list           # see what happened',
        ].join('\n'),
      );
    }
    return result;
  }
}
