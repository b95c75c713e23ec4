import { BaseCommand } from '../../cli/base-command.js';
import { Args, Flags } from '../../cli/vendor/oclif.js';

export default class ContextUse extends BaseCommand {
  static override summary = 'Make a context the current one: commands use it when none is named.';
  static override description =
    '--context NAME (or AGENTCTL_CONTEXT) names another for one command. --none leaves no context current.';
  static override examples = [
    '<%= config.bin %> context use staging',
    '<%= config.bin %> context use --none',
  ];
  static override enableJsonFlag = true;
  static override args = { name: Args.string({ description: 'The context’s name.' }) };
  static override flags = {
    none: Flags.boolean({ summary: 'No current context.', env: 'AGENTCTL_NONE' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ContextUse);
    const { UsageError } = await import('../../core/errors/usage-error.js');
    if ((args.name === undefined) === !flags.none) {
      throw new UsageError('give a context name, or --none', {
        hint: 'agentctl context use NAME (see agentctl context list)',
      });
    }
    const { ContextBook } = await import('../../core/contexts/context-book.js');
    const { contextsPath } = await import('../../core/contexts/contexts-file.js');
    const view = new ContextBook(contextsPath()).use(args.name);
    if (!this.jsonEnabled())
      this.log(view === undefined ? 'no context is current now' : `current context: ${view.name}`);
    return { current: view?.name ?? null };
  }
}
